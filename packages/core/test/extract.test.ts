import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createChartClient,
  type ExtractOptions,
  type ExtractReport,
  extractToLake,
  extractWindow,
  replayFetch,
} from "../src/extract/index.ts";
import { LakeError, type LakeStorage, localLake } from "../src/lake/index.ts";
import { acquireLakeLock, decodeLock, lakeLockKey } from "../src/lake/lock.ts";
import { bodyAs, type ChartBody, FIXTURES, loadBody } from "./chart-bodies.ts";
import { type FakeYahoo, type Misbehaviour, startFakeYahoo } from "./fake-yahoo.ts";

// PETR4's recorded history holds 2017-12-18 → 2020-07-15; this window is its first weeks.
const window = extractWindow({ runDate: "2018-01-10", from: "2017-12-18" });
const NOW = new Date("2018-01-10T09:00:00Z");
const fastRetry = { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 };

let dir: string;
let lake: LakeStorage;
let yahoo: FakeYahoo | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "b3-extract-"));
  lake = localLake(dir);
});
afterEach(async () => {
  await yahoo?.close();
  yahoo = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function run(
  tickers: string[],
  script: Record<string, Misbehaviour[]> = {},
  options: { timeoutMs?: number; now?: Date } & Omit<Partial<ExtractOptions>, "now"> = {},
): Promise<ExtractReport> {
  const { timeoutMs = 2_000, now = NOW, ...rest } = options;
  await yahoo?.close();
  yahoo = await startFakeYahoo({ replayDir: FIXTURES, script });
  return extractToLake({
    tickers,
    window,
    lake,
    now: () => now,
    retry: fastRetry,
    fetchChart: createChartClient({ fetch: yahoo.fetch, timeoutMs }),
    ...rest,
  });
}

const RAW_KEY = "raw/ingestion_date=2018-01-10/stocks_data.parquet";

async function readRaw(): Promise<Record<string, unknown>[]> {
  const bytes = await lake.get(RAW_KEY);
  return parquetReadObjects({ file: bytes.buffer as ArrayBuffer });
}

/** ticker, trade date and ingested_at of each row, in file order. */
const keysOf = (rows: Record<string, unknown>[]) =>
  rows.map((r) => [
    r.ticker,
    (r.trade_date as Date).toISOString().slice(0, 10),
    (r.ingested_at as Date).toISOString(),
  ]);

async function lakeFiles(): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe("extractToLake with recorded Yahoo bodies", () => {
  it("writes one raw file with every session of the window, real prices, one row per day", async () => {
    const report = await run(["PETR4.SA", "ITUB4.SA"]);
    expect(report.status).toBe("ok");
    expect(report.key).toBe("raw/ingestion_date=2018-01-10/stocks_data.parquet");
    const rows = await readRaw();
    const petr = rows.filter((r) => r.ticker === "PETR4.SA");
    // 2017-12-18 … 2018-01-09, holidays included as Yahoo sends them (judging them is the transform's job).
    expect(petr.map((r) => (r.trade_date as Date).toISOString().slice(0, 10))).toEqual([
      "2017-12-18",
      "2017-12-19",
      "2017-12-20",
      "2017-12-21",
      "2017-12-22",
      "2017-12-25",
      "2017-12-26",
      "2017-12-27",
      "2017-12-28",
      "2017-12-29",
      "2018-01-02",
      "2018-01-03",
      "2018-01-04",
      "2018-01-05",
      "2018-01-08",
      "2018-01-09",
    ]);
    const first = petr[0];
    expect(first).toMatchObject({ ticker: "PETR4.SA", volume: 42_760_400n });
    expect(first?.open).toBeCloseTo(15.16, 2);
    expect(first?.close).toBeCloseTo(15.22, 2);
    expect(first?.ingested_at).toEqual(NOW);
    // The 2017-12-25 holiday: flat, zero volume, kept as sent.
    const christmas = petr.find((r) =>
      (r.trade_date as Date).toISOString().startsWith("2017-12-25"),
    );
    expect(christmas?.volume).toBe(0n);
    expect(christmas?.open).toBe(christmas?.close);
    expect(report.outcomes).toEqual([
      expect.objectContaining({ ticker: "PETR4.SA", status: "ok", rows: 16, attempts: 1 }),
      expect.objectContaining({ ticker: "ITUB4.SA", status: "ok", rows: 16, attempts: 1 }),
    ]);
    expect(rows).toHaveLength(32);
  });

  it("writes Parquet with the raw table's logical types, as hyparquet and DuckDB read them", async () => {
    await run(["PETR4.SA"]);
    const bytes = await lake.get("raw/ingestion_date=2018-01-10/stocks_data.parquet");
    const meta = parquetMetadata(bytes.buffer as ArrayBuffer);
    const schema = Object.fromEntries(meta.schema.slice(1).map((s) => [s.name, s]));
    expect(schema.ticker).toMatchObject({
      type: "BYTE_ARRAY",
      repetition_type: "REQUIRED",
      logical_type: { type: "STRING" },
    });
    expect(schema.trade_date).toMatchObject({
      type: "INT32",
      repetition_type: "REQUIRED",
      logical_type: { type: "DATE" },
    });
    expect(schema.volume).toMatchObject({ type: "INT64", repetition_type: "OPTIONAL" });
    expect(schema.ingested_at).toMatchObject({
      type: "INT64",
      repetition_type: "REQUIRED",
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
    });
    for (const name of ["open", "high", "low", "close", "adj_close"]) {
      expect(schema[name]).toMatchObject({ type: "DOUBLE", repetition_type: "OPTIONAL" });
    }
    expect(meta.row_groups[0]?.columns[0]?.meta_data?.codec).toBe("SNAPPY");

    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    const path = lake.uri("raw/ingestion_date=2018-01-10/stocks_data.parquet");
    const described = await duck.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet('${path}', hive_partitioning = false)`,
    );
    expect(described.getRowObjectsJson().map((r) => [r.column_name, r.column_type])).toEqual([
      ["ticker", "VARCHAR"],
      ["trade_date", "DATE"],
      ["open", "DOUBLE"],
      ["high", "DOUBLE"],
      ["low", "DOUBLE"],
      ["close", "DOUBLE"],
      ["adj_close", "DOUBLE"],
      ["volume", "BIGINT"],
      ["ingested_at", "TIMESTAMP WITH TIME ZONE"],
    ]);
    const sums = await duck.runAndReadAll(
      `SELECT count(*)::INT AS n, min(trade_date)::VARCHAR AS first, sum(volume)::BIGINT AS volume,
              epoch_ms(max(ingested_at)) AS ingested FROM '${path}'`,
    );
    const [row] = sums.getRowObjectsJson();
    expect(row).toMatchObject({ n: 16, first: "2017-12-18", ingested: String(NOW.getTime()) });
    expect(Number(row?.volume)).toBeGreaterThan(0);
  });

  it("re-extracting merges: every earlier row stays with its ingested_at, the new rows are added", async () => {
    await run(["PETR4.SA", "ITUB4.SA"]);
    const first = await readRaw();
    const before = keysOf(first);
    const isPetrJan9 = (r: Record<string, unknown>) =>
      r.ticker === "PETR4.SA" && (r.trade_date as Date).toISOString().startsWith("2018-01-09");
    const oldClose = first.find(isPetrJan9)?.close;
    const later = new Date("2018-01-10T15:00:00Z");
    // Yahoo revised a close since the first run: both versions must be in the file.
    const revised = loadBody("PETR4.SA");
    const closes = revised.chart.result[0]?.indicators.quote[0]?.close ?? [];
    const i = revised.chart.result[0]?.timestamp?.indexOf(
      Date.parse("2018-01-09T13:00:00Z") / 1000,
    );
    closes[i ?? -1] = 17.01;
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ json: revised }] }, { now: later });
    expect(report).toMatchObject({ status: "ok", rowsWritten: 16, rowsKept: 32 });
    const rows = await readRaw();
    expect(rows).toHaveLength(48);
    // ITUB4 (not re-extracted) and PETR4's first run are all still there, stamped as before.
    expect(keysOf(rows).filter(([, , at]) => at === NOW.toISOString())).toEqual(before);
    expect(rows.filter((r) => (r.ingested_at as Date).getTime() === later.getTime())).toHaveLength(
      16,
    );
    // Sorted by ticker, trade date, ingested_at.
    const sorted = [...keysOf(rows)].sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
    expect(keysOf(rows)).toEqual(sorted);
    expect(rows[0]).toMatchObject({ ticker: "ITUB4.SA" });
    expect(
      rows.filter(isPetrJan9).map((r) => [(r.ingested_at as Date).toISOString(), r.close]),
    ).toEqual([
      [NOW.toISOString(), oldClose],
      [later.toISOString(), 17.01],
    ]);
    expect(oldClose).not.toBe(17.01);
  });

  it("a re-run where a ticker fails keeps that ticker's rows from the earlier file", async () => {
    await run(["PETR4.SA", "ITUB4.SA"]);
    const before = keysOf(await readRaw());
    const tooMany = Array.from({ length: 5 }, () => ({ status: 429 }));
    const later = new Date("2018-01-10T15:00:00Z");
    const report = await run(["PETR4.SA", "ITUB4.SA"], { "ITUB4.SA": tooMany }, { now: later });
    expect(report).toMatchObject({ status: "partial", rowsWritten: 16, rowsKept: 32 });
    expect(report.outcomes[1]).toMatchObject({
      ticker: "ITUB4.SA",
      kind: "rate_limited",
      keptRows: 16,
    });
    const rows = keysOf(await readRaw());
    expect(rows.filter(([t]) => t === "ITUB4.SA")).toEqual(
      before.filter(([t]) => t === "ITUB4.SA"),
    );
    expect(rows.filter(([t]) => t === "PETR4.SA")).toHaveLength(32);
  });

  it("re-running at the same instant changes nothing: the same version is not stored twice", async () => {
    await run(["PETR4.SA"]);
    const firstBytes = await lake.get(RAW_KEY);
    const report = await run(["PETR4.SA"]);
    expect(report).toMatchObject({ rowsWritten: 16, rowsKept: 0 });
    const secondBytes = await lake.get(RAW_KEY);
    expect(Buffer.from(secondBytes).equals(Buffer.from(firstBytes))).toBe(true);
    // No lock or temporary file is left behind.
    expect(await lakeFiles()).toEqual([
      "raw",
      "raw/ingestion_date=2018-01-10",
      "raw/ingestion_date=2018-01-10/stocks_data.parquet",
    ]);
  });

  it("a run where every ticker fails leaves the earlier file as it was", async () => {
    await run(["PETR4.SA"]);
    const firstBytes = await lake.get(RAW_KEY);
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ status: 404 }] });
    expect(report).toMatchObject({ status: "failed", key: undefined, rowsWritten: 0 });
    expect(Buffer.from(await lake.get(RAW_KEY)).equals(Buffer.from(firstBytes))).toBe(true);
  });
});

describe("a corrupt earlier raw file", () => {
  it.each([
    ["cut short", async () => (await lake.get(RAW_KEY)).slice(0, 700)],
    ["not Parquet", async () => new TextEncoder().encode("<html>oops</html>")],
    [
      "Parquet without the raw columns",
      async () =>
        new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "x", data: [1, 2, 3] }] })),
    ],
  ])("%s: is replaced by the new rows, and the report names it", async (_, corrupt) => {
    await run(["PETR4.SA", "ITUB4.SA"]);
    await lake.put(RAW_KEY, await corrupt());
    const report = await run(["PETR4.SA"], {}, { now: new Date("2018-01-10T15:00:00Z") });
    expect(report).toMatchObject({
      status: "ok",
      rowsWritten: 16,
      rowsKept: 0,
      replacedCorrupt: lake.uri(RAW_KEY),
    });
    const rows = await readRaw();
    expect(rows).toHaveLength(16);
    expect(new Set(rows.map((r) => r.ticker))).toEqual(new Set(["PETR4.SA"]));
  });

  it("a readable earlier file is never reported as replaced", async () => {
    await run(["PETR4.SA"]);
    const report = await run(["PETR4.SA"]);
    expect(report.replacedCorrupt).toBeUndefined();
  });
});

describe("the lake lock", () => {
  it("is taken only around reading and writing the raw file, as `extract of D`, and released", async () => {
    yahoo = await startFakeYahoo({ replayDir: FIXTURES });
    const client = createChartClient({ fetch: yahoo.fetch });
    const lockedDuringDownload: boolean[] = [];
    const ownerAtWrite: (string | undefined)[] = [];
    const watched: LakeStorage = {
      ...lake,
      async put(key, body, options) {
        ownerAtWrite.push(decodeLock(await lake.get(lakeLockKey))?.owner);
        return lake.put(key, body, options);
      },
    };
    const report = await extractToLake({
      tickers: ["PETR4.SA", "ITUB4.SA"],
      window,
      lake: watched,
      now: () => NOW,
      fetchChart: async (symbol, w) => {
        lockedDuringDownload.push((await lakeFiles()).includes(lakeLockKey));
        return client(symbol, w);
      },
    });
    expect(report.status).toBe("ok");
    expect(lockedDuringDownload).toEqual([false, false]);
    expect(ownerAtWrite).toEqual(["extract of 2018-01-10"]);
    expect(await lakeFiles()).not.toContain(lakeLockKey);
  });

  it("waits for another writer's lock after the downloads, then merges", async () => {
    const held = await acquireLakeLock(lake, { owner: "transform of 2018-01-09" });
    const waitedFor: string[] = [];
    const downloaded: string[] = [];
    const running = run(
      ["PETR4.SA"],
      {},
      {
        lockWaitMs: 10_000,
        onLockWait: (holder) => waitedFor.push(holder.owner),
        onOutcome: (o) => downloaded.push(o.ticker),
      },
    );
    await expect.poll(() => waitedFor).toEqual(["transform of 2018-01-09"]);
    expect(downloaded).toEqual(["PETR4.SA"]);
    expect(await lakeFiles()).not.toContain(RAW_KEY);
    await held.release();
    expect(await running).toMatchObject({ status: "ok", rowsWritten: 16 });
    expect(await readRaw()).toHaveLength(16);
  });

  it("gives up after the lock wait, naming the holder, with nothing written", async () => {
    const held = await acquireLakeLock(lake, { owner: "transform of 2018-01-09" });
    try {
      const error = await run(["PETR4.SA"], {}, { lockWaitMs: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LakeError);
      expect(error).toMatchObject({ code: "Locked" });
      expect(error).toMatchObject({
        message: expect.stringMatching(/^lake locked by transform of 2018-01-09 on host /),
        remedy: expect.stringMatching(/raise the lock wait/),
        settings: ["lockWait"],
      });
      expect(`${(error as LakeError).message} ${(error as LakeError).remedy}`).not.toMatch(/--/);
      expect(await lakeFiles()).not.toContain(RAW_KEY);
    } finally {
      await held.release();
    }
  });
});

describe("bad answers from Yahoo", () => {
  it("an unknown or delisted ticker fails alone with Yahoo's 404; the others are written (partial)", async () => {
    const report = await run(["PETR4.SA", "XXXX9.SA"]);
    expect(report.status).toBe("partial");
    const failed = report.outcomes.find((o) => o.ticker === "XXXX9.SA");
    expect(failed).toMatchObject({ status: "failed", kind: "not_found", attempts: 1 });
    expect(failed).toHaveProperty(
      "reason",
      expect.stringMatching(/no data .*delisted or mistyped/),
    );
    // What to do names the setting; how to set it is the interface's business.
    expect(failed).toMatchObject({
      remedy: expect.stringMatching(/fix the ticker list/),
      settings: ["tickers"],
    });
    expect(failed).toHaveProperty("remedy", expect.not.stringMatching(/--/));
    expect(new Set((await readRaw()).map((r) => r.ticker))).toEqual(new Set(["PETR4.SA"]));
  });

  it("retries 429 with backoff and gives up after a bounded number of attempts", async () => {
    const tooMany = Array.from({ length: 10 }, () => ({ status: 429, body: "Too Many Requests" }));
    const report = await run(["PETR4.SA", "ITUB4.SA"], { "ITUB4.SA": tooMany });
    expect(report.outcomes[1]).toMatchObject({
      ticker: "ITUB4.SA",
      kind: "rate_limited",
      attempts: 4,
    });
    expect(yahoo?.requests.filter((s) => s === "ITUB4.SA")).toHaveLength(4);
    expect(report.status).toBe("partial");
    expect(report.outcomes[0]).toMatchObject({ status: "ok", rows: 16 });
  });

  it("a 429 or 500 that clears is retried into success", async () => {
    const report = await run(["PETR4.SA"], {
      "PETR4.SA": [{ status: 429 }, { status: 500, body: "oops" }, { status: 503 }],
    });
    expect(report.status).toBe("ok");
    expect(report.outcomes[0]).toMatchObject({ status: "ok", attempts: 4, rows: 16 });
  });

  it("repeated 500s fail the ticker as a Yahoo server error", async () => {
    const report = await run(["PETR4.SA"], {
      "PETR4.SA": Array(5).fill({ status: 500, body: "oops" }),
    });
    expect(report.outcomes[0]).toMatchObject({ kind: "server_error", attempts: 4 });
    expect(report.outcomes[0]).toHaveProperty(
      "reason",
      "Yahoo answered HTTP 500 (after 4 attempts)",
    );
    expect(report.status).toBe("failed");
    expect(report.key).toBeUndefined();
    expect(await lakeFiles()).toEqual([]);
  });

  it("garbage JSON is an invalid response, not retried", async () => {
    const report = await run(["PETR4.SA"], {
      "PETR4.SA": [{ status: 200, body: "{not json", contentType: "application/json" }],
    });
    expect(report.outcomes[0]).toMatchObject({ kind: "invalid_response", attempts: 1 });
    expect(report.outcomes[0]).toHaveProperty("reason", expect.stringMatching(/not parsable/));
  });

  it("a body for another symbol fails that ticker (not retried, not written); the others are written", async () => {
    const report = await run(["PETR4.SA", "ITUB4.SA"], {
      "ITUB4.SA": [{ json: loadBody("PETR4.SA") }],
    });
    expect(report.status).toBe("partial");
    expect(report.outcomes[1]).toMatchObject({
      ticker: "ITUB4.SA",
      kind: "wrong_symbol",
      attempts: 1,
      reason: "Yahoo answered with the chart of PETR4.SA when asked for ITUB4.SA",
    });
    expect(report.outcomes[1]).toHaveProperty("remedy", expect.not.stringMatching(/--/));
    const rows = await readRaw();
    expect(new Set(rows.map((r) => r.ticker))).toEqual(new Set(["PETR4.SA"]));
    expect(rows).toHaveLength(16);
  });

  it("the symbol Yahoo answers with is compared case-insensitively", async () => {
    const report = await run(["PETR4.SA"], {
      "PETR4.SA": [{ json: bodyAs("petr4.sa", loadBody("PETR4.SA")) }],
    });
    expect(report.outcomes[0]).toMatchObject({ status: "ok", rows: 16 });
  });

  it.each([
    [
      "an HTML error page",
      { status: 403, contentType: "text/html" },
      /^Yahoo answered HTTP 403: <html>/,
    ],
    [
      "an HTML page where JSON belongs",
      { status: 200, contentType: "text/html" },
      /^Yahoo's answer is not JSON \(not parsable\): "<html>/,
    ],
  ])("%s is quoted as a short excerpt, never whole", async (_, answer, start) => {
    const page = `<html><head><title>Oops</title></head><body>${"<p>Something went wrong.</p>".repeat(400)}</body></html>`;
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ ...answer, body: page }] });
    const failed = report.outcomes[0];
    expect(failed).toMatchObject({ status: "failed", kind: "invalid_response" });
    const reason = failed?.status === "failed" ? failed.reason : "";
    expect(reason).toMatch(start);
    expect(reason).toContain("…");
    expect(reason.length).toBeLessThan(260);
  });

  it("a body failing validation names the field", async () => {
    const body = loadBody("PETR4.SA");
    const quote = body.chart.result[0]?.indicators.quote[0];
    if (quote?.close) (quote.close as unknown[])[0] = "n/a"; // text where a price belongs
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ json: body }] });
    expect(report.outcomes[0]).toMatchObject({ kind: "invalid_response" });
    expect(report.outcomes[0]).toHaveProperty(
      "reason",
      expect.stringMatching(/validation at quotes\.\d+\.close/),
    );
  });

  it("a request with no answer times out, is retried, then fails as a timeout", async () => {
    const hang = Array.from({ length: 4 }, () => ({ hang: true as const }));
    const started = Date.now();
    const report = await run(["PETR4.SA", "ITUB4.SA"], { "PETR4.SA": hang }, { timeoutMs: 150 });
    expect(report.outcomes[0]).toMatchObject({ kind: "timeout", attempts: 4 });
    expect(report.outcomes[0]).toHaveProperty(
      "reason",
      "no answer from Yahoo within 0.15 s (after 4 attempts)",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.status).toBe("partial");
  });

  it("an all-null series gives no sessions, with the reason", async () => {
    const body = loadBody("PETR4.SA");
    const result = body.chart.result[0];
    for (const series of [
      ...(result?.indicators.quote ?? []),
      ...(result?.indicators.adjclose ?? []),
    ]) {
      for (const key of Object.keys(series)) series[key] = (series[key] ?? []).map(() => null);
    }
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ json: body }] });
    expect(report.outcomes[0]).toMatchObject({
      kind: "no_sessions",
      reason: expect.stringMatching(/all \d+ bars .* no prices/),
    });
    expect(report.status).toBe("failed");
    expect(await lakeFiles()).toEqual([]);
  });

  it("duplicate bars for one day keep the last one Yahoo sent", async () => {
    const body: ChartBody = loadBody("PETR4.SA");
    const result = body.chart.result[0];
    const ts = result?.timestamp ?? [];
    const quote = result?.indicators.quote[0] ?? {};
    const i = ts.indexOf(Date.parse("2017-12-18T13:00:00Z") / 1000);
    // A second bar for 2017-12-18, six hours later, with another close.
    ts.splice(i + 1, 0, (ts[i] ?? 0) + 6 * 3600);
    for (const key of Object.keys(quote)) quote[key]?.splice(i + 1, 0, quote[key]?.[i] ?? null);
    quote.close?.splice(i + 1, 1, 99.5);
    result?.indicators.adjclose?.[0]?.adjclose?.splice(i + 1, 0, 99.4);
    const report = await run(["PETR4.SA"], { "PETR4.SA": [{ json: body }] });
    expect(report.outcomes[0]).toMatchObject({ status: "ok", rows: 16, duplicateBars: 1 });
    const rows = await readRaw();
    const dec18 = rows.filter((r) => (r.trade_date as Date).toISOString().startsWith("2017-12-18"));
    expect(dec18).toHaveLength(1);
    expect(dec18[0]).toMatchObject({ close: 99.5, adj_close: 99.4 });
  });

  it("a window with no sessions fails the ticker with what to do", async () => {
    yahoo = await startFakeYahoo({ replayDir: FIXTURES });
    const report = await extractToLake({
      tickers: ["PETR4.SA"],
      // PETR4's recording starts 2017-12-18: nothing in early December.
      window: extractWindow({ runDate: "2017-12-10", from: "2017-12-01" }),
      lake,
      retry: fastRetry,
      fetchChart: createChartClient({ fetch: yahoo.fetch }),
    });
    expect(report.outcomes[0]).toMatchObject({
      kind: "no_sessions",
      reason: "Yahoo sent no session between 2017-12-01 and 2017-12-09",
      remedy: expect.stringMatching(/earlier window start/),
      settings: ["from"],
    });
    expect(report.status).toBe("failed");
  });

  it("the real recorded body with a null first bar and an unfinished session parses", async () => {
    const report = await extractToLake({
      tickers: ["600497.SS"],
      window: extractWindow({ runDate: "2017-11-27", from: "2017-11-01" }),
      lake,
      now: () => NOW,
      fetchChart: createChartClient({
        fetch: async (input) =>
          replayFetch(FIXTURES)(
            String(input).replace("600497.SS", "real-body-600497.SS-with-nulls"),
          ),
      }),
    });
    expect(report.outcomes[0]).toMatchObject({ status: "ok", emptyBars: 1 });
    const rows = await parquetReadObjects({
      file: (await lake.get("raw/ingestion_date=2017-11-27/stocks_data.parquet"))
        .buffer as ArrayBuffer,
    });
    // Shanghai's dates, from Yahoo's exchangeTimezoneName; today's unfinished bar (11-27) is outside the window.
    expect(rows.map((r) => (r.trade_date as Date).toISOString().slice(0, 10))).toEqual([
      "2017-11-16",
      "2017-11-17",
      "2017-11-20",
      "2017-11-21",
      "2017-11-22",
      "2017-11-23",
      "2017-11-24",
    ]);
    expect(rows[0]).toMatchObject({ volume: 34_039_227n });
  });
});
