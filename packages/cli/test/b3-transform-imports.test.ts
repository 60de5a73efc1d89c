/** `b3 transform` loads what a transform needs and no more: neither the AWS SDK, nor the extract's Yahoo client and zod, nor the query engines. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { tempFolder } from "../../core/test/temp-folder.ts";

const B3 = fileURLToPath(new URL("../src/b3.ts", import.meta.url));

// Reports every module the process resolves (import and require alike) on stderr, one per line.
const RECORD_MODULES = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    process.stderr.write("module " + resolved.url + "\\n");
    return resolved;
  },
});`)}`;

const root = tempFolder("b3-imports-");

/** The modules `b3 args` resolves, as URLs. */
function modulesOf(args: string[]): string[] {
  const run = spawnSync(process.execPath, ["--import", RECORD_MODULES, B3, ...args], {
    encoding: "utf8",
  });
  return run.stderr
    .split("\n")
    .filter((line) => line.startsWith("module "))
    .map((line) => line.slice("module ".length));
}

describe("what b3 loads", () => {
  it("b3 transform loads DuckDB but not the AWS SDK, yahoo-finance2, zod or the query engines", () => {
    const lake = join(root.path, "lake");
    const date = ["--lake", lake, "--date", "2020-07-01"];
    // A raw file to transform, so that the transform gets as far as opening DuckDB.
    const extract = spawnSync(
      process.execPath,
      [B3, "extract", ...date, "--replay", FIXTURES, "--tickers", "PETR4.SA"],
      { encoding: "utf8" },
    );
    expect(extract.status, extract.stderr).toBe(0);
    const modules = modulesOf(["transform", ...date]);
    expect(modules.some((url) => url.includes("/@duckdb/node-api/"))).toBe(true);
    const unneeded = modules.filter((url) =>
      /\/node_modules\/(@aws-sdk|yahoo-finance2|zod)\/|\/packages\/core\/src\/(query|extract\/yahoo-chart|extract\/extract)\b/.test(
        url,
      ),
    );
    expect(unneeded).toEqual([]);
  });

  it("b3 help loads every command, the query engines among them", () => {
    const modules = modulesOf(["help"]);
    expect(modules.some((url) => url.includes("/packages/core/src/query/"))).toBe(true);
  });
});
