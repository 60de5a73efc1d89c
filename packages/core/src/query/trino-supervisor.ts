/**
 * The process that owns a local Trino (started detached by trino-server.ts, one per run folder):
 * writes the configuration, starts Java on a free loopback port, records state.json, and stops Trino
 * when it has been idle for the configured time, when it is sent SIGTERM, or when Java exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { TRINO_VERSION } from "./trino-install.ts";
import { type TrinoServerState, writeTrinoConfig } from "./trino-server.ts";

interface SupervisorConfig {
  installDir: string;
  runDir: string;
  java: string;
  heap: string;
  idleTimeoutMs: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as SupervisorConfig;
const { runDir } = config;
const stateFile = join(runDir, "state.json");
const lastUsedFile = join(runDir, "last-used");
const log = (message: string) => process.stderr.write(`[b3 trino supervisor] ${message}\n`);

let java: ChildProcess | undefined;
let stopping = false;

async function main(): Promise<void> {
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(signal, () => void stop(`${signal} received`, 0));
  }
  // A port taken between choosing it and Java binding it: choose again.
  for (let attempt = 1; attempt <= 3 && !stopping; attempt++) {
    const port = await freePort();
    const { jvmArgs } = writeTrinoConfig({ ...config, port });
    const started = Date.now();
    java = spawn(config.java, jvmArgs, { cwd: runDir, stdio: ["ignore", "inherit", "inherit"] });
    const state: TrinoServerState = {
      version: TRINO_VERSION,
      pid: process.pid,
      javaPid: java.pid ?? 0,
      port,
      endpoint: `http://127.0.0.1:${port}`,
      startedAt: new Date().toISOString(),
      idleTimeoutMs: config.idleTimeoutMs,
    };
    writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${stateFile}.tmp`, stateFile);
    log(`Trino ${TRINO_VERSION} (pid ${state.javaPid}) on ${state.endpoint}`);
    const code = await watch(java, state);
    if (stopping) return;
    const quick = Date.now() - started < 60_000;
    if (!quick || attempt === 3) return stop(`Java exited (${code})`, 1);
    log(`Java exited (${code}) while starting; trying another port`);
  }
}

/** Resolves with Java's exit code; meanwhile stops the server once it has been idle long enough. */
function watch(child: ChildProcess, state: TrinoServerState): Promise<number | string> {
  return new Promise((resolve) => {
    const timer = setInterval(
      async () => {
        if (stopping) return;
        const idleFor = Date.now() - lastUsed();
        if (idleFor < config.idleTimeoutMs) return;
        if (await hasActiveQueries(state.endpoint)) return;
        clearInterval(timer);
        void stop(`idle for ${Math.round(idleFor / 1000)} s`, 0);
      },
      Math.min(5_000, Math.max(500, config.idleTimeoutMs / 4)),
    );
    child.once("exit", (code, signal) => {
      clearInterval(timer);
      resolve(code ?? signal ?? "?");
    });
  });
}

function lastUsed(): number {
  try {
    return statSync(lastUsedFile).mtimeMs;
  } catch {
    return 0;
  }
}

async function hasActiveQueries(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/v1/query`, {
      headers: { "X-Trino-User": "b3" },
      signal: AbortSignal.timeout(5_000),
    });
    const queries = (await response.json()) as Array<{ state: string }>;
    return queries.some((q) => q.state !== "FINISHED" && q.state !== "FAILED");
  } catch {
    return false;
  }
}

async function stop(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping Trino: ${reason}`);
  const child = java;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
  }
  // Only this supervisor's state: a newer server may already have replaced it.
  try {
    if ((JSON.parse(readFileSync(stateFile, "utf8")) as TrinoServerState).pid === process.pid) {
      rmSync(stateFile, { force: true });
    }
  } catch {
    // no state left
  }
  process.exit(exitCode);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

await main();
