/**
 * One truth whatever the order: random sequences of extracts and transforms (dates in any order,
 * overlapping windows, gaps filled later, revised prices, NULL answers, tickers coming and going)
 * leave refined and aggregated equal to one transform over every raw file, never make a written
 * cell NULL, and rewrite only the partitions a run owns or changes.
 */
import { cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { addDays } from "../src/extract/calendar.ts";
import { extractToLake } from "../src/extract/extract.ts";
import { extractWindow } from "../src/extract/window.ts";
import type { ChartResult, FetchChart } from "../src/extract/yahoo-chart.ts";
import { rawKey } from "../src/lake/layout.ts";
import { localLake } from "../src/lake/local-lake.ts";
import { queryLake } from "../src/query/lake-duckdb.ts";
import { transformWithDuckDB } from "../src/transform/duckdb.ts";
import type { TransformSummary } from "../src/transform/summary.ts";

const TICKERS = ["AAAA3.SA", "BBBB4.SA", "CCCC3.SA"] as const;
/** Run dates: 2020-03-02 + k days; windows reach back at most 30 days. */
const FIRST_RUN = "2020-03-02";

/** One extract: which tickers, which run date, how far back, and how Yahoo answers. */
interface ExtractStep {
  kind: "extract";
  day: number;
  back: number;
  tickers: boolean[];
  /** Price revision: the same day answers other prices after a revision. */
  revision: number;
  /** Days (offsets from the window start) Yahoo leaves out of this answer. */
  gaps: number[];
  nullVolumes: boolean;
  nullAdjclose: boolean;
}
interface TransformStep {
  kind: "transform";
  /** Index into the dates extracted so far (modulo). */
  pick: number;
}
type Step = ExtractStep | TransformStep;

const extractStep: fc.Arbitrary<ExtractStep> = fc.record({
  kind: fc.constant("extract" as const),
  day: fc.integer({ min: 0, max: 40 }),
  back: fc.integer({ min: 3, max: 30 }),
  tickers: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
  revision: fc.integer({ min: 0, max: 2 }),
  gaps: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }),
  nullVolumes: fc.boolean(),
  nullAdjclose: fc.boolean(),
});
const transformStep: fc.Arbitrary<TransformStep> = fc.record({
  kind: fc.constant("transform" as const),
  pick: fc.nat(),
});
const steps = fc.array(fc.oneof(extractStep, extractStep, transformStep), {
  minLength: 2,
  maxLength: 7,
});

/** A deterministic price for (ticker, day, revision), in cents like B3's tick. */
function price(ticker: string, date: string, revision: number): number {
  let h = revision * 7919;
  for (const ch of `${ticker}${date}`) h = (h * 31 + ch.charCodeAt(0)) % 100_003;
  return 10 + (h % 2000) / 100;
}

/** Yahoo as a function of the step: weekday sessions in the window, minus the gaps. */
function fakeYahoo(step: ExtractStep): FetchChart {
  return async (symbol, window) => {
    const quotes: ChartResult["quotes"] = [];
    for (let d = window.from, i = 0; d <= window.to; d = addDays(d, 1), i++) {
      const weekday = new Date(`${d}T12:00:00Z`).getUTCDay();
      if (weekday === 0 || weekday === 6 || step.gaps.includes(i)) continue;
      const close = price(symbol, d, step.revision);
      quotes.push({
        date: new Date(`${d}T13:00:00Z`),
        open: close - 0.1,
        high: close + 0.2,
        low: close - 0.3,
        close,
        adjclose: step.nullAdjclose ? null : close * 0.9,
        volume: step.nullVolumes ? null : 1000 + i,
      });
    }
    return { meta: { symbol, exchangeTimezoneName: "America/Sao_Paulo" }, quotes };
  };
}

const lakes: string[] = [];
afterAll(async () => {
  await Promise.all(lakes.map((l) => rm(l, { recursive: true, force: true })));
});
async function newLake(): Promise<string> {
  const lake = await mkdtemp(join(tmpdir(), "b3-truth-"));
  lakes.push(lake);
  return lake;
}

