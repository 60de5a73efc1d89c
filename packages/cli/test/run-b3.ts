/** Runs the b3 command in-process, as a person would from a shell, capturing its output. */
import { Writable } from "node:stream";
import { main } from "../src/b3.ts";
import type { CliIo } from "../src/cli-io.ts";

class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

export interface B3Options {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** The clock; default the real one. */
  now?: Date;
}

export async function runB3(argv: string[], options: B3Options = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    now: () => options.now ?? new Date(),
    fetch: options.fetch ?? globalThis.fetch,
  };
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
