/**
 * The report as one self-contained HTML page: tables rendered here, charts drawn in the page by the
 * inlined uPlot from the data embedded as JSON. Nothing is loaded from elsewhere (no src, no href,
 * no web fonts), so the file opens offline.
 */
import { DROP_REASONS, type LakeReport, type TickerReport } from "@b3/core/report";
import type { PageAssets } from "./page-assets.ts";

export interface ReportPageOptions {
  /** When the report was made (shown in its header). */
  generatedAt: Date;
  assets: PageAssets;
}

/** The whole page for `report`. */
export function renderReportHtml(report: LakeReport, options: ReportPageOptions): string {
  const { assets } = options;
  const charts = report.tickers.map((t) => ({
    ticker: t.ticker,
    x: t.sessions.date.map(epochSeconds),
    close: t.sessions.close,
    ma7: t.sessions.ma7,
    volume: t.sessions.volume,
    gaps: t.missingSessions.map(epochSeconds),
  }));
  const title = `B3 lake report: ${report.tickers.map((t) => t.ticker).join(", ")}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="b3 report">
<title>${escapeHtml(title)}</title>
<style>
${inlineStyle(assets.uplotCss)}
${PAGE_CSS}
</style>
</head>
<body>
<header>
<h1>B3 lake report</h1>
<p class="meta">${headerFacts(report, options.generatedAt)}</p>
<nav>${report.tickers.map((t) => `<a href="#${anchor(t.ticker)}">${escapeHtml(t.ticker)}</a>`).join(" ")}</nav>
</header>
<main>
${overview(report)}
${report.tickers.map((t) => tickerSection(t, report.monthlyColumns)).join("\n")}
</main>
<footer>Made by <code>b3 report</code> from the lake's tables refined_stocks, aggregated_stocks and raw_stocks; charts by uPlot ${escapeHtml(assets.uplotVersion)} (inlined). Dates are session dates in the exchange's time zone; prices as Yahoo sent them, in the ticker's currency (BRL for B3 tickers).</footer>
<script type="application/json" id="b3-report-data">${jsonForScript({ charts })}</script>
<script>
${inlineScript(assets.uplotJs)}
</script>
<script>
${inlineScript(assets.drawChartsJs)}
</script>
</body>
</html>
`;
}

function headerFacts(report: LakeReport, generatedAt: Date): string {
  const { market } = report;
  return [
    `lake <code>${escapeHtml(report.lakeRoot)}</code>`,
    `${report.tickers.length} of ${report.lakeTickers.length} ticker(s)`,
    `sessions ${market.first} → ${market.last} (${market.days} market days)`,
    `${report.rawFiles} raw file(s)`,
    `made ${generatedAt.toISOString().replace("T", " ").slice(0, 19)} UTC`,
  ].join(" · ");
}

/** Lake-wide: rows dropped per ticker and reason, and weekdays without any session. */
function overview(report: LakeReport): string {
  const reasons = dropReasons(report.tickers);
  const head = ["ticker", "raw rows", "sessions", ...reasons]
    .map((h, i) => `<th${i === 0 ? "" : ' class="num"'}>${escapeHtml(h)}</th>`)
    .join("");
  const body = report.tickers
    .map((t) => {
      const cells = reasons
        .map((r) => {
          const n = t.raw.dropped[r] ?? 0;
          return `<td class="num${n > 0 ? " some" : ""}" data-reason="${r}">${whole(n)}</td>`;
        })
        .join("");
      return `<tr data-ticker="${escapeHtml(t.ticker)}"><th scope="row">${escapeHtml(t.ticker)}</th><td class="num">${whole(t.raw.rawRows)}</td><td class="num">${whole(t.raw.sessions)}</td>${cells}</tr>`;
    })
    .join("\n");
  const noKey =
    report.rawRowsWithoutKey > 0
      ? `<p class="warn">${whole(report.rawRowsWithoutKey)} raw row(s) have no ticker or trade date (missing_key) and belong to no ticker.</p>`
      : "";
  const weekdays = report.weekdaysWithoutSession;
  return `<section class="overview">
<h2>Rows dropped per reason</h2>
<p class="note">Every raw row of every raw file, judged by the transform's own rules (glue-scripts/sql): each (ticker, day) counts once, as a session or under the reason it is not one (missing_price, non_positive_price, non_finite_price, non_session: Yahoo's holiday quote); <em>duplicate</em> counts further raw rows of a day already counted (re-extracted versions, merged into one: the latest value wins).</p>
<table id="drops" class="grid">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
${noKey}
<h2>Weekdays without any session</h2>
<p class="note">Monday-to-Friday days between the lake's first and last session on which no ticker of the lake traded: B3 holidays, or days no extract covered. They are not counted as gaps of a ticker.</p>
<p id="weekdays-without-session" data-count="${weekdays.length}">${weekdays.length === 0 ? "none" : weekdays.map((d) => `<time>${d}</time> <small>${weekdayName(d)}</small>`).join(", ")}</p>
</section>`;
}

