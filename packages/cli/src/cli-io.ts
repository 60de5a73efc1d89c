/** What a command talks to: its output streams, environment and clock — passed in so commands run the same in tests. */
import { styleText } from "node:util";
import type { ExtractStatus } from "@b3/core/extract";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The folder relative paths are taken from: where the user stands. */
  cwd: string;
  now: () => Date;
  /** The fetch Yahoo is reached through; tests point it at a local server. */
  fetch: typeof fetch;
}

export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: userFolder(process.env),
  now: () => new Date(),
  fetch: globalThis.fetch,
});

/**
 * Where the user stands. `npm run b3 -- …` runs the command from the repository root, and npm keeps
 * the folder it was typed in as INIT_CWD; any other way of running b3 keeps the process's own.
 */
function userFolder(env: NodeJS.ProcessEnv): string {
  return env.npm_lifecycle_event === "b3" && env.INIT_CWD ? env.INIT_CWD : process.cwd();
}

/** The width to fit tables to: the terminal's, or none when the output is not a terminal. */
export function terminalWidth(stream: CliIo["stdout"]): number | undefined {
  const columns = (stream as { columns?: number }).columns;
  return stream.isTTY === true && columns !== undefined && columns > 0 ? columns : undefined;
}

type Style = Parameters<typeof styleText>[0];

/** `text` styled only when `stream` is a colour terminal (honours NO_COLOR / FORCE_COLOR). */
export function paint(stream: CliIo["stderr"], style: Style, text: string): string {
  return styleText(style, text, { validateStream: true, stream });
}

/** Exit codes of every command (README, "The b3 command"). */
export const EXIT = { ok: 0, nothingWritten: 1, usage: 2, partial: 3 } as const;

/** The exit code of each way a run can end. */
export const STATUS_EXIT: Record<ExtractStatus, number> = {
  ok: EXIT.ok,
  partial: EXIT.partial,
  failed: EXIT.nothingWritten,
};
