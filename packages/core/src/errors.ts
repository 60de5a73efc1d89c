/**
 * The one shape of the project's own errors: which family (`kind`) and which case (`code`), what
 * happened (`message`), what to do about it (`remedy`), and the underlying `cause`. Each domain
 * declares its errors in its own `errors.ts`; whoever shows them (the CLI, a Lambda log) renders
 * message and remedy, and may name its own way of changing each setting the remedy is about.
 */

/**
 * An input a remedy asks to change, named by what it means rather than by how an interface spells
 * it: the CLI turns each into its flag, a deployment into its configuration.
 */
export type Setting =
  | "runDate"
  | "from"
  | "tickers"
  | "lake"
  | "replay"
  | "concurrency"
  | "timeout"
  | "lockWait"
  | "engine";

/** What to do about a failure: words that name no interface's flags, and the settings they are about. */
export interface Remedy {
  remedy?: string | undefined;
  settings?: readonly Setting[] | undefined;
}

export interface B3ErrorOptions extends Remedy {
  cause?: unknown;
}

export abstract class B3Error<Code extends string = string> extends Error {
  /** The family, one per class (`"lake"`, `"yahoo"`, …): what a renderer switches on. */
  abstract readonly kind: string;
  /** The case within the family, stable for programs (`"NotFound"`, `"rate_limited"`, …). */
  readonly code: Code;
  /** What the person running it can do, or undefined when there is nothing to do but read the message. */
  readonly remedy: string | undefined;
  /** The settings the remedy is about (empty when it is about none). */
  readonly settings: readonly Setting[];
  constructor(code: Code, message: string, options: B3ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remedy = options.remedy;
    this.settings = options.settings ?? [];
  }
}

export type UsageErrorCode = "InvalidValue" | "MissingValue" | "Conflict";

/** An invalid argument from the person or system calling us (bad date, bad ticker list): nothing attempted. */
export class UsageError extends B3Error<UsageErrorCode> {
  override name = "UsageError";
  readonly kind = "usage";
}
