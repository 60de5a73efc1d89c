/** What every part of the bench shares: measuring a child process, medians, Markdown, the machine. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Git-ignored scratch space; inside the repository so bundles resolve their externals from node_modules. */
export const SCRATCH = join(REPO_ROOT, ".bench");
export const VENV_PYTHON = join(REPO_ROOT, ".venv", "bin", "python");
export const MB = 1_000_000;

export interface Measured {
  wallMs: number;
  /** User + system time of the child and every descendant, threads included. */
  cpuMs: number;
  /** Peak resident memory of the largest single process of the tree (the kernel's own figure). */
  peakBytes: number;
  stdout: string;
}

// Runs the command and waits for it as GNU time does (wait4), but as a child subreaper: descendants
// that their parent does not wait for (pyspark leaves its JVM to exit alone) are re-parented here and
// reaped too, so their CPU and memory are in the figures. Its own report goes to fd 3, apart from the
// child's output.
const WRAPPER = `
import ctypes, json, os, resource, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
os.set_inheritable(3, False)
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status = os.waitpid(pid, 0)
wall = time.perf_counter() - start
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
os.write(3, json.dumps({"wallMs": wall * 1000, "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000,
    "peakBytes": ru.ru_maxrss * 1024, "exit": os.waitstatus_to_exitcode(status)}).encode())
`;

/** Runs `command args` to its end and measures it from outside; throws when it fails. */
export function measure(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measured> {
  const python = existsSync(VENV_PYTHON) ? VENV_PYTHON : "python3";
  const child = spawn(python, ["-c", WRAPPER, command, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "", report: "" };
  child.stdout?.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr?.on("data", (d) => {
    out.stderr += d;
  });
  child.stdio[3]?.on("data", (d) => {
    out.report += d;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", () => {
      const report = out.report ? JSON.parse(out.report) : { exit: -1 };
      if (report.exit !== 0) {
        const tail = out.stderr.trim().split("\n").slice(-6).join("\n");
        reject(new Error(`${command} ${args.join(" ")} exited ${report.exit}:\n${tail}`));
      } else resolve({ ...report, stdout: out.stdout });
    });
  });
}

/** Nearest rank: always one of the measured values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
export const median = (values: readonly number[]) => percentile(values, 50);

export const fmt = (value: number, digits = 1) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const seconds = (ms: number) => `${fmt(ms / 1000, 2)} s`;
export const mb = (bytes: number) => `${fmt(bytes / MB, 0)} MB`;
export const ratio = (value: number) => `${fmt(value, 2)}×`;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The machine, so a figure is never read without the hardware it was taken on. */
export function machineLine(): string {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
  return `${cpus().length} cores (${model ?? cpus()[0]?.model}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`;
}

/** Load average over 1 / 5 / 15 minutes. */
export const loadLine = () =>
  loadavg()
    .map((l) => fmt(l, 2))
    .join(" / ");

/** Replaces what lies between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in `file`. */
export function writeSection(file: string, name: string, body: string): void {
  const text = readFileSync(file, "utf8");
  const block = new RegExp(`(<!-- bench:${name} -->\\n)[\\s\\S]*?(<!-- /bench:${name} -->)`);
  if (!block.test(text)) throw new Error(`${file} has no <!-- bench:${name} --> block`);
  writeFileSync(
    file,
    text.replace(block, (_, start, end) => `${start}${body.trim()}\n${end}`),
  );
}
