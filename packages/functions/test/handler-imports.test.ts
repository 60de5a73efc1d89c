/** The handlers' static import graph: each reaches only the core domains it needs, and never DuckDB, Trino or the CLI. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CORE_EXPORTS = JSON.parse(readFileSync(`${REPO}packages/core/package.json`, "utf8"))
  .exports as Record<string, string>;

/** Every module `entry` reaches through static imports: repository files by path, packages by name. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const [, type, spec] of source.matchAll(
      /^\s*(?:import|export)\s+(type\s+)?[^"';]*?from\s+"([^"]+)"/gm,
    )) {
      if (type || spec === undefined) continue; // type-only imports vanish at run time
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else if (spec.startsWith("@b3/core/")) {
        const target = CORE_EXPORTS[`./${spec.slice("@b3/core/".length)}`];
        if (target === undefined) throw new Error(`${file}: ${spec} is not a core entry point`);
        visit(resolve(REPO, "packages/core", target));
      } else packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec);
    }
  };
  visit(resolve(REPO, entry));
  return { files, packages };
}

const coreDomains = (files: Set<string>) =>
  [...files]
    .filter((f) => f.includes("/packages/core/src/"))
    .map((f) => f.split("/packages/core/src/")[1]?.split("/")[0])
    .filter((d, i, all) => all.indexOf(d) === i)
    .sort();

describe("handler imports", () => {
  it("the extract handler reaches extract and lake only, without DuckDB", () => {
    const { files, packages } = reach("packages/functions/src/extract.ts");
    expect(coreDomains(files)).toEqual(["aws-failure.ts", "errors.ts", "extract", "lake"]);
    expect([...packages].filter((p) => /duckdb|trino/.test(p))).toEqual([]);
  });

  it("the trigger handler reaches the trigger, the lake layout and the shared error modules only", () => {
    const { files, packages } = reach("packages/functions/src/trigger-glue.ts");
    expect(coreDomains(files)).toEqual(["errors.ts", "lake", "trigger"]);
    expect(packages.has("@duckdb/node-api")).toBe(false);
  });
});
