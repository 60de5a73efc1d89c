/** Core's errors have one shape and name no command-line flag: how to change a setting is its interface's business. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { B3Error, UsageError } from "../src/errors.ts";
import { TICKER_REMEDIES, YahooChartError } from "../src/extract/index.ts";
import { LakeError, RawFileError } from "../src/lake/index.ts";
import { AthenaQueryError, TrinoQueryError, TrinoSetupError } from "../src/query/index.ts";
import { TransformError } from "../src/transform/index.ts";
import { TriggerError } from "../src/trigger/index.ts";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const sources = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ file: f, text: readFileSync(join(SRC, f), "utf8") }));

/** `--word` tokens core may hold: the Glue job's own arguments, and a reserved S3 bucket suffix. */
const NOT_CLI_FLAGS = new Set([
  "--raw_path",
  "--lake_root",
  "--lake_lock",
  "--ingestion_date",
  "--ol-s3",
]);

describe("one error shape", () => {
  it("every error class of core derives from B3Error, declared in its domain's errors.ts", () => {
    const declared = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/class (\w+) extends (\w+)/g)].map(([, name, base]) => ({
        file,
        name,
        base,
      })),
    );
    for (const { file, name, base } of declared) {
      if (name === "B3Error") expect(file).toBe("errors.ts");
      else
        expect({ name, file, base }).toEqual({
          name,
          file: expect.stringMatching(/(^|\/)errors\.ts$/),
          base: "B3Error",
        });
    }
  });

  it.each([
    new UsageError("InvalidValue", "m", { remedy: "r", settings: ["runDate"] }),
    new LakeError("Locked", "m", { remedy: "r", key: "_lake.lock" }),
    new RawFileError("NotRaw", "m"),
    new YahooChartError("timeout", "PETR4.SA", "m"),
    new TransformError("RawMissing", "m", { remedy: "r" }),
    new AthenaQueryError("Failed", "m"),
    new TrinoQueryError("QueryFailed", "m", { sql: "SELECT 1" }),
    new TrinoSetupError("JavaMissing", "m", { remedy: "r" }),
    new TriggerError("GlueBusy", "m"),
  ])("%s has kind, code, message, remedy, settings and cause", (error) => {
    expect(error).toBeInstanceOf(B3Error);
    expect(error).toBeInstanceOf(Error);
    expect(error.kind).toMatch(/^[a-z-]+$/);
    expect(error.code).toMatch(/^\w+$/);
    expect(error.message).toBe("m");
    expect(error.name).toBe(error.constructor.name);
    expect(Array.isArray(error.settings)).toBe(true);
  });

  it("keeps the cause, and a chart error carries the remedy of its code", () => {
    const cause = new Error("socket hang up");
    const error = new YahooChartError("rate_limited", "PETR4.SA", "Yahoo answered 429", cause);
    expect(error).toMatchObject({ kind: "yahoo", code: "rate_limited", cause, retryable: true });
    expect(error.remedy).toBe(TICKER_REMEDIES.rate_limited.remedy);
    expect(error.settings).toEqual(["concurrency"]);
  });
});

describe("core names no command-line flag", () => {
  it("no source file of core holds a --flag", () => {
    const found = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/(?<![\w-])--[a-z][\w-]*/g)]
        .map(([token]) => token)
        .filter((token) => !NOT_CLI_FLAGS.has(token))
        .map((token) => `${file}: ${token}`),
    );
    expect(found).toEqual([]);
  });

  it("no ticker remedy does", () => {
    for (const { remedy } of Object.values(TICKER_REMEDIES)) expect(remedy).not.toMatch(/--/);
  });
});
