/**
 * The local Trino server: one per run folder, started on demand on a free loopback port, reused by
 * every query on the Trino engine while it runs, stopped when told to or after an idle time.
 *
 * A small detached Node process (trino-supervisor.ts) owns the Java process: it writes the
 * configuration, starts Trino, records `state.json` (port, pids) and stops Trino when nobody has used
 * it for the idle time, or when it is told to stop. Clients find the server through `state.json` and
 * mark each use by touching `last-used`.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive } from "../lake/lock.ts";
import { TrinoSetupError } from "./errors.ts";
import { TRINO_VERSION } from "./trino-install.ts";
import { withFileLock } from "./trino-lock.ts";

/** What the supervisor records while its Trino runs. */
export interface TrinoServerState {
  version: string;
  /** The supervisor's pid: signal it to stop the server. */
  pid: number;
  javaPid: number;
  port: number;
  endpoint: string;
  startedAt: string;
  idleTimeoutMs: number;
}

export interface TrinoServerOptions {
  /** The unpacked Trino (trino-install.ts). */
  installDir: string;
  /** Where the configuration, metastore, log and state of this server live. */
  runDir: string;
  /** The Java 24+ executable. */
  java: string;
  /** The JVM's -Xmx (default `DEFAULT_TRINO_HEAP`). */
  heap?: string;
  /** Stop after this long without a query (default `DEFAULT_IDLE_TIMEOUT_MS`). */
  idleTimeoutMs?: number;
  /** How long to wait for the server to answer, in ms (default 180 s). */
  startTimeoutMs?: number;
  /** Told once when a new server is being started (it takes a few seconds). */
  onStart?: (message: string) => void;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
/** The JVM heap of a server unless told otherwise: the lake is small, and the machine is shared. */
export const DEFAULT_TRINO_HEAP = "2G";

const stateFile = (runDir: string) => join(runDir, "state.json");
export const trinoLogFile = (runDir: string) => join(runDir, "server.log");
const lastUsedFile = (runDir: string) => join(runDir, "last-used");
const supervisorPath = fileURLToPath(new URL("./trino-supervisor.ts", import.meta.url));

export function readTrinoState(runDir: string): TrinoServerState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(runDir), "utf8")) as TrinoServerState;
  } catch {
    return undefined;
  }
}

/** Records a use, so the supervisor's idle clock starts again. */
export function touchTrino(runDir: string): void {
  const file = lastUsedFile(runDir);
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    writeFileSync(file, "");
  }
}

/** The running server of `runDir`, if its supervisor is alive and Trino answers and has finished starting. */
export async function runningTrino(runDir: string): Promise<TrinoServerState | undefined> {
  const state = readTrinoState(runDir);
  if (!state || state.version !== TRINO_VERSION || !isAlive(state.pid)) return undefined;
  return (await trinoStarted(state.endpoint)) ? state : undefined;
}