const REFINED = "SELECT * FROM refined_stocks ORDER BY nome_acao, data_pregao";
const AGGREGATED = "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia";
const rowsOf = async (lake: string, sql: string) => (await queryLake(lake, sql)).rows;

/** What one transform over a copy of every raw file gives. */
async function oracle(lake: string, runDate: string) {
  const fresh = await newLake();
  await cp(join(lake, "raw"), join(fresh, "raw"), { recursive: true });
  const summary = await transformWithDuckDB({ lakeRoot: fresh, ingestionDate: runDate });
  return {
    refined: await rowsOf(fresh, REFINED),
    aggregated: await rowsOf(fresh, AGGREGATED),
    wholeTable: wholeTableOf(summary),
  };
}

/** The run summary's figures of the whole table (not of what the run wrote). */
const wholeTableOf = (s: TransformSummary) => ({
  refined_rows_total: s.refined_rows_total,
  newest_session: s.newest_session,
  aggregated_rows: s.aggregated_rows,
});

/** Partition folder → modification time of its files, to see which ones a run rewrote. */
async function partitionStamps(lake: string): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  const refined = join(lake, "refined");
  for (const partition of await readdir(refined).catch(() => [] as string[])) {
    const files = await readdir(join(refined, partition));
    const times = await Promise.all(
      files.map(async (f) => (await stat(join(refined, partition, f))).ino),
    );
    stamps.set(partition, `${files.join(",")}@${times.join(",")}`);
  }
  return stamps;
}

/** Refined rows keyed by ticker and date, for the never-worse and which-changed checks. */
function byKey(rows: unknown[][]): Map<string, unknown[]> {
  return new Map(rows.map((r) => [`${r[0]}|${r[11]}`, r]));
}

async function play(sequence: Step[]): Promise<void> {
  const lake = await newLake();
  const extracted: string[] = [];
  /** Trade dates of raw files written since their last transform. */
  let pendingDates = new Set<string>();
  /** Trade dates each raw file (by run date) covers. */
  const datesOfFile = new Map<string, Set<string>>();
  let clock = Date.parse("2026-01-01T09:00:00Z");
  for (const step of sequence) {
    if (step.kind === "extract") {
      const runDate = addDays(FIRST_RUN, step.day);
      const tickers = TICKERS.filter((_, i) => step.tickers[i]);
      if (tickers.length === 0) continue;
      const window = extractWindow({ runDate, from: addDays(runDate, -step.back) });
      clock += 60_000;
      const report = await extractToLake({
        tickers,
        window,
        lake: localLake(lake),
        fetchChart: fakeYahoo(step),
        now: () => new Date(clock),
        retry: { retries: 0 },
      });
      if (report.key === undefined) continue;
      if (!extracted.includes(runDate)) extracted.push(runDate);
      const covered = datesOfFile.get(runDate) ?? new Set<string>();
      for (let d = window.from; d <= window.to; d = addDays(d, 1)) {
        pendingDates.add(d);
        covered.add(d);
      }
      datesOfFile.set(runDate, covered);
      continue;
    }
    if (extracted.length === 0) continue;
    const runDate = extracted[step.pick % extracted.length] as string;
    const beforeRows = byKey(await rowsOf(lake, REFINED));
    const beforeStamps = await partitionStamps(lake);
    const summary = await transformWithDuckDB({ lakeRoot: lake, ingestionDate: runDate });
    const refined = await rowsOf(lake, REFINED);
    const expected = await oracle(lake, runDate);
    expect(refined).toEqual(expected.refined);
    expect(await rowsOf(lake, AGGREGATED)).toEqual(expected.aggregated);
    expect(wholeTableOf(summary)).toEqual(expected.wholeTable);

    const afterRows = byKey(refined);
    for (const [key, before] of beforeRows) {
      const after = afterRows.get(key);
      expect(after, `row ${key} kept`).toBeDefined();
      before.forEach((cell, i) => {
        if (cell !== null) expect(after?.[i], `${key} column ${i} never NULL again`).not.toBeNull();
      });
    }
    // Only own partitions (dates of keys applied now) and partitions whose rows changed are rewritten.
    const afterStamps = await partitionStamps(lake);
    for (const [partition, stampBefore] of beforeStamps) {
      if (afterStamps.get(partition) === stampBefore) continue;
      const date = partition.slice("data_pregao=".length);
      if (pendingDates.has(date) || datesOfFile.get(runDate)?.has(date)) continue;
      const rowsBefore = [...beforeRows].filter(([k]) => k.endsWith(`|${date}`));
      const rowsAfter = [...afterRows].filter(([k]) => k.endsWith(`|${date}`));
      expect(rowsAfter, `${partition} rewritten without a change`).not.toEqual(rowsBefore);
    }
    pendingDates = new Set();
  }
}

