import { existsSync } from "node:fs";
import { chmod, cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type LakeReport, readLakeReport } from "@b3/core/report";
import type { TransformSummary } from "@b3/core/transform";
import { beforeAll, describe, expect, it } from "vitest";
import { tempFolder } from "../../core/test/temp-folder.ts";
import { openerCommand } from "../src/report/open-in-browser.ts";
import { readPageAssets } from "../src/report/page-assets.ts";
import { jsonForScript, renderReportHtml } from "../src/report/report-html.ts";
import { buildReportLake, EXPECTED_GAPS, REPORT_TICKERS } from "./report-lake.ts";
import { runB3 } from "./run-b3.ts";

const root = tempFolder("b3-report-");
let lake: string;
let transform: TransformSummary;
beforeAll(async () => {
  ({ lake, transform } = await buildReportLake(root.path));
}, 60_000);

const report = (...argv: string[]) => runB3(["report", ...argv]);

describe("b3 report", () => {
  it("writes <lake>/report.html by default and prints only its path on stdout", async () => {
    const out = await report("--lake", lake);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`${join(lake, "report.html")}\n`);
    expect(out.stderr).toMatch(
      /^report of 3 ticker\(s\), sessions 2019-12-30 → 2020-06-30, 3 missing session\(s\), 9 weekday\(s\) without any session; \d+ KB\n$/,
    );
    const html = await readFile(join(lake, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    for (const t of REPORT_TICKERS) expect(html).toContain(`<h2>${t}</h2>`);
  });

  it("--out writes where asked (creating its folder), --tickers narrows; no temporary file stays", async () => {
    const file = join(root.path, "out", "deep", "petr.html");
    const out = await report("--lake", lake, "--out", file, "--tickers", "petr4.sa");
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`${file}\n`);
    const html = await readFile(file, "utf8");
    expect(html).toContain("<h2>PETR4.SA</h2>");
    expect(html).not.toContain("<h2>VALE3.SA</h2>");
    // Run again: the file is replaced whole, nothing else appears beside it.
    expect((await report("--lake", lake, "--out", file)).code).toBe(0);
    expect(await readdir(join(root.path, "out", "deep"))).toEqual(["petr.html"]);
    expect(await readFile(file, "utf8")).toContain("<h2>VALE3.SA</h2>");
  });

  it("the page fetches nothing: no src, no href but #anchors, no url(), no @import", async () => {
    const html = await readFile((await report("--lake", lake)).stdout.trim(), "utf8");
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect([...html.matchAll(/\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1]?.[0])).toEqual(
      REPORT_TICKERS.map(() => "#"),
    );
    expect(html).not.toMatch(/url\s*\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<link\b/i);
    // uPlot itself is inlined.
    expect(html).toContain(readPageAssets().uplotJs.slice(0, 200));
  });

  it("a missing lake: a usage error (exit 2), what to do, nothing written", async () => {
    const missing = join(root.path, "no-lake");
    const out = await report("--lake", missing);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toBe(
      `error: no lake at ${missing}: the folder does not exist\n` +
        "  what to do: build one first (b3 run, or npm run demo for an offline sample lake in .lake/demo), or point to an existing lake (--lake / B3_LAKE)\n" +
        "Run with --help for usage.\n",
    );
    expect(existsSync(missing)).toBe(false);
  });

  it("a lake without sessions: exit 1, nothing written", async () => {
    const empty = join(root.path, "empty-lake");
    await mkdir(empty);
    const out = await report("--lake", empty);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`warning: the lake at ${empty} holds no data yet`);
    expect(out.stderr).toContain(`error: the lake at ${empty} has no refined sessions yet\n`);
    expect(out.stderr).toContain("what to do: extract and transform into it first (b3 run;");
    expect(await readdir(empty)).toEqual([]);
  });

  it("flags are checked before anything is written (exit 2)", async () => {
    const file = join(root.path, "never.html");
    const cases: [string[], RegExp][] = [
      [
        ["--tickers", "NOPE3.SA,PETR4.SA"],
        /--tickers: NOPE3\.SA not in the lake at .*\n {2}what to do: name tickers the lake holds: ITUB4\.SA, PETR4\.SA, VALE3\.SA\n/,
      ],
      [["--tickers", ""], /--tickers is empty/],
      [["--out", ""], /--out is empty/],
      [["--out", root.path], /--out .* is a folder/],
      [["--lake", "s3://bucket"], /b3 report reads local lakes only/],
      [["--opn"], /unknown option '--opn'/],
    ];
    for (const [argv, message] of cases) {
      const out = await report("--lake", lake, "--out", file, ...argv);
      expect(out.code, argv.join(" ")).toBe(2);
      expect(out.stderr).toMatch(message);
      expect(existsSync(file)).toBe(false);
    }
  });

  it("--open runs $BROWSER with the file", async () => {
    const opened = join(root.path, "opened.txt");
    const browser = join(root.path, "fake-browser.sh");
    await writeFile(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`);
    await chmod(browser, 0o755);
    const out = await runB3(["report", "--lake", lake, "--open"], { env: { BROWSER: browser } });
    expect(out.code).toBe(0);
    const file = out.stdout.trim();
    expect(out.stderr).toContain(`opened with ${browser} ${file}\n`);
    await expect.poll(() => existsSync(opened) && readFile(opened, "utf8")).toBe(`${file}\n`);
  });

  it("--open with an opener that does not exist: a warning, the file written, exit 0", async () => {
    const out = await runB3(["report", "--lake", lake, "--open"], {
      env: { BROWSER: join(root.path, "no-such-browser") },
    });
    expect(out.code).toBe(0);
    expect(existsSync(out.stdout.trim())).toBe(true);
    expect(out.stderr).toMatch(
      /warning: could not open the report \(.*no-such-browser.*ENOENT\)\n/,
    );
  });
});

describe("the report's data", () => {
  let data: LakeReport;
  beforeAll(async () => {
    data = await readLakeReport(lake);
  });

  it("gaps: sessions missing while other tickers traded; weekdays when none traded", () => {
    expect(Object.fromEntries(data.tickers.map((t) => [t.ticker, t.missingSessions]))).toEqual(
      EXPECTED_GAPS,
    );
    expect(data.weekdaysWithoutSession).toEqual([
      "2019-12-31",
      "2020-01-01",
      "2020-02-24",
      "2020-02-25",
      "2020-02-26",
      "2020-04-10",
      "2020-04-21",
      "2020-05-01",
      "2020-06-11",
    ]);
  });

  it("rows dropped per reason are the transform's own counts", () => {
    const dropped: Record<string, number> = {};
    for (const t of data.tickers) {
      for (const [reason, n] of Object.entries(t.raw.dropped))
        dropped[reason] = (dropped[reason] ?? 0) + n;
      expect(t.raw.sessions).toBe(transform.sessions_per_ticker[t.ticker]);
    }
    expect(dropped).toEqual(transform.dropped);
    expect(dropped).toEqual({ non_session: 1, non_positive_price: 1 });
  });
});

describe("the report of a lake extracted twice", () => {
  it("counts every further raw row of a day as duplicate, as SQL over raw_stocks does", async () => {
    const twice = join(root.path, "twice");
    await cp(lake, twice, { recursive: true });
    const rerun = await runB3(
      [
        "run",
        ...["--replay", join(root.path, "replay"), "--date", "2020-07-02", "--lake", twice],
        ...["--tickers", REPORT_TICKERS.join(","), "--json"],
      ],
      { now: new Date("2020-07-02T12:00:00Z") },
    );
    expect(rerun.code, rerun.stderr).toBe(0);
    const sql = await runB3([
      "query",
      ...["--lake", twice, "--format", "json"],
      "SELECT ticker, count(*) AS raw_rows, count(*) - count(DISTINCT trade_date) AS duplicate FROM raw_stocks GROUP BY 1 ORDER BY 1",
    ]);
    const expected = JSON.parse(sql.stdout) as {
      ticker: string;
      raw_rows: number;
      duplicate: number;
    }[];
    const data = await readLakeReport(twice);
    expect(
      data.tickers.map((t) => ({
        ticker: t.ticker,
        raw_rows: t.raw.rawRows,
        duplicate: t.raw.dropped.duplicate,
      })),
    ).toEqual(expected);
    expect(expected.every((r) => r.duplicate > 100)).toBe(true);
    expect(data.rawFiles).toBe(2);
    // The sessions and the gaps are those of the lake, not of the raw files.
    expect(data.tickers.map((t) => t.missingSessions)).toEqual(Object.values(EXPECTED_GAPS));
  });
});

describe("the page", () => {
  it("shows whatever columns aggregated_stocks has (a new one included)", async () => {
    const data = await readLakeReport(lake, { tickers: ["ITUB4.SA"] });
    const extended: LakeReport = {
      ...data,
      monthlyColumns: [...data.monthlyColumns, "mes_completo"],
      tickers: data.tickers.map((t) => ({
        ...t,
        monthly: t.monthly.map((row) => [...row, false]),
      })),
    };
    const html = renderReportHtml(extended, { generatedAt: new Date(0), assets: readPageAssets() });
    expect(html).toContain("<th>mes_completo</th>");
    expect(html.match(/<td class="bool">no<\/td><\/tr>/g)).toHaveLength(7);
  });

  it("embedded JSON cannot close its <script>", () => {
    const text = jsonForScript({ a: "</script><!-- \u2028" });
    expect(text).not.toMatch(/<\/script|<!--|\u2028/i);
    expect(JSON.parse(text)).toEqual({ a: "</script><!-- \u2028" });
  });

  it("the opener: $BROWSER (with %s or not), else the platform's", () => {
    const file = "/tmp/r.html";
    expect(openerCommand(file, { env: { BROWSER: "firefox --new-tab" } })).toEqual([
      "firefox",
      "--new-tab",
      file,
    ]);
    expect(openerCommand(file, { env: { BROWSER: "b --url=%s" } })).toEqual(["b", `--url=${file}`]);
    expect(openerCommand(file, { env: {}, platform: "linux" })).toEqual(["xdg-open", file]);
    expect(openerCommand(file, { env: {}, platform: "darwin" })).toEqual(["open", file]);
    expect(openerCommand(file, { env: {}, platform: "win32" })).toEqual([
      "cmd",
      "/c",
      "start",
      '""',
      file,
    ]);
  });
});
