import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GLOBAL_FLAGS, loadCommands } from "../src/b3.ts";
import { REPO_ROOT } from "../src/defaults.ts";
import { flagName } from "../src/flags.ts";
import { commandReference, REFERENCE_FILE } from "../src/reference.ts";

/** Every Markdown file a reader of the repository meets: README.md and docs/. */
const markdown = [
  join(REPO_ROOT, "README.md"),
  ...readdirSync(join(REPO_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(REPO_ROOT, "docs", name)),
];

const COMMANDS = await loadCommands();

describe("the command reference", () => {
  it("docs/CLI.md is what the commands' declarations say (npm run docs:cli rewrites it)", () => {
    expect(readFileSync(REFERENCE_FILE, "utf8")).toBe(commandReference(COMMANDS));
  });

  it("every b3 command line in README.md and docs/ uses flags that command declares", () => {
    const globals = GLOBAL_FLAGS.flatMap(([names]) => names.split(", "));
    const known = new Map(
      COMMANDS.map((c) => [c.name, new Set([...Object.keys(c.flags).map(flagName), ...globals])]),
    );
    const unknown: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      const text = readFileSync(file, "utf8");
      // A command line runs to the end of its code span or line.
      for (const match of text.matchAll(/\bb3 ([a-z]+)\b([^`\n]*)/g)) {
        const flags = known.get(match[1] ?? "");
        if (flags === undefined) continue;
        for (const flag of (match[2] ?? "").match(/(?<=\s)--[a-z][a-z-]*/g) ?? []) {
          checked += 1;
          if (!flags.has(flag)) unknown.push(`${file}: b3 ${match[1]} ${flag}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
