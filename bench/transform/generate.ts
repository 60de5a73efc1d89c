/**
 * The synthetic raw file of the transform benchmark: 400 tickers × 2,500 consecutive business days
 * (about ten years), written with DuckDB in the raw schema of DESIGN §4. Deterministic: every
 * "random" number is DuckDB's hash() of (ticker, session, stream), so the same DuckDB version
 * always writes the same rows.
 *
 * Every rule of DESIGN §5 has work to do:
 * - prices are a random walk per ticker (daily log-returns with a ~1 % spread);
 * - B3 holidays that fall on a weekday carry Yahoo's holiday quote for every ticker (volume 0,
 *   open = high = low = close = the previous close): dropped as `non_session`;
 * - about 1 row in 5,000 is an unfinished same-day bar of zeros: `non_positive_price`;
 * - about 1 row in 10,000 has no open price: `missing_price`;
 * - about 1 row in 1,000 has an older duplicate (ingested an hour earlier, prices 10 % higher): the
 *   older one is dropped as `duplicate`, and keeping the wrong one would change the checksums.
 *
 * The expected outcome (sessions, drops per reason, refined partitions, aggregated rows) is worked
 * out here from how each row was generated, independently of the engines' SQL.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

export interface RawSpec {
  tickers: number;
  sessions: number;
  /** The last business day of the grid; the run date is the day after. */
  lastDay: string;
  ingestionDate: string;
}

export const RAW_SPEC: RawSpec = {
  tickers: 400,
  sessions: 2500,
  lastDay: "2025-06-30",
  ingestionDate: "2025-07-01",
};

/** B3 holidays on fixed dates (MM-DD); Carnival and Corpus Christi move, and are left out. */
const HOLIDAYS = ["01-01", "04-21", "05-01", "09-07", "10-12", "11-02", "11-15", "12-25", "12-31"];

