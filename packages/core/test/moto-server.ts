/** Vitest globalSetup: one moto server (S3, Glue, IAM… on one port) for the whole run, at `inject("motoEndpoint")` and `process.env.MOTO_ENDPOINT`. */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

const motoServerPath = fileURLToPath(new URL("../../../.venv/bin/moto_server", import.meta.url));
const startupTimeoutMs = 30_000;

export interface MotoServer {
  /** e.g. `http://127.0.0.1:41234` */
  endpoint: string;
  stop(): Promise<void>;
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  provide("motoEndpoint", moto.endpoint);
  // Test workers are forked after globalSetup, so they inherit this for code that reads the environment.
  const previous = process.env.MOTO_ENDPOINT;
  process.env.MOTO_ENDPOINT = moto.endpoint;
  return async () => {
    if (previous === undefined) delete process.env.MOTO_ENDPOINT;
    else process.env.MOTO_ENDPOINT = previous;
    await moto.stop();
  };
}

/** Starts a moto server on a free loopback port and resolves once it answers HTTP. `env` adds to the server's environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`). */
export async function startMotoServer(options?: {
  env?: Record<string, string>;
}): Promise<MotoServer> {
  try {
    await access(motoServerPath, constants.X_OK);
  } catch {
    throw new Error(
      `${motoServerPath} is missing: run \`bash scripts/setup-python.sh\` to create the Python virtualenv with moto[server]`,
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoServerPath, ["-H", "127.0.0.1", "-p", String(port)], {
    env: { ...process.env, ...options?.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // moto logs every request; keep only the tail (for startup errors) and keep reading so its pipe never fills and blocks it.
  let outputTail = "";
  const keepTail = (chunk: Buffer): void => {
    outputTail = (outputTail + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keepTail);
  child.stderr?.on("data", keepTail);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stopOnExit = (): void => {
    child.kill("SIGKILL");
  };
  // A run ended by a signal skips teardown: stop moto, then let the signal do what it would have done.
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    child.kill("SIGKILL");
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  process.once("exit", stopOnExit);
  for (const signal of signals) process.once(signal, stopOnSignal);

  const stop = async (): Promise<void> => {
    process.removeListener("exit", stopOnExit);
    for (const signal of signals) process.removeListener(signal, stopOnSignal);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };

  try {
    await waitUntilAnswering(endpoint, child);
  } catch (error) {
    await stop();
    throw new Error(
      `moto server did not start at ${endpoint}: ${(error as Error).message}\n${outputTail}`,
    );
  }
  return { endpoint, stop };
}

/** Asks the OS for a free port by binding port 0; moto binds it right after (a small race other processes rarely win). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not get a free port");
  return address.port;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no HTTP answer within ${startupTimeoutMs / 1000} s`);
}
