import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { beforeEach, describe, expect, it } from "vitest";
import { addDays } from "../src/extract/calendar.ts";
import {
  createChartClient,
  extractToLake,
  extractWindow,
  replayFetch,
} from "../src/extract/index.ts";
import type { ChartResult, FetchChart } from "../src/extract/yahoo-chart.ts";
import { localLake, rawKey } from "../src/lake/index.ts";
import { queryLake } from "../src/query/index.ts";
import { TransformError, transformWithDuckDB } from "../src/transform/index.ts";
import { FIXTURES } from "./chart-bodies.ts";
import { GOLDEN, goldenColumns, goldenCsv } from "./golden.ts";
import { tempFolder } from "./temp-folder.ts";

const lake = tempFolder("b3-transform-", { each: true });

async function placeRaw(date: string, source = join(GOLDEN, "stocks_data.parquet")) {
  const path = join(lake.path, rawKey(date));
  await mkdir(join(path, ".."), { recursive: true });
  await copyFile(source, path);
  return path;
}

async function table(sql: string) {
  const result = await queryLake(lake.path, sql);
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
}

/** Value-by-value comparison: numbers within 1e-12 relative, everything else exactly. */
function expectSameRows(
  actual: Record<string, unknown>[],
  expected: Record<string, string | null>[],
) {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((want, i) => {
    for (const [column, value] of Object.entries(want)) {
      const got = actual[i]?.[column];
      const where = `row ${i} ${column}`;
      if (value === null) expect(got, where).toBeNull();
      else if (typeof got === "number") {
        expect(Math.abs(got - Number(value)), where).toBeLessThanOrEqual(
          Math.abs(Number(value)) * 1e-12,
        );
      } else expect(String(got), where).toBe(value);
    }
  });
}

const REFINED_SQL = "SELECT * FROM refined_stocks ORDER BY data_pregao, nome_acao";
const AGGREGATED_SQL = "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia";

async function snapshot(): Promise<Record<string, string>> {
  const files = (await readdir(lake.path, { recursive: true })).map(String).sort();
  const out: Record<string, string> = {};
  for (const f of files) {
    const s = await stat(join(lake.path, f));
    if (s.isFile()) out[f] = (await readFile(join(lake.path, f))).toString("base64");
  }
  return out;
}

describe("transformWithDuckDB — golden fixture", () => {
  it("writes refined and aggregated equal, value by value, to the independently worked-out rows", async () => {
    await placeRaw("2018-01-11");
    const summary = await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-11" });
    expectSameRows(await table(REFINED_SQL), await goldenCsv("expected_refined.csv"));
    expectSameRows(await table(AGGREGATED_SQL), await goldenCsv("expected_aggregated.csv"));
    const counts = await goldenCsv("expected_raw_counts.csv");
    const dropped: Record<string, number> = {};
    for (const c of counts)
      if (c.drop_reason)
        dropped[c.drop_reason] = (dropped[c.drop_reason] ?? 0) + Number(c.row_count);
    expect(summary.dropped).toEqual(Object.fromEntries(Object.entries(dropped).sort()));
    expect(summary).toMatchObject({
      sessions: 20,
      sessions_per_ticker: { "ITUB4.SA": 6, "PETR4.SA": 14 },
      refined_rows_total: 20,
      aggregated_rows: 4,
      newest_session: expect.stringMatching(/^2018-01-/),
    });
    // staging and journal removed; the state records the raw file as applied
    expect(await readdir(lake.path)).toEqual([
      "_transform_state.json",
      "aggregated",
      "raw",
      "refined",
    ]);
  });

  it("writes the seed's refined columns and types, data_pregao as a partition folder, read back by DuckDB and as Parquet", async () => {
    await placeRaw("2018-01-11");
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-11" });
    const described = await table(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'refined_stocks' ORDER BY ordinal_position",
    );
    expect(described.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
      "nome_acao VARCHAR",
      "abertura DOUBLE",
      "fechamento DOUBLE",
      "max DOUBLE",
      "min DOUBLE",
      "volume_negociado BIGINT",
      "media_movel_7d DOUBLE",
      "lag_1d DOUBLE",
      "lag_2d DOUBLE",
      "lag_3d DOUBLE",
      "fechamento_ajustado DOUBLE",
      "data_pregao DATE",
    ]);
    const partitions = (await readdir(join(lake.path, "refined"))).sort();
    expect(partitions[0]).toBe("data_pregao=2017-12-18");
    // Inside the files: the 11 columns (the partition is the folder), logical types as in §4.
    const file = join(
      lake.path,
      "refined",
      partitions[0] ?? "",
      (await readdir(join(lake.path, "refined", partitions[0] ?? "")))[0] ?? "",
    );
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const schema = (
      await db.runAndReadAll(
        `SELECT name, type, logical_type FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`,
      )
    ).getRowObjectsJson();
    // The refined columns, less the partition column: that one is the folder's name, not in the file.
    const refinedColumns = await goldenColumns("expected_refined.csv");
    expect(schema.map((s) => s.name)).toEqual(refinedColumns.filter((c) => c !== "data_pregao"));
    expect(schema.find((s) => s.name === "volume_negociado")?.type).toBe("INT64");
    const aggregated = (
      await db.runAndReadAll(
        `SELECT name, type, converted_type FROM parquet_schema('${join(lake.path, "aggregated", "part-00000.parquet")}')`,
      )
    ).getRowObjectsJson();
    // DuckDB annotates dates with the DATE converted type, which every reader maps to DATE;
    // hyparquet reads it back as a date.
    expect(aggregated.find((s) => s.name === "mes_referencia")).toMatchObject({
      type: "INT32",
      converted_type: "DATE",
    });
    const bytes = await readFile(join(lake.path, "aggregated", "part-00000.parquet"));
    const [first] = await parquetReadObjects({
      file: bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer,
    });
    expect(first).toMatchObject({
      nome_acao: "ITUB4.SA",
      mes_referencia: new Date("2017-12-01T00:00:00Z"),
      volume_total: 36_186_600n,
      dias_pregao: 4,
      mes_fechado: true,
      mes_completo: false,
    });
    expect(aggregated.find((s) => s.name === "mes_fechado")).toMatchObject({ type: "BOOLEAN" });
    expect(aggregated.find((s) => s.name === "mes_completo")).toMatchObject({ type: "BOOLEAN" });
    expect(aggregated.find((s) => s.name === "dias_pregao")).toMatchObject({ type: "INT32" });
  });
});

