/** The command line itself: version, typo suggestions, `help <command>`, help derived from each command's one declaration, and flags checked before anything is attempted. */
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_LOCK_WAIT_MS } from "@b3/core/lake";
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from "@b3/core/settings";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { tempFolder } from "../../core/test/temp-folder.ts";
import { COMMAND_NAMES, loadCommands } from "../src/b3.ts";
import { extract } from "../src/commands/extract.ts";
import { run } from "../src/commands/run.ts";
import { transform } from "../src/commands/transform.ts";
import { flagName } from "../src/flags.ts";
import { runB3 } from "./run-b3.ts";

const ROOT_PACKAGE = new URL("../../../package.json", import.meta.url);

const root = tempFolder("b3-command-");

/** A fetch that fails the test if anything reaches for the network. */
const noFetch: typeof fetch = async () => {
  throw new Error("nothing may be fetched before the flags are checked");
};
/** One ticker from the recorded bodies: a run that would write if its flags were right. */
const replay = ["--replay", FIXTURES, "--tickers", "PETR4.SA", "--date", "2020-07-01"];
const b3 = (argv: string[]) =>
  runB3(argv, { fetch: noFetch, now: new Date("2020-07-01T12:00:00Z") });

describe("b3 --version", () => {
  it.each([["--version"], ["-V"]])("%s prints the repository's version (exit 0)", async (flag) => {
    const { version } = JSON.parse(readFileSync(ROOT_PACKAGE, "utf8"));
    const out = await b3([flag]);
    expect(out).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});

describe("typos", () => {
  it("an unknown command suggests the nearest one (exit 2)", async () => {
    const out = await b3(["extrat"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      "error: unknown command 'extrat'\n(Did you mean extract?)\nRun with --help for usage.\n",
    );
  });

  it("an unknown flag suggests the nearest flag of that command (exit 2)", async () => {
    const out = await b3(["extract", "--tickrs", "PETR4.SA"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("error: unknown option '--tickrs'\n(Did you mean --tickers?)");
    const query = await b3(["query", "--formt", "csv", "SELECT 1"]);
    expect(query.stderr).toContain("(Did you mean --format?)");
  });
});

describe("b3 help <command>", () => {
  it.each(COMMAND_NAMES.map((name) => [name]))(
    "help %s prints what --help prints (exit 0)",
    async (name) => {
      const viaHelp = await b3(["help", name]);
      const viaFlag = await b3([name, "--help"]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: b3 ${name} `));
      expect(viaHelp).toEqual(viaFlag);
    },
  );

  it("help alone lists every command (exit 0); help of an unknown command is a usage error", async () => {
    const top = await b3(["help"]);
    expect(top.code).toBe(0);
    const flat = top.stdout.replace(/\s+/g, " ");
    for (const { name, summary } of await loadCommands()) {
      expect(flat).toContain(` ${name} `);
      expect(flat).toContain(summary);
    }
    expect(top.stdout).toContain("help [command]");
    expect((await b3(["help", "nope"])).code).toBe(2);
  });
});

describe("help from each command's declaration", () => {
  it("b3 run lists every flag of extract and of transform, with the same words", async () => {
    const help = (await b3(["run", "--help"])).stdout;
    for (const spec of [extract, transform]) {
      for (const key of Object.keys(spec.flags)) expect(help).toContain(flagName(key));
    }
    expect(help).toContain("--samples <N>");
    // The extract flags are not cut out of another help text: each appears once, with its own help.
    expect(help.match(/--concurrency/g)).toHaveLength(1);
    expect(help).toMatch(/--engine <E>\s+duckdb, or spark/);
    expect(Object.keys(run.flags)).toEqual(
      expect.arrayContaining([...Object.keys(extract.flags), ...Object.keys(transform.flags)]),
    );
  });

  it("shows the defaults that core states, as core states them", async () => {
    const help = (await b3(["extract", "--help"])).stdout.replace(/\s+/g, " ");
    expect(help).toContain(`tickers downloaded at once (default: ${DEFAULT_CONCURRENCY})`);
    expect(help).toContain(`abandoned (default: ${DEFAULT_TIMEOUT_MS / 1000})`);
    expect(help).toContain(`lake lock (default: ${DEFAULT_LOCK_WAIT_MS / 1000})`);
    const query = (await b3(["query", "--help"])).stdout.replace(/\s+/g, " ");
    expect(query).toContain('default: "table"');
    expect(query).toContain('default: "duckdb"');
  });
});

describe("flags are checked before anything is attempted", () => {
  const lakeAt = (name: string) => join(root.path, name);

  it.each([
    [["--engine", "foo"], /^error: --engine "foo" is not one of duckdb, spark\n/],
    [["--samples", "abc"], /^error: --samples "abc" is not a whole number \(0 or more\)\n/],
    [["--samples", "-1"], /--samples "-1" is not a whole number/],
    [["--lock-wait", "soon"], /--lock-wait "soon" is not a number of seconds/],
    [["--date", "2020-07-01", "--from", "2020-07-01"], /window start 2020-07-01 is after/],
  ])("b3 run %j: usage error (exit 2), the lake untouched", async (flags, message) => {
    const lake = lakeAt(flags.join("").replace(/\W/g, ""));
    const out = await b3(["run", ...replay, "--lake", lake, ...flags]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/Run with --help for usage\.\n$/);
    expect(out.stdout).toBe("");
    expect(existsSync(lake)).toBe(false);
  });

  it("b3 run on an S3 lake is refused before the extract writes to it", async () => {
    const out = await b3(["run", "--tickers", "PETR4.SA", "--lake", "s3://some-bucket"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: b3 run transforms on a local lake/);
    expect(out.stdout).toBe("");
  });

  it("the same run with valid flags does write (the checks above are not vacuous)", async () => {
    const lake = lakeAt("valid");
    const out = await b3(["run", ...replay, "--lake", lake, "--samples", "0"]);
    expect(out.code).toBe(0);
    expect(out.stdout).not.toContain("newest refined rows");
    expect(await readdir(join(lake, "raw"))).toEqual(["ingestion_date=2020-07-01"]);
  });
});

describe("what to do, with the flags that do it", () => {
  it("a core remedy about a setting is shown with that setting's flag and variable", async () => {
    const lake = join(root.path, "remedy");
    const out = await runB3(
      ["extract", "--replay", FIXTURES, "--tickers", "PETR4.SA,ZZZZ3.SA", "--lake", lake],
      { now: new Date("2018-01-10T12:00:00Z") },
    );
    expect(out.code).toBe(3);
    // Under --replay the missing recording is named, with the ones there are.
    expect(out.stderr).toContain(
      `error: ZZZZ3.SA: no replay file ${FIXTURES}/ZZZZ3.SA.json; it has ITUB4.SA, PETR4.SA, VALE3.SA, ` +
        "real-body-600497.SS-with-nulls, real-body-PETR4.SA-2022-12\n" +
        "  what to do: choose tickers that have a recording, or record this one's chart body there (--tickers / B3_TICKERS, --replay)\n",
    );
    // Errors are diagnostics: stdout holds the report alone.
    expect(out.stdout).not.toContain("error:");
  });

  it("b3 run --json prints the extract report, the transform summary and the newest rows", async () => {
    const out = await b3([
      "run",
      ...replay,
      "--lake",
      join(root.path, "json"),
      "--samples",
      "2",
      "--json",
    ]);
    expect(out.code).toBe(0);
    const printed = JSON.parse(out.stdout);
    // One key casing in every JSON: snake_case, like the columns and the Glue job's summary.
    expect(printed.extract).toMatchObject({ status: "ok", rows_written: 123, rows_kept: 0 });
    expect(printed.extract.window).toMatchObject({ run_date: "2020-07-01" });
    expect(printed.extract.outcomes[0]).toMatchObject({ first_date: "2019-12-30" });
    expect(JSON.stringify(printed)).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/);
    expect(printed.transform).toMatchObject({ sessions: 123 });
    expect(printed.newest).toHaveLength(2);
    expect(printed.newest[0]).toMatchObject({ nome_acao: "PETR4.SA", data_pregao: "2020-06-30" });
  });
});