describe("lake truth — any order of extracts and transforms (DuckDB)", () => {
  it("equals one transform over every raw file, never NULLs a written cell, rewrites only what changes", async () => {
    await fc.assert(fc.asyncProperty(steps, play), { numRuns: 25, endOnFailure: true });
  }, 240_000);

  it("a gap filled by an older run date's extract updates the lags and averages after it", async () => {
    // Run 2020-04-01 with 2020-03-10 missing, then 2020-03-15 with the full answer.
    await play([
      {
        kind: "extract",
        day: 30,
        back: 30,
        tickers: [true, false, false],
        revision: 0,
        gaps: [8],
        nullVolumes: false,
        nullAdjclose: false,
      },
      { kind: "transform", pick: 0 },
      {
        kind: "extract",
        day: 13,
        back: 20,
        tickers: [true, false, false],
        revision: 0,
        gaps: [],
        nullVolumes: false,
        nullAdjclose: false,
      },
      { kind: "transform", pick: 1 },
    ]);
  }, 60_000);

  it("a run of one ticker that closes a month closes it for the tickers it leaves alone too", async () => {
    // 2020-03-20 with all three tickers, then 2020-04-02 (covers through 2020-04-01) with the first only.
    const extract = (day: number, tickers: boolean[]): ExtractStep => ({
      kind: "extract",
      day,
      back: 20,
      tickers,
      revision: 0,
      gaps: [],
      nullVolumes: false,
      nullAdjclose: false,
    });
    await play([
      extract(18, [true, true, true]),
      { kind: "transform", pick: 0 },
      extract(31, [true, false, false]),
      { kind: "transform", pick: 1 },
    ]);
  }, 60_000);

  it("re-extracting with NULL volumes and adjclose keeps the values already written", async () => {
    const lake = await newLake();
    const base: ExtractStep = {
      kind: "extract",
      day: 20,
      back: 20,
      tickers: [true, true, false],
      revision: 0,
      gaps: [],
      nullVolumes: false,
      nullAdjclose: false,
    };
    const run = async (step: ExtractStep, at: number) => {
      const runDate = addDays(FIRST_RUN, step.day);
      await extractToLake({
        tickers: TICKERS.filter((_, i) => step.tickers[i]),
        window: extractWindow({ runDate, from: addDays(runDate, -step.back) }),
        lake: localLake(lake),
        fetchChart: fakeYahoo(step),
        now: () => new Date(at),
        retry: { retries: 0 },
      });
      return transformWithDuckDB({ lakeRoot: lake, ingestionDate: runDate });
    };
    await run(base, Date.parse("2026-01-01T09:00:00Z"));
    const before = await rowsOf(lake, REFINED);
    await run(
      { ...base, nullVolumes: true, nullAdjclose: true },
      Date.parse("2026-01-02T09:00:00Z"),
    );
    expect(await rowsOf(lake, REFINED)).toEqual(before);
    const nulls = await rowsOf(
      lake,
      "SELECT count(*) FROM refined_stocks WHERE volume_negociado IS NULL OR fechamento_ajustado IS NULL",
    );
    expect(nulls).toEqual([[0]]);
    expect(before.length).toBeGreaterThan(20);
    // The raw file keeps both answers.
    const versions = await rowsOf(
      lake,
      `SELECT count(DISTINCT ingested_at) FROM read_parquet('${join(lake, rawKey(addDays(FIRST_RUN, 20)))}')`,
    );
    expect(versions).toEqual([[2]]);
  }, 60_000);
});
