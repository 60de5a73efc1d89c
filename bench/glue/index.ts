/**
 * Glue: the Glue job (glue-scripts/transform.py) on local Spark over the deployed pipeline's daily
 * input — a year of daily raw files of 5 tickers already applied, then the day's file — timed phase
 * by phase by the job itself (--phase_timings), and the Glue bill those seconds would make.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { B3_CLI, rawKey, sqlString } from "../core.ts";
import { factsText, lakeFacts, rows, sameFacts } from "../lake-facts.ts";
import {
  fmt,
  type Measured,
  mb,
  measure,
  median,
  REPO_ROOT,
  SCRATCH,
  seconds,
  table,
  VENV_PYTHON,
} from "../lib.ts";
import { B3_FIXED_HOLIDAYS } from "../transform/index.ts";
import { type GlueCost, glueCosts } from "./cost.ts";

export interface GlueOptions {
  /** Timed runs of the job, each on a fresh copy of the lake. */
  runs: number;
  /** Daily runs already applied to the lake before the timed one (the cron runs every day). */
  historyDays: number;
  log: (line: string) => void;
}

/** The deployed daily input: 5 tickers, a 6-month window ending the day before the run date. */
const TICKERS = 5;
const WINDOW_MONTHS = 6;
/** The timed run's date; the history's runs are the days before it. */
const RUN_DATE = "2025-07-02";
const GLUE_SCRIPT = join(REPO_ROOT, "glue-scripts", "transform.py");
const DIR = join(SCRATCH, "glue");
const RAW_DIR = join(DIR, "raw");
const LAKES = join(DIR, "lakes");
const PHASES = ["startup", "read", "compute", "write", "other", "total"] as const;
type Phase = (typeof PHASES)[number];

const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Writes one raw file per run date, each holding the 5 tickers' sessions of its 6-month window, as
 * the daily extract writes them. Prices are keyed by ticker and date (DuckDB's hash(), so the same
 * on every machine), so overlapping windows agree as Yahoo's answers do; the same rules as the
 * transform bench's generator give the drop rules work: B3's fixed-date holidays carry Yahoo's
 * holiday quote, about 1 bar in 5,000 is zeros, 1 in 10,000 lacks its open, and 1 in 1,000 comes
 * with an older duplicate of other prices in the same file.
 */