describe("transformWithDuckDB — month flags", () => {
  const MONTHS_SQL =
    "SELECT nome_acao, CAST(mes_referencia AS VARCHAR) AS mes, dias_pregao, mes_fechado, mes_completo FROM aggregated_stocks ORDER BY nome_acao, mes_referencia";

  it("closes a month that ends exactly on the last day the run covers (golden raw as the run of 2018-02-01)", async () => {
    await placeRaw("2018-02-01");
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-02-01" });
    expectSameRows(
      await table(AGGREGATED_SQL),
      await goldenCsv("expected_aggregated_2018-02-01.csv"),
    );
  });

  it("the run of 2020-07-01 (npm run demo): June closed, the history's first month partial, no July", async () => {
    const tickers = ["PETR4.SA", "VALE3.SA", "ITUB4.SA"];
    const report = await extractToLake({
      tickers,
      window: extractWindow({ runDate: "2020-07-01" }),
      lake: localLake(lake.path),
      now: () => new Date("2020-07-01T09:00:00Z"),
      fetchChart: createChartClient({ fetch: replayFetch(FIXTURES) }),
    });
    expect(report.status).toBe("ok");
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2020-07-01" });
    const months = await table(MONTHS_SQL);
    // The default window: 6 months before D-1 = 2020-06-30, i.e. from 2019-12-30 (a Monday).
    const [first] = await table(
      "SELECT CAST(min(data_pregao) AS VARCHAR) AS d FROM refined_stocks",
    );
    expect(first?.d).toBe("2019-12-30");
    expect(months.map((m) => m.mes)).toEqual(
      tickers.flatMap(() => [
        "2019-12-01",
        "2020-01-01",
        "2020-02-01",
        "2020-03-01",
        "2020-04-01",
        "2020-05-01",
        "2020-06-01",
      ]),
    );
    for (const m of months) {
      // Every month ends by 2020-06-30; June included, which the issue saw as open.
      expect(m.mes_fechado, `${m.nome_acao} ${m.mes}`).toBe(true);
      // December 2019 holds one session (12-30; 12-31 is a B3 holiday): partial; the rest complete.
      expect(m.mes_completo, `${m.nome_acao} ${m.mes}`).toBe(m.mes !== "2019-12-01");
    }
    expect(months.filter((m) => m.mes === "2019-12-01").map((m) => m.dias_pregao)).toEqual([
      1, 1, 1,
    ]);
  });

  it("the month holding the last day covered is open until it ends; a window from the month's first weekday is complete", async () => {
    // 2020-02-01 is a Saturday: February's first weekday is Monday 02-03, its first session.
    await extractFixtures("2020-02-15", "2020-02-01", ["VALE3.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2020-02-15" });
    expect(await table(MONTHS_SQL)).toEqual([
      {
        nome_acao: "VALE3.SA",
        mes: "2020-02-01",
        dias_pregao: 10,
        mes_fechado: false,
        mes_completo: true,
      },
    ]);
    // A later run covering through 2020-02-29, the month's last day: now closed, whatever the
    // order (an older run of the same ticker transformed again changes nothing).
    await extractFixtures("2020-03-01", "2020-02-15", ["VALE3.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2020-03-01" });
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2020-02-15" });
    const [sessions] = await table(
      "SELECT count(DISTINCT trade_date) AS n FROM raw_stocks WHERE trade_date >= DATE '2020-02-01' AND volume > 0",
    );
    expect(Number(sessions?.n)).toBeGreaterThan(10);
    expect(await table(MONTHS_SQL)).toEqual([
      {
        nome_acao: "VALE3.SA",
        mes: "2020-02-01",
        dias_pregao: sessions?.n,
        mes_fechado: true,
        mes_completo: true,
      },
    ]);
  });

  it("a holiday quote on the month's first weekday makes the first month complete; no quote for it reads partial", async () => {
    // January 2018 begins with the 01-01 holiday (a Monday). Yahoo answers AAAA3 with its flat,
    // zero-volume holiday quote for that day, and BBBB4 without it.
    const fetchChart: FetchChart = async (symbol, window) => {
      const quotes: ChartResult["quotes"] = [];
      for (let d = window.from; d <= window.to; d = addDays(d, 1)) {
        const weekday = new Date(`${d}T12:00:00Z`).getUTCDay();
        if (weekday === 0 || weekday === 6) continue;
        const holiday = d === "2018-01-01";
        if (holiday && symbol === "BBBB4.SA") continue;
        const close = 10 + Number(d.slice(8)) / 100;
        quotes.push({
          date: new Date(`${d}T13:00:00Z`),
          open: holiday ? close : close - 0.1,
          high: holiday ? close : close + 0.2,
          low: holiday ? close : close - 0.3,
          close,
          adjclose: close,
          volume: holiday ? 0 : 1000,
        });
      }
      return { meta: { symbol, exchangeTimezoneName: "America/Sao_Paulo" }, quotes };
    };
    const report = await extractToLake({
      tickers: ["AAAA3.SA", "BBBB4.SA"],
      window: extractWindow({ runDate: "2018-01-10", from: "2018-01-01" }),
      lake: localLake(lake.path),
      now: () => new Date("2018-01-10T09:00:00Z"),
      fetchChart,
    });
    expect(report.status).toBe("ok");
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-10" });
    expect(await table(MONTHS_SQL)).toEqual([
      {
        nome_acao: "AAAA3.SA",
        mes: "2018-01-01",
        dias_pregao: 6,
        mes_fechado: false,
        mes_completo: true,
      },
      {
        nome_acao: "BBBB4.SA",
        mes: "2018-01-01",
        dias_pregao: 6,
        mes_fechado: false,
        mes_completo: false,
      },
    ]);
  });
});

