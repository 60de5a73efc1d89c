/** The local Trino the CLI uses: the download in the user's cache, a Java 24+, and the server of its run folder. */
import { join } from "node:path";
import { UsageError } from "@b3/core/errors";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  ensureTrinoInstalled,
  ensureTrinoServer,
  findJava,
  type TrinoServerState,
  trinoHome,
} from "@b3/core/query";
import type { CliIo } from "./cli-io.ts";

export interface LocalTrino {
  home: string;
  /** The server's configuration, metastore, log and state: `<home>/server`, or $B3_TRINO_RUN_DIR. */
  runDir: string;
}

export function localTrino(env: NodeJS.ProcessEnv): LocalTrino {
  const home = trinoHome(env);
  return { home, runDir: env.B3_TRINO_RUN_DIR || join(home, "server") };
}

/** `minutes` (from --idle-minutes), else $B3_TRINO_IDLE_MINUTES, else the default, in ms. */
export function idleTimeoutMs(env: NodeJS.ProcessEnv, minutes?: number): number {
  if (minutes !== undefined) return minutes * 60_000;
  const text = env.B3_TRINO_IDLE_MINUTES;
  if (text === undefined || text === "") return DEFAULT_IDLE_TIMEOUT_MS;
  const fromEnv = Number(text);
  if (!Number.isFinite(fromEnv) || fromEnv <= 0) {
    throw new UsageError(
      "InvalidValue",
      `B3_TRINO_IDLE_MINUTES ${JSON.stringify(text)} is not a positive number of minutes`,
    );
  }
  return fromEnv * 60_000;
}

/** Installs Trino when missing, then returns its running server, started if need be. */
export async function startLocalTrino(io: CliIo, idleMinutes?: number): Promise<TrinoServerState> {
  const { home, runDir } = localTrino(io.env);
  const idle = idleTimeoutMs(io.env, idleMinutes);
  // Java first: no point downloading 800 MB for a server that cannot start.
  const java = findJava(io.env);
  const installDir = await ensureTrinoInstalled({ home, env: io.env, progress: io.stderr });
  return ensureTrinoServer({
    installDir,
    runDir,
    java: java.java,
    ...(io.env.B3_TRINO_HEAP ? { heap: io.env.B3_TRINO_HEAP } : {}),
    idleTimeoutMs: idle,
    onStart: (message) => io.stderr.write(`${message}\n`),
  });
}
