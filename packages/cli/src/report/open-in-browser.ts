/**
 * Opens a file with the platform's opener (xdg-open on Linux and other Unix, open on macOS, start on
 * Windows) or with $BROWSER: a command, split on spaces, that gets the file as its last argument,
 * or in place of `%s` when it has one.
 */
import { spawn } from "node:child_process";

export interface OpenOptions {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The command and arguments that open `file`. */
export function openerCommand(file: string, options: OpenOptions): [string, ...string[]] {
  const browser = options.env.BROWSER?.trim();
  if (browser) {
    const [command = "", ...args] = browser.split(/\s+/);
    return args.some((a) => a.includes("%s"))
      ? [command, ...args.map((a) => a.replaceAll("%s", file))]
      : [command, ...args, file];
  }
  switch (options.platform ?? process.platform) {
    case "darwin":
      return ["open", file];
    case "win32":
      // start is a cmd built-in; its first quoted argument is the window title.
      return ["cmd", "/c", "start", '""', file];
    default:
      return ["xdg-open", file];
  }
}

/**
 * Starts the opener, detached, and resolves once it has started; rejects with a message naming
 * the command when it cannot start (not installed). The opener is not waited for: a browser may
 * stay open as long as the person reads.
 */
export function openInBrowser(file: string, options: OpenOptions): Promise<string> {
  const [command, ...args] = openerCommand(file, options);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: "ignore", env: options.env });
    child.once("error", (error) => reject(new Error(`${command}: ${error.message}`)));
    child.once("spawn", () => {
      child.unref();
      resolve([command, ...args].join(" "));
    });
  });
}