/** Returns the running server of `options.runDir`, starting one first when there is none. */
export async function ensureTrinoServer(options: TrinoServerOptions): Promise<TrinoServerState> {
  const { runDir } = options;
  mkdirSync(runDir, { recursive: true });
  const running = await runningTrino(runDir);
  if (running) {
    touchTrino(runDir);
    return running;
  }
  const startTimeoutMs = options.startTimeoutMs ?? 180_000;
  return withFileLock(join(runDir, "start.lock"), { waitMs: startTimeoutMs }, async () => {
    // Another process may have started it while this one waited for the lock.
    const started = await runningTrino(runDir);
    if (started) {
      touchTrino(runDir);
      return started;
    }
    await clearLeftovers(runDir);
    options.onStart?.(
      `starting Trino ${TRINO_VERSION} (${options.heap ?? DEFAULT_TRINO_HEAP} heap; log: ${trinoLogFile(runDir)})…`,
    );
    touchTrino(runDir);
    const log = openSync(trinoLogFile(runDir), "w");
    const config = {
      installDir: options.installDir,
      runDir,
      java: options.java,
      heap: options.heap ?? DEFAULT_TRINO_HEAP,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    };
    const child = spawn(process.execPath, [supervisorPath, JSON.stringify(config)], {
      cwd: runDir,
      detached: true,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    child.unref();
    const pid = child.pid ?? 0;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      const state = readTrinoState(runDir);
      if (state?.pid === pid && (await trinoStarted(state.endpoint))) return state;
      if (!isAlive(pid)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const alive = isAlive(pid);
    if (alive) process.kill(pid, "SIGTERM");
    throw new TrinoSetupError(
      "StartFailed",
      `Trino did not ${alive ? `answer within ${startTimeoutMs / 1000} s` : "start"}; the end of ${trinoLogFile(runDir)}:\n${logTail(runDir)}`,
    );
  });
}

/** Stops the server of `runDir`; false when none was running. */
export async function stopTrinoServer(runDir: string, timeoutMs = 30_000): Promise<boolean> {
  // A server being started right now is stopped once it is up, not left running behind our back.
  const deadline0 = Date.now() + timeoutMs;
  while (Date.now() < deadline0 && startInProgress(runDir)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const state = readTrinoState(runDir);
  if (!state) return false;
  const wasRunning = isAlive(state.pid) || isAlive(state.javaPid);
  if (isAlive(state.pid)) process.kill(state.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (isAlive(state.pid) || isAlive(state.javaPid))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await clearLeftovers(runDir);
  return wasRunning;
}

function startInProgress(runDir: string): boolean {
  try {
    return isAlive(Number.parseInt(readFileSync(join(runDir, "start.lock"), "utf8"), 10));
  } catch {
    return false;
  }
}

/** A state left by a supervisor that died without cleaning up: stop its Java, forget the state. */
async function clearLeftovers(runDir: string): Promise<void> {
  const state = readTrinoState(runDir);
  if (!state) return;
  for (const pid of [state.pid, state.javaPid]) {
    if (pid && isAlive(pid) && ownsProcess(pid, runDir)) process.kill(pid, "SIGKILL");
  }
  rmSync(stateFile(runDir), { force: true });
}

/** Whether `pid` is one of ours (its command line names the run folder), not a recycled pid. */
function ownsProcess(pid: number, runDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(runDir);
  } catch {
    return false;
  }
}

/** Trino has finished starting when /v1/info says `starting: false`. */
export async function trinoStarted(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/v1/info`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return false;
    return (await response.json()).starting === false;
  } catch {
    return false;
  }
}

function logTail(runDir: string): string {
  try {
    const text = readFileSync(trinoLogFile(runDir), "utf8");
    return text.split("\n").slice(-25).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Writes etc/ (server, node, JVM, catalog) for a server on `port`, reading the lake through the Hive connector. */
export function writeTrinoConfig(options: {
  installDir: string;
  runDir: string;
  port: number;
  heap: string;
}): { jvmArgs: string[] } {
  const { installDir, runDir, port, heap } = options;
  const etc = join(runDir, "etc");
  mkdirSync(join(etc, "catalog"), { recursive: true });
  mkdirSync(join(runDir, "metastore"), { recursive: true });
  mkdirSync(join(runDir, "data"), { recursive: true });
  // Only the Hive plugin is loaded: the other 50-odd would double the start-up time and the memory.
  const plugins = join(runDir, "plugins");
  mkdirSync(plugins, { recursive: true });
  const hivePlugin = join(plugins, "hive");
  rmSync(hivePlugin, { force: true, recursive: false });
  symlinkSync(join(installDir, "plugin", "hive"), hivePlugin);
  const properties = (entries: Record<string, string | number | boolean>) =>
    `${Object.entries(entries)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`;
  writeFileSync(
    join(etc, "config.properties"),
    properties({
      coordinator: true,
      "node-scheduler.include-coordinator": true,
      "http-server.http.port": port,
      "discovery.uri": `http://127.0.0.1:${port}`,
      "http-server.log.enabled": false,
      "plugin.dir": plugins,
      "catalog.config-dir": join(etc, "catalog"),
    }),
  );
  writeFileSync(
    join(etc, "log.properties"),
    properties({ "io.airlift": "WARN", "io.trino": "INFO", "io.trino.event": "WARN" }),
  );
  writeFileSync(
    join(etc, "catalog", "hive.properties"),
    properties({
      "connector.name": "hive",
      // Table definitions live in a folder here, written by CREATE TABLE: no Hive metastore service.
      "hive.metastore": "file",
      "hive.metastore.catalog.dir": `local://${join(runDir, "metastore")}`,
      // local:///abs/path is the file /abs/path.
      "fs.native-local.enabled": true,
      "local.location": "/",
      // Athena reads the projection.* table parameters; so does Trino's Hive connector with this on.
      "hive.partition-projection-enabled": true,
      // On S3 a projected day with no files is just empty; a local folder that does not exist would
      // otherwise fail the query ("Partition location does not exist").
      "hive.ignore-absent-partitions": true,
      // Athena's Hive tables: timestamps in milliseconds, Parquet read in UTC.
      "hive.timestamp-precision": "MILLISECONDS",
      "hive.parquet.time-zone": "UTC",
    }),
  );
  return {
    jvmArgs: [
      `-Xmx${heap}`,
      "-XX:+UseG1GC",
      "-XX:G1HeapRegionSize=32M",
      "-XX:+ExplicitGCInvokesConcurrent",
      "-XX:+ExitOnOutOfMemoryError",
      "-XX:-OmitStackTraceInFastThrow",
      "-XX:ReservedCodeCacheSize=256M",
      "-XX:+EnableDynamicAgentLoading",
      // The classes of the first start are archived next to the download and mapped by later starts.
      "-XX:+AutoCreateSharedArchive",
      `-XX:SharedArchiveFile=${join(dirname(installDir), "trino-classes.jsa")}`,
      "-Djdk.attach.allowAttachSelf=true",
      "-Djdk.nio.maxCachedBufferSize=2000000",
      "-Dfile.encoding=UTF-8",
      "-Duser.timezone=UTC",
      `-Dconfig=${join(etc, "config.properties")}`,
      `-Dlog.levels-file=${join(etc, "log.properties")}`,
      "-Dnode.environment=b3_local",
      "-Dnode.id=b3-local",
      `-Dnode.data-dir=${join(runDir, "data")}`,
      "-Dnode.bind-ip=127.0.0.1",
      "-Dnode.internal-address=127.0.0.1",
      "-cp",
      `${join(installDir, "lib")}/*`,
      "io.trino.server.TrinoServer",
    ],
  };
}
