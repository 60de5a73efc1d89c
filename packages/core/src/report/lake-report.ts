/** What `b3 report` shows about a local lake: per ticker its sessions (close, MA7, volume), monthly aggregates, raw rows dropped per reason and gaps in its history. */
import type { DuckDBConnection } from "@duckdb/node-api";
import { plainValue, withLakeViews } from "../query/lake-duckdb.ts";
import { ReportError } from "./errors.ts";
import { historyGaps } from "./gaps.ts";
import { type RawOutcome, rawOutcomes } from "./raw-drops.ts";

type Scalar = string | number | boolean | null;

export interface TickerReport {
  ticker: string;
  /** The sessions in date order: dates (YYYY-MM-DD) and, at the same index, their values. */
  sessions: {
    date: string[];
    close: number[];
    /** media_movel_7d: null until 7 sessions exist. */
    ma7: Array<number | null>;
    volume: Array<number | null>;
  };
  /** The newest session. */
  last: { date: string; close: number };
  /** aggregated_stocks rows of the ticker, oldest month first, in the order of `LakeReport.monthlyColumns`. */
  monthly: Scalar[][];
  /** The ticker's raw rows: sessions and drops per reason. */
  raw: RawOutcome;
  /** Days other tickers traded, between this ticker's first and last session, without a session of its own. */
  missingSessions: string[];
}

export interface LakeReport {
  lakeRoot: string;
  /** The tickers reported on, sorted. */
  tickers: TickerReport[];
  /** Every ticker with a session in the lake, sorted. */
  lakeTickers: string[];
  /** Requested tickers without any session in the lake. */
  absentTickers: string[];
  /** The columns of aggregated_stocks after nome_acao, whatever the table holds. */
  monthlyColumns: string[];
  /** Raw files in the lake. */
  rawFiles: number;
  /** Raw rows without a ticker or trade date (the lake's, not any ticker's). */
  rawRowsWithoutKey: number;
  /** Days with a session of any ticker in the lake: count, first and last. */
  market: { days: number; first: string; last: string };
  /** Monday-to-Friday days between the market's first and last day without any session (holidays, or days not extracted). */
  weekdaysWithoutSession: string[];
}

export interface LakeReportOptions {
  /** Tickers to report on; default every ticker of the lake. */
  tickers?: readonly string[] | undefined;
  /** Where the transform SQL is; default glue-scripts/sql. */
  sqlDir?: string | undefined;
}

/** Reads the report's data from the local lake at `lakeRoot`; throws a ReportError when there is nothing to report. */
export function readLakeReport(
  lakeRoot: string,
  options: LakeReportOptions = {},
): Promise<LakeReport> {
  return withLakeViews(lakeRoot, (db) => readFromViews(db, lakeRoot, options));
}

async function readFromViews(
  db: DuckDBConnection,
  lakeRoot: string,
  options: LakeReportOptions,
): Promise<LakeReport> {
  const sessionRows = await rows(
    db,
    "SELECT nome_acao, CAST(data_pregao AS VARCHAR) AS data_pregao, fechamento, media_movel_7d, volume_negociado " +
      "FROM refined_stocks ORDER BY nome_acao, data_pregao",
  );
  if (sessionRows.length === 0) {
    throw new ReportError("LakeEmpty", `the lake at ${lakeRoot} has no refined sessions yet`, {
      remedy:
        "extract and transform into it first (b3 run; npm run demo builds an offline sample lake), or point to a lake that has them",
      settings: ["lake"],
    });
  }
  const sessionsByTicker = new Map<string, Record<string, Scalar>[]>();
  for (const row of sessionRows) {
    const ticker = String(row.nome_acao);
    const own = sessionsByTicker.get(ticker) ?? [];
    if (own.length === 0) sessionsByTicker.set(ticker, own);
    own.push(row);
  }
  const sessionDays = Object.fromEntries(
    [...sessionsByTicker].map(([ticker, own]) => [ticker, own.map((r) => String(r.data_pregao))]),
  );
  const lakeTickers = Object.keys(sessionDays).sort();
  const wanted = options.tickers === undefined ? lakeTickers : [...new Set(options.tickers)].sort();
  const absentTickers = wanted.filter((t) => sessionDays[t] === undefined);
  const reported = wanted.filter((t) => sessionDays[t] !== undefined);

  const gaps = historyGaps(sessionDays);
  const monthly = await db.runAndReadAll(
    "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia",
  );
  const monthlyNames = monthly.columnNames();
  const tickerColumn = monthlyNames.indexOf("nome_acao");
  const monthlyColumns = monthlyNames.filter((_, i) => i !== tickerColumn);
  const monthlyByTicker = new Map<string, Scalar[][]>();
  for (const row of monthly.getRows()) {
    const ticker = String(row[tickerColumn]);
    const months = monthlyByTicker.get(ticker) ?? [];
    if (months.length === 0) monthlyByTicker.set(ticker, months);
    months.push(row.filter((_, i) => i !== tickerColumn).map(plainValue));
  }
  const outcomes = await rawOutcomes(db, options.sqlDir);
  const files = await rows(db, "SELECT count(DISTINCT ingestion_date) AS n FROM raw_stocks");

  const tickers = reported.map((ticker): TickerReport => {
    const own = sessionsByTicker.get(ticker) ?? [];
    const sessions = {
      date: own.map((r) => String(r.data_pregao)),
      close: own.map((r) => Number(r.fechamento)),
      ma7: own.map((r) => nullableNumber(r.media_movel_7d)),
      volume: own.map((r) => nullableNumber(r.volume_negociado)),
    };
    const lastIndex = sessions.date.length - 1;
    return {
      ticker,
      sessions,
      last: {
        date: sessions.date[lastIndex] ?? "",
        close: sessions.close[lastIndex] ?? Number.NaN,
      },
      monthly: monthlyByTicker.get(ticker) ?? [],
      raw: outcomes.get(ticker) ?? { rawRows: 0, sessions: 0, dropped: {} },
      missingSessions: gaps.missingByTicker[ticker] ?? [],
    };
  });
  return {
    lakeRoot,
    tickers,
    lakeTickers,
    absentTickers,
    monthlyColumns,
    rawFiles: Number(files[0]?.n ?? 0),
    rawRowsWithoutKey: outcomes.get(null)?.rawRows ?? 0,
    market: {
      days: gaps.marketDays.length,
      first: gaps.marketDays[0] ?? "",
      last: gaps.marketDays.at(-1) ?? "",
    },
    weekdaysWithoutSession: gaps.weekdaysWithoutSession,
  };
}

async function rows(db: DuckDBConnection, sql: string): Promise<Record<string, Scalar>[]> {
  const reader = await db.runAndReadAll(sql);
  const names = reader.columnNames();
  return reader
    .getRows()
    .map((row) => Object.fromEntries(row.map((v, i) => [names[i] ?? "", plainValue(v)])));
}

function nullableNumber(value: Scalar | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
