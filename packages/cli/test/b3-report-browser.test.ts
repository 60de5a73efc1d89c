/**
 * `b3 report` in a real browser: Debian's chromium, headless, driven by playwright-core, opens the
 * written file with every network request refused, and the test reads what is drawn. A full-page
 * screenshot is kept under test-output/report/ (gitignored) for a person to look at.
 */
import { accessSync, constants } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFolder } from "../../core/test/temp-folder.ts";
import { REPO_ROOT } from "../src/defaults.ts";
import { buildReportLake, EXPECTED_GAPS, REPORT_TICKERS } from "./report-lake.ts";
import { runB3 } from "./run-b3.ts";

const OUTPUT = join(REPO_ROOT, "test-output", "report");

/** $B3_CHROMIUM (another Chromium build, e.g. a CI image's Chrome), else `chromium` on the PATH (scripts/ensure-chromium.sh installs Debian's). */
function chromiumPath(): string {
  if (process.env.B3_CHROMIUM) return process.env.B3_CHROMIUM;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "chromium");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(
    "chromium is not on the PATH: run `bash scripts/ensure-chromium.sh` (npm test does)",
  );
}

/** `b3 query --format json` over the lake. */
async function query(lake: string, sql: string): Promise<Record<string, unknown>[]> {
  const out = await runB3(["query", "--lake", lake, "--format", "json", sql]);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
}

const root = tempFolder("b3-report-browser-");
let lake: string;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];
let fileUrl: string;