async function extractFixtures(runDate: string, from: string, tickers: string[]) {
  const report = await extractToLake({
    tickers,
    window: extractWindow({ runDate, from }),
    lake: localLake(lake.path),
    now: () => new Date(`${runDate}T09:00:00Z`),
    fetchChart: createChartClient({ fetch: replayFetch(FIXTURES) }),
  });
  expect(report.status).toBe("ok");
}

describe("transformWithDuckDB — re-runs and history", () => {
  const extract = extractFixtures;

  it("re-running a day changes nothing", async () => {
    await extract("2018-03-01", "2017-12-18", ["PETR4.SA", "ITUB4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    const refined = await table(REFINED_SQL);
    const aggregated = await table(AGGREGATED_SQL);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    expect(await table(REFINED_SQL)).toEqual(refined);
    expect(await table(AGGREGATED_SQL)).toEqual(aggregated);
  });

  it("a write cut into many ranges of dates over two connections gives one data_0.parquet per partition and the same tables", async () => {
    await extract("2018-03-01", "2017-12-18", ["PETR4.SA", "ITUB4.SA"]);
    const summary = await transformWithDuckDB({
      lakeRoot: lake.path,
      ingestionDate: "2018-03-01",
      rowsPerWriteRange: 7,
    });
    expect(summary.partitions_written).toBeGreaterThan(40);
    const partitions = await readdir(join(lake.path, "refined"));
    expect(partitions).toHaveLength(summary.partitions_written);
    for (const partition of partitions) {
      expect(await readdir(join(lake.path, "refined", partition)), partition).toEqual([
        "data_0.parquet",
      ]);
    }
    const refined = await table(REFINED_SQL);
    const aggregated = await table(AGGREGATED_SQL);
    expect(refined).toHaveLength(summary.refined_rows_total);
    // The same run written by one COPY rewrites every partition with the same rows.
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    expect(await table(REFINED_SQL)).toEqual(refined);
    expect(await table(AGGREGATED_SQL)).toEqual(aggregated);
  });

  it("a second day whose raw lacks a ticker keeps that ticker's rows", async () => {
    await extract("2018-03-01", "2017-12-18", ["PETR4.SA", "ITUB4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    const itub = await table(
      "SELECT * FROM refined_stocks WHERE nome_acao = 'ITUB4.SA' ORDER BY data_pregao",
    );
    await extract("2018-03-02", "2017-12-18", ["PETR4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-02" });
    expect(
      await table("SELECT * FROM refined_stocks WHERE nome_acao = 'ITUB4.SA' ORDER BY data_pregao"),
    ).toEqual(itub);
    const [last] = await table(
      "SELECT max(data_pregao) AS d FROM refined_stocks WHERE nome_acao = 'PETR4.SA'",
    );
    expect(last?.d).toBe("2018-03-01");
  });

  it("a second, shifted window leaves every row of the first run unchanged (features use history)", async () => {
    await extract("2018-03-01", "2017-12-18", ["PETR4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    const first = await table(REFINED_SQL);
    // A window starting a month later: its first sessions have no 6 predecessors inside the raw.
    await extract("2018-04-02", "2018-01-15", ["PETR4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-04-02" });
    const after = await table(REFINED_SQL);
    for (const row of first) {
      expect(
        after.find((r) => r.data_pregao === row.data_pregao),
        String(row.data_pregao),
      ).toEqual(row);
    }
    const [jan15] = await table(
      "SELECT media_movel_7d, lag_3d FROM refined_stocks WHERE data_pregao = DATE '2018-01-15'",
    );
    expect(jan15?.media_movel_7d).not.toBeNull();
    expect(jan15?.lag_3d).not.toBeNull();
  });

  it("a month cut by the window edge is aggregated over all its sessions", async () => {
    await extract("2018-02-01", "2017-12-18", ["PETR4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-02-01" });
    // The next window starts mid-January: January must still count every session.
    await extract("2018-03-01", "2018-01-20", ["PETR4.SA"]);
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-03-01" });
    const [jan] = await table(
      "SELECT dias_pregao, mes_fechado FROM aggregated_stocks WHERE mes_referencia = DATE '2018-01-01'",
    );
    const [count] = await table(
      "SELECT count(*) AS n FROM raw_stocks WHERE ingestion_date = DATE '2018-02-01' AND trade_date >= DATE '2018-01-01' AND volume > 0",
    );
    expect(jan).toEqual({ dias_pregao: count?.n, mes_fechado: true });
    expect(Number(count?.n)).toBeGreaterThan(15);
  });
});

describe("transformWithDuckDB — bad input leaves the lake untouched", () => {
  async function expectUntouched(run: () => Promise<unknown>, message: RegExp, remedy?: string) {
    const before = await snapshot();
    await expect(run()).rejects.toThrow(TransformError);
    await expect(run()).rejects.toThrow(message);
    if (remedy !== undefined) await expect(run()).rejects.toMatchObject({ remedy });
    expect(await snapshot()).toEqual(before);
  }

  beforeEach(async () => {
    // A lake that already holds a run's output.
    await placeRaw("2018-01-11");
    await transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-11" });
  });

  it("a missing raw path", async () => {
    await expectUntouched(
      () => transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-12" }),
      /raw\/ingestion_date=2018-01-12\/stocks_data\.parquet does not exist$/,
      "run the extract for that date first",
    );
  });

  it("a corrupt Parquet file", async () => {
    const path = join(lake.path, rawKey("2018-01-12"));
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, "PAR1 this is not parquet");
    await expectUntouched(
      () => transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-12" }),
      /is not a readable Parquet file \(.*\)$/,
      "re-extract that date to rewrite it",
    );
  });

  it("a raw file with a wrong schema names the column", async () => {
    const path = join(lake.path, rawKey("2018-01-12"));
    await mkdir(join(path, ".."), { recursive: true });
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    await db.run(
      `COPY (SELECT 'PETR4.SA' AS ticker, '2018-01-12' AS trade_date, 1.0::DOUBLE AS close) TO '${path}' (FORMAT parquet)`,
    );
    await expectUntouched(
      () => transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-12" }),
      /does not have the raw schema: column trade_date is VARCHAR, expected DATE; column open is missing/,
    );
  });

  it("an empty raw file", async () => {
    const path = join(lake.path, rawKey("2018-01-12"));
    await mkdir(join(path, ".."), { recursive: true });
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    await db.run(
      `COPY (SELECT * FROM read_parquet('${join(GOLDEN, "stocks_data.parquet")}') WHERE false) TO '${path}' (FORMAT parquet)`,
    );
    await expectUntouched(
      () => transformWithDuckDB({ lakeRoot: lake.path, ingestionDate: "2018-01-12" }),
      /has no rows/,
    );
  });
});