function tickerSection(t: TickerReport, monthlyColumns: readonly string[]): string {
  const ticker = escapeHtml(t.ticker);
  const first = t.sessions.date[0] ?? "";
  const dropped = Object.entries(t.raw.dropped);
  const gaps = t.missingSessions;
  return `<section class="ticker" id="${anchor(t.ticker)}" data-ticker="${ticker}">
<h2>${ticker}</h2>
<p class="caption">last close <strong class="last-close" data-ticker="${ticker}" data-date="${t.last.date}">${price(t.last.close)}</strong> on <time>${t.last.date}</time> · ${whole(t.sessions.date.length)} sessions from <time>${first}</time></p>
<div class="chart" data-ticker="${ticker}" role="img" aria-label="${ticker}: close, 7-session moving average and volume per session"><noscript>The chart needs JavaScript.</noscript></div>${gaps.length === 0 ? "" : `\n<p class="note gap-key"><span class="swatch"></span> missing session (${gaps.length}): a day other tickers traded</p>`}
<div class="columns">
<div>
<h3>Monthly aggregates <small>(aggregated_stocks)</small></h3>
${monthlyTable(t, monthlyColumns)}
</div>
<div>
<h3>Raw rows</h3>
<p>${whole(t.raw.rawRows)} raw rows: ${whole(t.raw.sessions)} sessions${dropped.length === 0 ? ", none dropped" : `; dropped ${dropped.map(([r, n]) => `${whole(n)} ${escapeHtml(r)}`).join(", ")}`}.</p>
<h3>Gaps in the history</h3>
<p class="gaps" data-ticker="${ticker}" data-count="${gaps.length}">${
    gaps.length === 0
      ? "No missing session: it traded on every day another ticker of the lake traded between its first and last session."
      : `<strong>${gaps.length}</strong> day(s) on which other tickers of the lake traded but ${ticker} has no session: ${gaps.map((d) => `<time>${d}</time>`).join(", ")}`
  }</p>
</div>
</div>
</section>`;
}

function monthlyTable(t: TickerReport, columns: readonly string[]): string {
  if (t.monthly.length === 0)
    return `<p class="warn">No aggregated rows for ${escapeHtml(t.ticker)}.</p>`;
  // A column of numbers is right-aligned, its header too.
  const numeric = columns.map((_, i) => t.monthly.some((row) => typeof row[i] === "number"));
  const head = columns
    .map((c, i) => `<th${numeric[i] ? ' class="num"' : ""}>${escapeHtml(c)}</th>`)
    .join("");
  const rows = t.monthly
    .map((row) => `<tr>${row.map((v, i) => cell(v, columns[i] ?? "")).join("")}</tr>`)
    .join("\n");
  return `<table class="grid monthly" data-ticker="${escapeHtml(t.ticker)}">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** One value of aggregated_stocks: months as YYYY-MM, integers grouped, other numbers to the cent (the full value in its title), booleans as yes/no. */
function cell(value: string | number | boolean | null, column: string): string {
  if (value === null) return `<td class="null">–</td>`;
  if (typeof value === "boolean") return `<td class="bool">${value ? "yes" : "no"}</td>`;
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? `<td class="num">${whole(value)}</td>`
      : `<td class="num" title="${value}">${price(value)}</td>`;
  }
  const text =
    column === "mes_referencia" && /^\d{4}-\d{2}-01$/.test(value) ? value.slice(0, 7) : value;
  return `<td>${escapeHtml(text)}</td>`;
}

/** The transform's reasons in its order (missing_key is lake-wide, shown apart), then any other that occurs. */
function dropReasons(tickers: readonly TickerReport[]): string[] {
  const known: readonly string[] = DROP_REASONS;
  const other = new Set(tickers.flatMap((t) => Object.keys(t.raw.dropped)));
  return [
    ...known.filter((r) => r !== "missing_key"),
    ...[...other].filter((r) => !known.includes(r)).sort(),
  ];
}

const epochSeconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const weekdayName = (date: string) => WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? "";
const whole = (n: number) => n.toLocaleString("en-US");
const price = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const anchor = (ticker: string) => `ticker-${ticker.replace(/[^A-Za-z0-9_-]/g, "-")}`;

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** JSON that cannot end its <script> element: every "<" (so "</script" and "<!--") and the two line separators JavaScript once rejected are escaped. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Code that cannot end its <script> element early. */
const inlineScript = (code: string) => code.replace(/<\/(script)/gi, "<\\/$1");
/** Styles that cannot end their <style> element early. */
const inlineStyle = (css: string) => css.replace(/<\/(style)/gi, "<\\/$1");

/** System fonts only: nothing is fetched. */
const PAGE_CSS = `
:root { color-scheme: light; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --card: #fff; --bg: #f8fafc; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { margin: 0 0 8px; font-size: 19px; }
h3 { margin: 16px 0 6px; font-size: 15px; }
h3 small { color: var(--muted); font-weight: normal; }
.meta, .note, footer { color: var(--muted); }
.meta code { color: var(--ink); }
nav { margin: 8px 0 16px; display: flex; flex-wrap: wrap; gap: 6px; }
nav a { color: var(--accent); text-decoration: none; border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px; background: var(--card); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 0 0 20px; }
.caption { margin: 0 0 10px; color: var(--muted); }
.caption strong { color: var(--ink); font-size: 18px; }
.chart { min-height: 320px; }
.columns { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 24px; }
@media (max-width: 800px) { .columns { grid-template-columns: 1fr; } }
table.grid { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; white-space: nowrap; }
table.grid thead th { font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 2px solid var(--line); }
table.grid .num { text-align: right; }
section h2 + p.note { margin-top: 0; }
table + h2, p + h2 { margin-top: 20px; }
table.grid tbody tr:hover { background: #f1f5f9; }
td.bool, td.null { color: var(--muted); }
.warn { color: #b45309; }
.gap-key { margin: 0; font-size: 12px; text-align: center; }
.swatch { display: inline-block; width: 10px; height: 10px; background: rgba(220, 38, 38, 0.35); vertical-align: middle; }
td.some { color: #b45309; font-weight: 600; }
.gaps time, #weekdays-without-session time { font-variant-numeric: tabular-nums; }
footer { padding-bottom: 32px; font-size: 12px; }
.u-legend { font-size: 12px; }
`;