async function generateRawFiles(runDates: string[]): Promise<number> {
  const first = runDates[0] as string;
  const last = runDates.at(-1) as string;
  const u = (k: number) => `((hash(t, day, ${k}) % 1000003) / 1000003.0)`;
  await rows(`
    CREATE OR REPLACE TEMP TABLE series AS
    WITH days AS (
      SELECT CAST(d AS DATE) AS day
      FROM range(DATE ${sqlString(first)} - INTERVAL ${WINDOW_MONTHS} MONTH - INTERVAL 1 DAY, DATE ${sqlString(last)},
                 INTERVAL 1 DAY) AS r(d)
      WHERE isodow(d) <= 5
    ),
    walk AS (
      SELECT CAST(t.range AS INTEGER) AS t, day,
        strftime(day, '%m-%d') IN (${B3_FIXED_HOLIDAYS.map(sqlString).join(", ")}) AS holiday,
        5 + 95 * ((hash(t.range, 0, 0) % 1000003) / 1000003.0) AS p0
      FROM range(1, ${TICKERS + 1}) AS t CROSS JOIN days
    ),
    priced AS (
      SELECT *, p0 * exp(SUM(CASE WHEN holiday THEN 0.0 ELSE 0.02 * (${u(1)} + ${u(2)} + ${u(3)} - 1.5) END)
                         OVER (PARTITION BY t ORDER BY day)) AS c
      FROM walk
    ),
    bars AS (
      SELECT t, day, round(c, 2) AS close, round(c * (1 + 0.01 * (${u(4)} - 0.5)), 2) AS o,
        CASE WHEN holiday THEN 'holiday' WHEN hash(t, day, 7) % 5000 = 0 THEN 'zero'
             WHEN hash(t, day, 8) % 10000 = 0 THEN 'missing' ELSE 'session' END AS kind,
        ${u(5)} AS uh, ${u(6)} AS ul, hash(t, day, 9) % 1000 = 0 AS duplicated,
        1000 + CAST(hash(t, day, 10) % 5000000 AS BIGINT) AS vol
      FROM priced
    )
    SELECT 'T' || lpad(CAST(t AS VARCHAR), 4, '0') || '.SA' AS ticker, day AS trade_date, duplicated,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 WHEN 'missing' THEN NULL ELSE o END AS open,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 ELSE round(greatest(o, close) * (1 + 0.01 * uh), 2) END AS high,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 ELSE round(least(o, close) * (1 - 0.01 * ul), 2) END AS low,
      CASE kind WHEN 'zero' THEN 0.0 ELSE close END AS close,
      CASE kind WHEN 'zero' THEN 0.0 ELSE round(close * 0.9, 4) END AS adj_close,
      CAST(CASE WHEN kind IN ('session', 'missing') THEN vol ELSE 0 END AS BIGINT) AS volume
    FROM bars`);
  let total = 0;
  for (const date of runDates) {
    const path = join(RAW_DIR, rawKey(date));
    mkdirSync(dirname(path), { recursive: true });
    // The extract's window: D−1 back 6 months; the daily cron runs at 09:00 UTC.
    const window = `trade_date BETWEEN DATE ${sqlString(date)} - INTERVAL 1 DAY - INTERVAL ${WINDOW_MONTHS} MONTH AND DATE ${sqlString(date)} - INTERVAL 1 DAY`;
    const at = (time: string) => `TIMESTAMPTZ '${date} ${time}+00'`;
    await rows(`
      COPY (
        SELECT ticker, trade_date, open, high, low, close, adj_close, volume, ${at("09:00:05")} AS ingested_at
        FROM series WHERE ${window}
        UNION ALL
        SELECT ticker, trade_date, round(open * 1.1, 2), round(high * 1.1, 2), round(low * 1.1, 2),
          round(close * 1.1, 2), round(adj_close * 1.1, 4), volume + 1, ${at("09:00:01")}
        FROM series WHERE ${window} AND duplicated
        ORDER BY ticker, trade_date, ingested_at
      ) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION snappy)`);
    const [count] = await rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`);
    total += Number(count?.n);
  }
  return total;
}

/** A copy of the history lake plus the day's raw file; `cp -a` keeps the raw files' identities. */
function dayLake(name: string, history: string): string {
  const lake = join(LAKES, name);
  execFileSync("cp", ["-a", history, lake]);
  const raw = join(lake, rawKey(RUN_DATE));
  mkdirSync(dirname(raw), { recursive: true });
  copyFileSync(join(RAW_DIR, rawKey(RUN_DATE)), raw);
  execFileSync("sync");
  return lake;
}

interface PhaseReport {
  phases: Record<Phase, number>;
  steps: { phase: string; step: string; seconds: number }[];
}

/** The job's own phase report: the JSON line it writes to stderr with --phase_timings (Spark's
 * progress bar, which ends in a carriage return, may share its line). */
function phaseReport(stderr: string): PhaseReport {
  const at = stderr.lastIndexOf('{"phase_timings"');
  if (at < 0) {
    throw new Error(
      `the job wrote no phase_timings line; its stderr ended:\n${stderr.slice(-2000)}`,
    );
  }
  return JSON.parse(stderr.slice(at).split("\n")[0] as string).phase_timings as PhaseReport;
}

/** The Glue script as Glue starts it, on local pyspark; its stderr goes to a file (measure() keeps stdout only). */
async function runGlueScript(
  lake: string,
  stderrFile: string,
): Promise<Measured & { report: PhaseReport }> {
  const m = await measure(
    "bash",
    [
      "-c",
      // exec: the measured process is python itself, with stderr redirected.
      'exec "$@" 2>"$B3_BENCH_STDERR"',
      "bash",
      VENV_PYTHON,
      GLUE_SCRIPT,
      "--raw_path",
      pathToFileURL(join(lake, rawKey(RUN_DATE))).href,
      "--lake_root",
      pathToFileURL(lake).href,
      "--phase_timings",
      "true",
    ],
    { ...process.env, B3_BENCH_STDERR: stderrFile },
  );
  return { ...m, report: phaseReport(readFileSync(stderrFile, "utf8")) };
}

export async function glueBench(options: GlueOptions): Promise<string> {
  const { runs, historyDays, log } = options;
  if (!existsSync(VENV_PYTHON)) throw new Error("no .venv: run bash scripts/setup-python.sh first");
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(LAKES, { recursive: true });
  const historyDates = Array.from({ length: historyDays }, (_, i) =>
    addDays(RUN_DATE, i - historyDays),
  );
  log(`glue: generating ${historyDays} daily raw files and the day's`);
  const rawRows = await generateRawFiles([...historyDates, RUN_DATE]);
  const dayRows = Number(
    (
      await rows(
        `SELECT count(*) AS n FROM read_parquet(${sqlString(join(RAW_DIR, rawKey(RUN_DATE)))})`,
      )
    )[0]?.n,
  );

  // The history lake: every earlier raw file, applied by one DuckDB run (a run applies every
  // pending raw file; the tables are the same whatever order the files were applied in).
  const history = join(DIR, "history");
  for (const date of historyDates) {
    mkdirSync(dirname(join(history, rawKey(date))), { recursive: true });
    copyFileSync(join(RAW_DIR, rawKey(date)), join(history, rawKey(date)));
  }
  log("glue: applying the history with `b3 transform` (DuckDB)");
  const built = await measure(process.execPath, [
    B3_CLI,
    "transform",
    "--json",
    `--lake=${history}`,
    `--date=${historyDates.at(-1)}`,
  ]);
  const historySummary = JSON.parse(built.stdout);
  const historyRefined = Number(historySummary.refined_rows_total);

  // The reference: the same day applied by the DuckDB engine.
  const duckLake = dayLake("duckdb", history);
  const duck = await measure(process.execPath, [
    B3_CLI,
    "transform",
    "--json",
    `--lake=${duckLake}`,
    `--date=${RUN_DATE}`,
  ]);
  const expected = await lakeFacts(duckLake);

  const timed: (Measured & { report: PhaseReport })[] = [];
  for (let i = 0; i < runs; i++) {
    const lake = dayLake(`spark-${i + 1}`, history);
    const m = await runGlueScript(lake, join(DIR, `spark-${i + 1}.stderr`));
    const facts = await lakeFacts(lake);
    if (!sameFacts(facts, expected)) {
      throw new Error(`the Glue job wrote ${factsText(facts)}; DuckDB ${factsText(expected)}`);
    }
    const p = m.report.phases;
    log(
      `  run ${i + 1}: ${PHASES.map((name) => `${name} ${fmt(p[name], 1)} s`).join(", ")}; wall ${seconds(m.wallMs)}`,
    );
    timed.push(m);
    rmSync(lake, { recursive: true, force: true });
  }
  const pyspark = execFileSync(VENV_PYTHON, ["-c", "import pyspark; print(pyspark.__version__)"], {
    encoding: "utf8",
  }).trim();
  rmSync(DIR, { recursive: true, force: true });

  const phase = (name: Phase) => timed.map((m) => m.report.phases[name]);
  const range = (values: number[]) =>
    `${fmt(Math.min(...values), 1)} – ${fmt(Math.max(...values), 1)} s`;
  const phaseRows = PHASES.map((name) => [
    name === "total" ? "**total (process start → job done)**" : PHASE_LABELS[name],
    `${fmt(median(phase(name)), 1)} s`,
    range(phase(name)),
  ]);
  const outside: [string, (m: Measured) => number, (v: number) => string][] = [
    ["wall, spawn → exit (JVM shutdown included)", (m) => m.wallMs, seconds],
    ["CPU (user + sys)", (m) => m.cpuMs, seconds],
    ["peak RSS", (m) => m.peakBytes, mb],
  ];
  // The slowest steps, by median over the runs.
  const stepNames = [
    ...new Set(timed.flatMap((m) => m.report.steps.map((s) => `${s.phase}: ${s.step}`))),
  ];
  const stepMedians = stepNames
    .map((name) => ({
      name,
      seconds: median(
        timed.map(
          (m) => m.report.steps.find((s) => `${s.phase}: ${s.step}` === name)?.seconds ?? 0,
        ),
      ),
    }))
    .sort((a, b) => b.seconds - a.seconds);

  const jobSeconds = median(phase("total"));
  const daySummary = JSON.parse(timed[0]?.stdout ?? "{}");
  const costs = glueCosts(jobSeconds);
  return [
    "## Glue job: one daily run",
    "",
    `The deployed daily input: a lake holding ${historyDays} daily runs of ${TICKERS} tickers (one raw file a day, each a ${WINDOW_MONTHS}-month window, ` +
      `${fmt(rawRows - dayRows, 0)} raw rows in all, applied by one DuckDB run: ${fmt(historyRefined, 0)} refined rows), ` +
      `then the day's raw file (${fmt(dayRows, 0)} rows) applied by \`glue-scripts/transform.py --phase_timings true\` on local pyspark ${pyspark} ` +
      `(\`local[*]\`), as Glue starts it. The run rewrote ${fmt(Number(daySummary.partitions_written), 0)} partitions ` +
      `(${fmt(Number(daySummary.refined_rows_written), 0)} refined rows) and the aggregates; its tables matched the DuckDB engine's (${factsText(expected)}). ` +
      `Medians of ${runs} run(s), each on a fresh copy of the lake; the phases are the job's own figures.`,
    "",
    table(["phase (the job's own clock)", "median", "min – max"], phaseRows),
    "",
    table(
      ["measured from outside", "median", "min – max"],
      outside.map(([name, figure, show]) => {
        const values = timed.map(figure);
        return [
          name,
          show(median(values)),
          `${show(Math.min(...values))} – ${show(Math.max(...values))}`,
        ];
      }),
    ),
    "",
    `Slowest steps (median): ${stepMedians
      .slice(0, 5)
      .map((s) => `${s.name} ${fmt(s.seconds, 1)} s`)
      .join(
        "; ",
      )}. The same day by \`b3 transform\` (DuckDB, Node start-up included): ${seconds(duck.wallMs)} wall, ${seconds(duck.cpuMs)} CPU.`,
    "",
    `What that run would bill on Glue if it took as long there (${fmt(jobSeconds, 1)} s; billed per second, at least 60 s; ${costs[0]?.note}):`,
    "",
    table(
      ["configuration", "billed", "DPU-seconds", "per run", "per month (30 runs)"],
      costs.map((c: GlueCost) => [
        c.label,
        `${fmt(c.billedSeconds, 0)} s`,
        fmt(c.dpuSeconds, 0),
        `$${fmt(c.perRun, 4)}`,
        `$${fmt(c.perMonth, 2)}`,
      ]),
    ),
  ].join("\n");
}

const PHASE_LABELS: Record<Phase, string> = {
  startup: "start-up: process start → SparkSession ready",
  read: "read: input checks, lock, recovery, listings",
  compute: "compute: the SQL files (lazy reads of every raw file and the history included)",
  write: "write: staging the two tables, journal, publish",
  other: "other (between the timed steps)",
  total: "total",
};
