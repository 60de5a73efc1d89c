/**
 * The flags of the b3 command, each declared once: the value it takes, its help, how its text is
 * checked and turned into a value, and its default. A command lists the flags it takes; its parser
 * options, its help and the type of its parsed values all come from that list.
 */

import { type Setting, UsageError } from "@b3/core/errors";
import {
  B3_TIME_ZONE,
  DEFAULT_CONCURRENCY,
  DEFAULT_LOCK_WAIT_MS,
  DEFAULT_TICKERS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WINDOW_MONTHS,
  parseIsoDate,
  parseTickers,
} from "@b3/core/settings";
import { Option } from "commander";
import { LAKE_DEFAULT } from "./defaults.ts";

export interface Flag<T> {
  /** The value's placeholder in help (`N`, `DIR`); a flag without one is a switch. */
  readonly value?: string;
  readonly help: string;
  /** Checks the text given after the flag and turns it into the value; throws a UsageError naming `flag`. */
  readonly parse?: (text: string, flag: string) => T;
  /** The value when the flag is not given; shown in help. */
  readonly default?: T;
  /** The values it accepts, listed in help (`parse` enforces them). */
  readonly choices?: readonly string[];
  /** The environment variable used when the flag is not given, named in remedies beside the flag. */
  readonly env?: string;
}

/** A command's flags by attribute name: `lockWait` is `--lock-wait`. */
export type FlagTable = Record<string, Flag<unknown>>;

/** The parsed values of a command's flags: a flag without a default may be undefined. */
export type Values<T extends FlagTable> = {
  [K in keyof T]: T[K] extends Flag<infer V> ? V : never;
};

type Spec<T> = Omit<Flag<T>, "default" | "parse"> & {
  value: string;
  parse: (text: string, flag: string) => T;
};

/** A flag with a value and no default. */
export const optional = <T>(spec: Spec<T>): Flag<T | undefined> => spec;
/** A flag with a value and a default. */
export const defaulted = <T>(spec: Spec<T> & { default: T }): Flag<T> => spec;
/** A switch: true when given. */
export const toggle = (help: string): Flag<boolean | undefined> => ({ help });

/** `lockWait` → `--lock-wait`. */
export const flagName = (key: string): string =>
  `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The commander option of a declared flag. */
export function toOption(key: string, flag: Flag<unknown>): Option {
  const name = flagName(key);
  const option = new Option(flag.value === undefined ? name : `${name} <${flag.value}>`, flag.help);
  if (flag.choices !== undefined) option.choices(flag.choices);
  const parse = flag.parse;
  // After choices(), which installs its own check: ours gives the project's usage error instead.
  if (parse !== undefined) option.argParser((text: string) => parse(text, name));
  if (flag.default !== undefined) option.default(flag.default);
  return option;
}

export const text = (value: string): string => value;

/** A parser of numbers that `accepts` takes; any other text is a usage error saying it is not `what`. */
const numberOf =
  (accepts: (n: number) => boolean, what: string) =>
  (value: string, flag: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !accepts(n)) {
      throw new UsageError("InvalidValue", `${flag} ${JSON.stringify(value)} is not ${what}`);
    }
    return n;
  };

export const positiveInt = numberOf(
  (n) => Number.isInteger(n) && n >= 1,
  "a positive whole number",
);
export const wholeNumber = numberOf(
  (n) => Number.isInteger(n) && n >= 0,
  "a whole number (0 or more)",
);
export const seconds = numberOf(
  (n) => Number.isFinite(n) && n >= 0,
  "a number of seconds (0 or more)",
);
export const positiveNumber = numberOf((n) => Number.isFinite(n) && n > 0, "a positive number");

/** A parser that accepts one of `values`. */
export const oneOf =
  <const V extends string>(values: readonly V[]) =>
  (value: string, flag: string): V => {
    if (!(values as readonly string[]).includes(value)) {
      throw new UsageError(
        "InvalidValue",
        `${flag} ${JSON.stringify(value)} is not one of ${values.join(", ")}`,
      );
    }
    return value as V;
  };

export const TRANSFORM_ENGINES = ["duckdb", "spark"] as const;
export type TransformEngine = (typeof TRANSFORM_ENGINES)[number];

/** The flags several commands share. */
export const FLAGS = {
  date: optional({
    value: "D",
    help: `run date YYYY-MM-DD (default: today in ${B3_TIME_ZONE})`,
    parse: parseIsoDate,
  }),
  from: optional({
    value: "D0",
    help: `first trade date (default: the day before --date, minus ${DEFAULT_WINDOW_MONTHS} months)`,
    parse: parseIsoDate,
  }),
  tickers: optional({
    value: "A,B",
    help: `Yahoo symbols, comma-separated (default: $B3_TICKERS or ${DEFAULT_TICKERS.join(",")})`,
    parse: parseTickers,
    env: "B3_TICKERS",
  }),
  lake: optional({
    value: "PATH|s3://bucket",
    help: `where the lake is: a folder, or s3://bucket[/prefix] (default: ${LAKE_DEFAULT})`,
    parse: text,
    env: "B3_LAKE",
  }),
  replay: optional({
    value: "DIR",
    help: "answer Yahoo requests from DIR/<SYMBOL>.json (recorded chart bodies), offline",
    parse: text,
  }),
  concurrency: defaulted({
    value: "N",
    help: "tickers downloaded at once",
    parse: positiveInt,
    default: DEFAULT_CONCURRENCY,
  }),
  timeout: defaulted({
    value: "S",
    help: "seconds before one Yahoo request is abandoned",
    parse: positiveInt,
    default: DEFAULT_TIMEOUT_MS / 1000,
  }),
  lockWait: defaulted({
    value: "S",
    help: "seconds to wait for another writer's lake lock",
    parse: seconds,
    default: DEFAULT_LOCK_WAIT_MS / 1000,
  }),
  engine: defaulted({
    value: "E",
    help: "duckdb, or spark: the Glue job itself, on local pyspark",
    choices: TRANSFORM_ENGINES,
    parse: oneOf(TRANSFORM_ENGINES),
    default: "duckdb" as TransformEngine,
  }),
} satisfies FlagTable;

/** The flag that sets each setting a core remedy can name. */
const FLAG_OF: Record<Setting, keyof typeof FLAGS> = {
  runDate: "date",
  from: "from",
  tickers: "tickers",
  lake: "lake",
  replay: "replay",
  concurrency: "concurrency",
  timeout: "timeout",
  lockWait: "lockWait",
  engine: "engine",
};

/** How to change `setting` from the command line: its flag, and its environment variable if it has one. */
export function settingHint(setting: Setting): string {
  const key = FLAG_OF[setting];
  const env: string | undefined = FLAGS[key].env;
  return env === undefined ? flagName(key) : `${flagName(key)} / ${env}`;
}