beforeAll(async () => {
  ({ lake } = await buildReportLake(root.path));
  await rm(OUTPUT, { recursive: true, force: true });
  await mkdir(OUTPUT, { recursive: true });
  const out = await runB3(["report", "--lake", lake, "--out", join(OUTPUT, "report.html")]);
  expect(out.code, out.stderr).toBe(0);
  fileUrl = pathToFileURL(out.stdout.trim()).href;

  browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    offline: true,
  });
  // Anything but the file itself is refused, and recorded: the page must not need it.
  await context.route("**/*", (route) =>
    route.request().url() === fileUrl ? route.continue() : route.abort(),
  );
  page = await context.newPage();
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(fileUrl);
  await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("b3 report in chromium", () => {
  it("loads nothing but the file, without errors", () => {
    expect(requests).toEqual([fileUrl]);
    expect(pageErrors).toEqual([]);
  });

  it("draws one chart per ticker: a canvas with the close and MA7 lines and the volume bars", async () => {
    expect(await page.evaluate(() => document.body.dataset.chartsDrawn)).toBe("3");
    for (const ticker of REPORT_TICKERS) {
      const chart = page.locator(`.chart[data-ticker="${ticker}"]`);
      expect(await chart.locator("canvas").count()).toBe(1);
      const colours = await chart.locator("canvas").evaluate((canvas: HTMLCanvasElement) => {
        const context = canvas.getContext("2d");
        if (context === null) throw new Error("no 2d context");
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        const nearRgb = (i: number, [r, g, b]: number[]) =>
          Math.abs((data[i] ?? 0) - (r ?? 0)) < 24 &&
          Math.abs((data[i + 1] ?? 0) - (g ?? 0)) < 24 &&
          Math.abs((data[i + 2] ?? 0) - (b ?? 0)) < 24;
        const near = (i: number, rgb: number[]) => nearRgb(i, rgb) && (data[i + 3] ?? 0) > 200;
        const count = { close: 0, ma7: 0, volume: 0, gaps: 0, distinct: 0 };
        const distinct = new Set<number>();
        for (let i = 0; i < data.length; i += 4) {
          distinct.add(
            (((data[i] ?? 0) << 24) |
              ((data[i + 1] ?? 0) << 16) |
              ((data[i + 2] ?? 0) << 8) |
              (data[i + 3] ?? 0)) >>>
              0,
          );
          if (near(i, [37, 99, 235])) count.close++;
          if (near(i, [234, 88, 12])) count.ma7++;
          // The bands behind missing sessions, rgba(220, 38, 38, 0.18).
          if (nearRgb(i, [220, 38, 38]) && (data[i + 3] ?? 0) > 30 && (data[i + 3] ?? 0) < 70)
            count.gaps++;
          // The bars' fill, rgba(100, 116, 139, 0.35): the canvas itself is transparent.
          const alpha = data[i + 3] ?? 0;
          if (
            near(i, [100, 116, 139]) ||
            (alpha > 60 && alpha < 120 && nearRgb(i, [100, 116, 139]))
          )
            count.volume++;
        }
        count.distinct = distinct.size;
        return count;
      });
      expect(colours.close, `${ticker} close line`).toBeGreaterThan(300);
      expect(colours.ma7, `${ticker} MA7 line`).toBeGreaterThan(300);
      expect(colours.volume, `${ticker} volume bars`).toBeGreaterThan(1000);
      expect(colours.distinct, `${ticker} not one colour`).toBeGreaterThan(20);
      // A band per missing session, none where nothing is missing.
      if (EXPECTED_GAPS[ticker]?.length === 0) expect(colours.gaps, `${ticker} gaps`).toBe(0);
      else expect(colours.gaps, `${ticker} gaps`).toBeGreaterThan(200);
    }
  });

  it("shows each ticker's last close as refined_stocks has it", async () => {
    const last = await query(
      lake,
      "SELECT nome_acao, CAST(data_pregao AS VARCHAR) AS d, fechamento FROM refined_stocks " +
        "QUALIFY row_number() OVER (PARTITION BY nome_acao ORDER BY data_pregao DESC) = 1 ORDER BY nome_acao",
    );
    expect(last.map((r) => r.nome_acao)).toEqual([...REPORT_TICKERS]);
    for (const row of last) {
      const shown = page.locator(`.last-close[data-ticker="${row.nome_acao}"]`);
      expect(await shown.isVisible()).toBe(true);
      expect(await shown.textContent()).toBe((row.fechamento as number).toFixed(2));
      expect(await shown.getAttribute("data-date")).toBe(row.d);
      // The chart's legend, away from the cursor, shows the same newest session.
      const legend = await page
        .locator(`.chart[data-ticker="${row.nome_acao}"] .u-legend`)
        .textContent();
      expect(legend).toContain(row.d as string);
      expect(legend).toContain((row.fechamento as number).toFixed(2));
      expect(
        await page.locator(`section[data-ticker="${row.nome_acao}"] .caption`).textContent(),
      ).toMatch(new RegExp(`^last close ${(row.fechamento as number).toFixed(2)} on ${row.d} · `));
    }
  });

  it("has one monthly row per row of aggregated_stocks", async () => {
    const counts = await query(
      lake,
      "SELECT nome_acao, count(*) AS n FROM aggregated_stocks GROUP BY 1 ORDER BY 1",
    );
    let total = 0;
    for (const { nome_acao, n } of counts) {
      expect(await page.locator(`table.monthly[data-ticker="${nome_acao}"] tbody tr`).count()).toBe(
        n,
      );
      total += n as number;
    }
    expect(await page.locator("table.monthly tbody tr").count()).toBe(total);
    expect(total).toBe(21);
  });

  it("shows the rows dropped per reason that SQL over raw_stocks counts", async () => {
    const expected = await query(
      lake,
      `SELECT ticker,
         count(*) FILTER (WHERE open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL) AS missing_price,
         count(*) FILTER (WHERE open <= 0 OR high <= 0 OR low <= 0 OR close <= 0) AS non_positive_price,
         count(*) FILTER (WHERE volume = 0 AND open > 0 AND open = high AND open = low AND open = close) AS non_session,
         count(*) - count(DISTINCT trade_date) AS duplicate
       FROM raw_stocks GROUP BY ticker ORDER BY ticker`,
    );
    const shown = await page.locator("#drops tbody tr").evaluateAll((rows) =>
      rows.map((row) => ({
        ticker: row.getAttribute("data-ticker"),
        ...Object.fromEntries(
          Array.from(row.querySelectorAll("td[data-reason]")).map((td) => [
            td.getAttribute("data-reason"),
            Number(td.textContent?.replace(/,/g, "")),
          ]),
        ),
      })),
    );
    expect(shown).toEqual(expected.map((row) => expect.objectContaining(row)));
    expect(expected.map((r) => [r.non_session, r.non_positive_price])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
  });

  it("lists the gaps of each ticker", async () => {
    for (const [ticker, gaps] of Object.entries(EXPECTED_GAPS)) {
      const shown = page.locator(`.gaps[data-ticker="${ticker}"]`);
      expect(await shown.getAttribute("data-count")).toBe(String(gaps.length));
      expect(await shown.locator("time").allTextContents()).toEqual(gaps);
    }
    expect(await page.locator("#weekdays-without-session").getAttribute("data-count")).toBe("9");
  });

  it("saves a full-page screenshot", async () => {
    const file = join(OUTPUT, "report.png");
    await page.screenshot({ path: file, fullPage: true });
    const png = await readFile(file);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(20)).toBeGreaterThan(2000); // height: the whole page, not the viewport
  });
});