export interface RawExpectation {
  rawRows: number;
  /** Rows of the grid (tickers × business days), before duplicates. */
  gridRows: number;
  sessions: number;
  dropped: Record<string, number>;
  firstDay: string;
  lastDay: string;
  /** Distinct trade dates holding at least one session: the refined partitions. */
  refinedPartitions: number;
  holidayDates: number;
  /** Distinct (ticker, month) holding at least one session: the aggregated rows. */
  aggregatedRows: number;
  months: number;
  fileBytes: number;
  generateMs: number;
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function generateRaw(path: string, spec = RAW_SPEC): Promise<RawExpectation> {
  const started = performance.now();
  rmSync(path, { force: true });
  mkdirSync(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    // u(k): a uniform number in [0, 1) for (ticker t, session s, stream k).
    const u = (k: number) => `((hash(t, s, ${k}) % 1000003) / 1000003.0)`;
    await db.run(`
      CREATE TEMP TABLE days AS
      SELECT day, CAST(row_number() OVER (ORDER BY day) AS INTEGER) AS s
      FROM (
        SELECT CAST(d AS DATE) AS day
        FROM range(DATE ${q(spec.lastDay)} - INTERVAL ${Math.ceil(spec.sessions * 1.5)} DAY,
                   DATE ${q(spec.lastDay)} + INTERVAL 1 DAY, INTERVAL 1 DAY) AS r(d)
        WHERE isodow(d) <= 5
        ORDER BY d DESC
        LIMIT ${spec.sessions}
      )`);
    await db.run(`
      CREATE TEMP TABLE grid AS
      WITH cells AS (
        SELECT
          CAST(t.range AS INTEGER) AS t,
          d.s,
          d.day,
          strftime(d.day, '%m-%d') IN (${HOLIDAYS.map(q).join(", ")}) AS holiday
        FROM range(1, ${spec.tickers + 1}) AS t
        CROSS JOIN days AS d
      ),
      walk AS (
        SELECT
          *,
          -- Irwin–Hall(3) - 1.5 has a spread of 0.5: daily log-returns with a ~1 % spread
          CASE WHEN holiday THEN 0.0 ELSE 0.02 * (${u(1)} + ${u(2)} + ${u(3)} - 1.5) END AS ret,
          5 + 95 * ((hash(t, 0, 0) % 1000003) / 1000003.0) AS p0
        FROM cells
      ),
      priced AS (
        SELECT
          *,
          p0 * exp(SUM(ret) OVER (PARTITION BY t ORDER BY s ROWS UNBOUNDED PRECEDING)) AS c,
          p0 * exp(SUM(ret) OVER (PARTITION BY t ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS prev_c
        FROM walk
      ),
      bars AS (
        SELECT
          t, s, day, holiday,
          round(c, 2) AS close,
          round(coalesce(prev_c, p0) * (1 + 0.01 * (${u(4)} - 0.5)), 2) AS open_,
          ${u(5)} AS uh,
          ${u(6)} AS ul,
          CASE
            WHEN holiday THEN 'holiday'
            WHEN hash(t, s, 7) % 5000 = 0 THEN 'zero'
            WHEN hash(t, s, 8) % 10000 = 0 THEN 'missing'
            ELSE 'session'
          END AS kind,
          hash(t, s, 9) % 1000 = 0 AS duplicated,
          1000 + CAST(hash(t, s, 10) % 5000000 AS BIGINT) AS vol,
          0.8 + 0.2 * s / ${spec.sessions} AS adj
        FROM priced
      )
      SELECT
        t, s, day, kind, duplicated,
        CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 WHEN 'missing' THEN NULL ELSE open_ END AS open,
        CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0
          ELSE round(greatest(open_, close) * (1 + 0.01 * uh), 2) END AS high,
        CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0
          ELSE round(least(open_, close) * (1 - 0.01 * ul), 2) END AS low,
        CASE kind WHEN 'zero' THEN 0.0 ELSE close END AS close,
        CASE kind WHEN 'zero' THEN 0.0 ELSE round(close * adj, 4) END AS adj_close,
        CASE kind WHEN 'session' THEN vol WHEN 'missing' THEN vol ELSE 0 END AS volume
      FROM bars`);
    const ticker = `'T' || lpad(CAST(t AS VARCHAR), 4, '0') || '.SA'`;
    const latest = `TIMESTAMPTZ '${spec.ingestionDate} 21:30:00+00'`;
    const older = `TIMESTAMPTZ '${spec.ingestionDate} 20:30:00+00'`;
    await db.run(`
      COPY (
        SELECT
          CAST(${ticker} AS VARCHAR) AS ticker,
          CAST(day AS DATE) AS trade_date,
          CAST(open AS DOUBLE) AS open,
          CAST(high AS DOUBLE) AS high,
          CAST(low AS DOUBLE) AS low,
          CAST(close AS DOUBLE) AS close,
          CAST(adj_close AS DOUBLE) AS adj_close,
          CAST(volume AS BIGINT) AS volume,
          ${latest} AS ingested_at
        FROM grid
        UNION ALL
        SELECT
          ${ticker}, day, round(open * 1.1, 2), round(high * 1.1, 2), round(low * 1.1, 2),
          round(close * 1.1, 2), round(adj_close * 1.1, 4), volume + 1, ${older}
        FROM grid
        WHERE duplicated
        ORDER BY ticker, trade_date, ingested_at
      ) TO ${q(path)} (FORMAT parquet, COMPRESSION snappy)`);

    const [facts] = (
      await db.runAndReadAll(`
        SELECT
          (SELECT count(*) FROM read_parquet(${q(path)})) AS raw_rows,
          count(*) AS grid_rows,
          count(*) FILTER (WHERE kind = 'session') AS sessions,
          count(*) FILTER (WHERE kind = 'holiday') AS non_session,
          count(*) FILTER (WHERE kind = 'zero') AS non_positive_price,
          count(*) FILTER (WHERE kind = 'missing') AS missing_price,
          count(*) FILTER (WHERE duplicated) AS duplicate,
          CAST(min(day) AS VARCHAR) AS first_day,
          CAST(max(day) AS VARCHAR) AS last_day,
          count(DISTINCT day) FILTER (WHERE kind = 'session') AS refined_partitions,
          count(DISTINCT day) FILTER (WHERE kind = 'holiday') AS holiday_dates,
          count(DISTINCT (t, date_trunc('month', day))) FILTER (WHERE kind = 'session') AS aggregated_rows,
          count(DISTINCT date_trunc('month', day)) AS months
        FROM grid`)
    ).getRowObjectsJson();
    const [size] = (
      await db.runAndReadAll(`SELECT size FROM read_blob(${q(path)})`)
    ).getRowObjectsJson();
    const n = (key: string) => Number(facts?.[key]);
    return {
      rawRows: n("raw_rows"),
      gridRows: n("grid_rows"),
      sessions: n("sessions"),
      dropped: {
        duplicate: n("duplicate"),
        missing_price: n("missing_price"),
        non_positive_price: n("non_positive_price"),
        non_session: n("non_session"),
      },
      firstDay: String(facts?.first_day),
      lastDay: String(facts?.last_day),
      refinedPartitions: n("refined_partitions"),
      holidayDates: n("holiday_dates"),
      aggregatedRows: n("aggregated_rows"),
      months: n("months"),
      fileBytes: Number(size?.size),
      generateMs: performance.now() - started,
    };
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}
