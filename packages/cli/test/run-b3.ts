/** Runs the b3 command as a person would from a shell, capturing its output: in-process, or as a child process. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Capture } from "../../core/test/capture.ts";
import { main } from "../src/b3.ts";
import type { CliIo } from "../src/cli-io.ts";

export interface B3Options {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Whether stderr is seen as a terminal (progress is shown only there); default a pipe. */
  ttyStderr?: boolean;
  /** Where the user stands; default the test process's folder. */
  cwd?: string;
  /** The clock; default the real one. */
  now?: Date;
}

export async function runB3(argv: string[], options: B3Options = {}) {
  const stdout = new Capture();
  const stderr = new Capture({ isTTY: options.ttyStderr ?? false });
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    now: () => options.now ?? new Date(),
    fetch: options.fetch ?? globalThis.fetch,
  };
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const B3 = fileURLToPath(new URL("../src/b3.ts", import.meta.url));

/**
 * `b3 …` in a child process, for what only a real process shows (its own stdout, locks between
 * processes): resolves with its exit code and output. `env` replaces the child's environment.
 */
export function runB3Process(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [B3, ...argv], {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
