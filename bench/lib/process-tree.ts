/**
 * Runs a command as a child process and measures it from the outside: wall time (spawn → exit) and
 * peak memory of the whole process tree (the child and every descendant, e.g. the JVM that pyspark
 * starts), which no single process's own maxRSS shows.
 *
 * Memory is measured two ways:
 * - sampling: every `intervalMs` the tree is walked through /proc (the parent pid of every
 *   process) and the VmRSS of its members summed; the peak is the largest sum seen. A member that
 *   has not exec'd a program of its own (same start-of-stack address as its parent: a fork or
 *   vfork on its way to exec, e.g. the JVM spawning a helper) maps its parent's pages and is not
 *   counted, or a 1.2 GB JVM would briefly count twice. A spike shorter than the interval can be
 *   missed, so the sampled figure is a lower bound of the tree's true peak;
 * - the kernel's own high-water mark: each process's VmHWM as last sampled, and, when GNU time is
 *   installed (`/usr/bin/time`, Debian package `time`), its "maximum resident set size", the exact
 *   peak of the largest single process it waited for (the direct child, and descendants the child
 *   itself waited for; a JVM that pyspark leaves to exit on its own is not among them).
 * `peakBytes` is the larger of the sampled tree sum and GNU time's figure: exact for a single
 * process, the sampled sum for a tree.
 *
 * Sampling reads /proc/PID/stat of every process and /proc/PID/status of the tree's members: cheap
 * files (no page-table walk like smaps, which would hold up the measured process's allocations).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";

export interface ProcessMemory {
  pid: number;
  command: string;
  rssBytes: number;
  /** The process's VmHWM when sampled. */
  hwmBytes: number;
  /** Not exec'd yet: its pages are its parent's, so it is left out of the sum. */
  forkOfParent: boolean;
}

export interface MeasuredRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Spawn → exit, as this process saw it. */
  wallMs: number;
  /** max(sampled tree peak, GNU time's figure). */
  peakBytes: number;
  /** The largest sum of VmRSS over the tree seen by sampling, and its members at that moment. */
  sampledTreePeakBytes: number;
  treeAtPeak: ProcessMemory[];
  /** The largest VmHWM of any one process of the tree, as last sampled. */
  largestProcessHwmBytes: number;
  /** GNU time's maximum resident set size (bytes), when /usr/bin/time exists. */
  gnuTimeMaxRssBytes: number | null;
  samples: number;
  intervalMs: number;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  intervalMs?: number;
}

const KIB = 1024;

export function runMeasured(
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<MeasuredRun> {
  const intervalMs = options.intervalMs ?? 50;
  const useTime = existsSync(GNU_TIME);
  const scratch = mkdtempSync(join(tmpdir(), "b3-bench-time-"));
  const timeFile = join(scratch, "maxrss");
  const [file, argv] = useTime
    ? [GNU_TIME, ["-f", "%M", "-o", timeFile, command, ...args]]
    : [command, [...args]];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const rootPid = child.pid;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    let samples = 0;
    let peak = { bytes: 0, tree: [] as ProcessMemory[] };
    const hwm = new Map<number, number>();
    const sample = () => {
      if (rootPid === undefined) return;
      // With GNU time in front, measure what it runs, not GNU time itself.
      const tree = treeOf(rootPid).filter((p) => !(useTime && p.pid === rootPid));
      samples++;
      for (const p of tree) hwm.set(p.pid, Math.max(hwm.get(p.pid) ?? 0, p.hwmBytes));
      const bytes = tree.reduce((sum, p) => sum + (p.forkOfParent ? 0 : p.rssBytes), 0);
      if (bytes > peak.bytes) peak = { bytes, tree };
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    child.on("error", (error) => {
      clearInterval(timer);
      rmSync(scratch, { recursive: true, force: true });
      reject(error);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      let gnuTimeMaxRssBytes: number | null = null;
      if (useTime && existsSync(timeFile)) {
        // GNU time appends its figure as the last line (after "Command exited with non-zero status").
        const last = readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "";
        if (/^\d+$/.test(last)) gnuTimeMaxRssBytes = Number(last) * KIB;
      }
      rmSync(scratch, { recursive: true, force: true });
      resolve({
        exitCode: code ?? 1,
        stdout,
        stderr,
        wallMs,
        peakBytes: Math.max(peak.bytes, gnuTimeMaxRssBytes ?? 0),
        sampledTreePeakBytes: peak.bytes,
        treeAtPeak: peak.tree,
        largestProcessHwmBytes: Math.max(0, ...hwm.values()),
        gnuTimeMaxRssBytes,
        samples,
        intervalMs,
      });
    });
  });
}

interface Stat {
  ppid: number;
  /** Address of the start of the stack: set anew (randomised) by every exec. */
  startStack: string;
}

/** `rootPid` and all its descendants with their memory, read from /proc (Linux only). */
export function treeOf(rootPid: number): ProcessMemory[] {
  const stats = new Map<number, Stat>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = statOf(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const result: ProcessMemory[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    const stat = stats.get(pid);
    const parent = stat && pid !== rootPid ? stats.get(stat.ppid) : undefined;
    const memory = memoryOf(pid, parent !== undefined && parent.startStack === stat?.startStack);
    if (memory) result.push(memory);
    queue.push(...(children.get(pid) ?? []));
  }
  return result;
}

function statOf(pid: number): Stat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    // Field n of proc(5) is at index n - 3 from there: ppid (4) at 1, startstack (28) at 25.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), startStack: fields[25] ?? "" };
  } catch {
    return undefined; // the process ended meanwhile
  }
}

function memoryOf(pid: number, forkOfParent: boolean): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    const command = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?";
    return {
      pid,
      command,
      rssBytes: kib("VmRSS") * KIB,
      hwmBytes: kib("VmHWM") * KIB,
      forkOfParent,
    };
  } catch {
    return undefined;
  }
}
