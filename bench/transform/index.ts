/**
 * Transform: a first run of ~1M raw rows on an empty lake by `b3 transform` (DuckDB), next to plain
 * Polars, optional peers given by path and optionally local Spark, pair by pair; then a daily run
 * into the lake those rows made.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { B3_CLI, rawKey, sqlString } from "../core.ts";
import { type Facts, factsText, lakeFacts, rows, sameFacts } from "../lake-facts.ts";
import {
  fmt,
  type Measured,
  mb,
  measure,
  median,
  REPO_ROOT,
  ratio,
  SCRATCH,
  seconds,
  table,
  VENV_PYTHON,
} from "../lib.ts";

export interface TransformOptions {
  /** Rounds; each runs every engine once, so each peer gets this many pairs with DuckDB. */
  runs: number;
  /** Spark joins the first this many rounds (a JVM per run: slow). */
  sparkRuns: number;
  dailyRuns: number;
  /** External Python peers, each run as `python PEER RAW_PARQUET OUT_DIR` on the project's .venv. */
  peers: string[];
  /** Also the two scale runs (a long history, many tickers), each once per engine. */
  scale: boolean;
  log: (line: string) => void;
}

export interface RawSpec {
  /** The scratch folder its raw file is generated in. */
  name: string;
  tickers: number;
  sessions: number;
  lastDay: string;
  ingestionDate: string;
}
/** 400 tickers × 2,500 business days (about ten years): the first run. */
export const FIRST: RawSpec = {
  name: "first",
  tickers: 400,
  sessions: 2500,
  lastDay: "2025-06-30",
  ingestionDate: "2025-07-01",
};
/** The next day's extract of 5 of them: a 6-month window (123 business days), revising the history. */
export const DAILY: RawSpec = {
  name: "daily",
  tickers: 5,
  sessions: 123,
  lastDay: "2025-07-01",
  ingestionDate: "2025-07-02",
};

/** The scale runs, each a first run on an empty lake: 20 years of 400 tickers, and 2,000 tickers' 6-month window. */
const SCALE: RawSpec[] = [
  {
    name: "20-years",
    tickers: 400,
    sessions: 5000,
    lastDay: "2025-06-30",
    ingestionDate: "2025-07-01",
  },
  {
    name: "2000-tickers",
    tickers: 2000,
    sessions: 123,
    lastDay: "2025-06-30",
    ingestionDate: "2025-07-01",
  },
];
/** The memory a scale run must stay within. */
const SCALE_MEMORY_BUDGET = 2 * 2 ** 30;

/** Raw files go to .bench/transform/<spec>/raw/ingestion_date=D/ (the lake layout), generated anew each run. */
const RAW_DIR = join(SCRATCH, "transform");
const LAKES = join(SCRATCH, "transform", "lakes");
const POLARS = join(REPO_ROOT, "bench/transform/polars_transform.py");
const BARE_DUCKDB = join(REPO_ROOT, "bench/transform/bare_duckdb.ts");

export const rawFile = (spec: RawSpec) => join(RAW_DIR, spec.name, rawKey(spec.ingestionDate));

/** B3's fixed-date holidays (MM-DD) on which the generators give Yahoo's holiday quote. */
export const B3_FIXED_HOLIDAYS = [
  "01-01",
  "04-21",
  "05-01",
  "09-07",
  "10-12",
  "11-02",
  "11-15",
  "12-25",
  "12-31",
];

/**
 * Writes a raw file deterministically (every random number is DuckDB's hash() of ticker, session and
 * stream) in which every drop rule and the dedupe have work to do: prices walk randomly per ticker;
 * B3's fixed-date holidays on weekdays carry Yahoo's holiday quote (volume 0, open = high = low =
 * close); about 1 row in 5,000 is a bar of zeros, 1 in 10,000 lacks its open, and 1 in 1,000 has an
 * older duplicate with other prices, so keeping the wrong one would change the output.
 */
export async function generateRaw(spec: RawSpec): Promise<number> {
  const path = rawFile(spec);
  mkdirSync(dirname(path), { recursive: true });
  const u = (k: number) => `((hash(t, s, ${k}) % 1000003) / 1000003.0)`;
  const ticker = `'T' || lpad(CAST(t AS VARCHAR), 4, '0') || '.SA'`;
  await rows(`
    CREATE OR REPLACE TEMP TABLE grid AS
    WITH days AS (
      SELECT CAST(d AS DATE) AS day, CAST(row_number() OVER (ORDER BY d) AS INTEGER) AS s
      FROM (SELECT d FROM range(DATE ${sqlString(spec.lastDay)} - INTERVAL ${spec.sessions * 2} DAY,
                                DATE ${sqlString(spec.lastDay)} + INTERVAL 1 DAY, INTERVAL 1 DAY) AS r(d)
            WHERE isodow(d) <= 5 ORDER BY d DESC LIMIT ${spec.sessions})
    ),
    walk AS (
      SELECT CAST(t.range AS INTEGER) AS t, s, day,
        strftime(day, '%m-%d') IN (${B3_FIXED_HOLIDAYS.map(sqlString).join(", ")}) AS holiday,
        5 + 95 * ((hash(t.range, 0, 0) % 1000003) / 1000003.0) AS p0
      FROM range(1, ${spec.tickers + 1}) AS t CROSS JOIN days
    ),
    priced AS (
      SELECT *, p0 * exp(SUM(CASE WHEN holiday THEN 0.0 ELSE 0.02 * (${u(1)} + ${u(2)} + ${u(3)} - 1.5) END)
                         OVER (PARTITION BY t ORDER BY s)) AS c
      FROM walk
    ),
    bars AS (
      SELECT t, s, day, round(c, 2) AS close, round(c * (1 + 0.01 * (${u(4)} - 0.5)), 2) AS o,
        CASE WHEN holiday THEN 'holiday' WHEN hash(t, s, 7) % 5000 = 0 THEN 'zero'
             WHEN hash(t, s, 8) % 10000 = 0 THEN 'missing' ELSE 'session' END AS kind,
        ${u(5)} AS uh, ${u(6)} AS ul, hash(t, s, 9) % 1000 = 0 AS duplicated,
        1000 + CAST(hash(t, s, 10) % 5000000 AS BIGINT) AS vol
      FROM priced
    )
    SELECT ${ticker} AS ticker, day AS trade_date, duplicated,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 WHEN 'missing' THEN NULL ELSE o END AS open,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 ELSE round(greatest(o, close) * (1 + 0.01 * uh), 2) END AS high,
      CASE kind WHEN 'holiday' THEN close WHEN 'zero' THEN 0.0 ELSE round(least(o, close) * (1 - 0.01 * ul), 2) END AS low,
      CASE kind WHEN 'zero' THEN 0.0 ELSE close END AS close,
      CASE kind WHEN 'zero' THEN 0.0 ELSE round(close * (0.8 + 0.2 * s / ${spec.sessions}), 4) END AS adj_close,
      CASE WHEN kind IN ('session', 'missing') THEN vol ELSE 0 END AS volume
    FROM bars`);
  const at = (time: string) => `TIMESTAMPTZ '${spec.ingestionDate} ${time}+00'`;
  await rows(`
    COPY (
      SELECT ticker, trade_date, open, high, low, close, adj_close, CAST(volume AS BIGINT) AS volume,
        ${at("21:30:00")} AS ingested_at FROM grid
      UNION ALL
      SELECT ticker, trade_date, round(open * 1.1, 2), round(high * 1.1, 2), round(low * 1.1, 2),
        round(close * 1.1, 2), round(adj_close * 1.1, 4), volume + 1, ${at("20:30:00")}
      FROM grid WHERE duplicated
      ORDER BY ticker, trade_date, ingested_at
    ) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION snappy)`);
  const [count] = await rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`);
  return Number(count?.n);
}

interface ScaleRun {
  m: Measured;
  facts: Facts;
}

/**
 * A new lake holding only `raw`, or a copy of `base` plus `raw`. Nothing is deleted while engines are
 * timed (deleting thousands of folders just before a run slowed it on this kind of disk), and `sync`
 * flushes the copy and earlier runs' writes, so no run pays for another's writeback.
 */
function freshLake(name: string, spec: RawSpec, base?: string): string {
  const lake = join(LAKES, name);
  if (base) execFileSync("cp", ["-a", base, lake]);
  const raw = join(lake, rawKey(spec.ingestionDate));
  mkdirSync(dirname(raw), { recursive: true });
  copyFileSync(rawFile(spec), raw);
  execFileSync("sync");
  return lake;
}

interface Engine {
  label: string;
  /** The bench fails when this engine's output differs from DuckDB's; a peer's is only reported. */
  strict: boolean;
  run: (lake: string, date: string) => Promise<Measured>;
}
const b3Transform = (engine: string) => (lake: string, date: string) =>
  measure(process.execPath, [
    B3_CLI,
    "transform",
    "--json",
    `--engine=${engine}`,
    `--lake=${lake}`,
    `--date=${date}`,
  ]);
const pythonScript = (script: string) => (lake: string, date: string) =>
  measure(VENV_PYTHON, [script, join(lake, rawKey(date)), lake]);
const nodeScript = (script: string) => (lake: string, date: string) =>
  measure(process.execPath, [script, join(lake, rawKey(date)), lake]);

function python(code: string): string | null {
  const run = spawnSync(VENV_PYTHON, ["-c", code], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : null;
}

/** Polars is the bench's own need, not the product's: installed into .venv from requirements.txt. */
function polarsVersion(log: (line: string) => void): string {
  if (!existsSync(VENV_PYTHON)) throw new Error("no .venv: run bash scripts/setup-python.sh first");
  const version = () => python("import polars; print(polars.__version__)");
  if (version() === null) {
    log("transform: installing bench/requirements.txt into .venv");
    const requirements = join(REPO_ROOT, "bench/requirements.txt");
    execFileSync(VENV_PYTHON, ["-m", "pip", "install", "--quiet", "-r", requirements]);
  }
  return version() ?? "missing";
}

export async function transformBench(options: TransformOptions): Promise<string> {
  const { runs, sparkRuns, dailyRuns, log } = options;
  const polars = polarsVersion(log);
  const pyspark = sparkRuns > 0 ? python("import pyspark; print(pyspark.__version__)") : "";
  if (pyspark === null) throw new Error("pyspark is missing from .venv: leave out --spark-runs");
  const engines: Record<string, Engine> = {
    duckdb: { label: "`b3 transform` (DuckDB)", strict: true, run: b3Transform("duckdb") },
    polars: { label: "in-repo Polars", strict: true, run: pythonScript(POLARS) },
    // Not the same rules (no merge of a key's versions): its output differences are reported.
    bare: { label: "bare DuckDB SQL", strict: false, run: nodeScript(BARE_DUCKDB) },
  };
  options.peers.forEach((peer, i) => {
    const path = resolve(peer);
    if (!existsSync(path)) throw new Error(`--peer ${peer}: no such file`);
    engines[`peer${i + 1}`] = { label: basename(path), strict: false, run: pythonScript(path) };
  });
  if (sparkRuns > 0) {
    engines.spark = {
      label: "`b3 transform --engine spark`",
      strict: true,
      run: b3Transform("spark"),
    };
  }

  rmSync(LAKES, { recursive: true, force: true });
  mkdirSync(LAKES, { recursive: true });
  log("transform: generating the raw files");
  const rawRows = await generateRaw(FIRST);
  const dailyRows = await generateRaw(DAILY);

  const results: Record<string, { m: Measured; facts: Facts }[]> = Object.fromEntries(
    Object.keys(engines).map((key) => [key, []]),
  );
  const warnings: string[] = [];
  for (let round = 0; round < runs; round++) {
    const order = Object.keys(engines).filter((key) => key !== "spark" || round < sparkRuns);
    // Every other round in reverse, so neither side of a pair always runs on the other's leftovers.
    if (round % 2 === 1) order.reverse();
    for (const key of order) {
      const engine = engines[key] as Engine;
      const lake = freshLake(`${key}-${round + 1}`, FIRST);
      const m = await engine.run(lake, FIRST.ingestionDate);
      const facts = await lakeFacts(lake);
      log(`  round ${round + 1}, ${engine.label}: ${seconds(m.wallMs)}, ${mb(m.peakBytes)}`);
      const reference = results.duckdb?.[0]?.facts ?? facts;
      if (!sameFacts(reference, facts)) {
        const problem = `${engine.label} wrote ${factsText(facts)}; DuckDB ${factsText(reference)}`;
        if (engine.strict) throw new Error(problem);
        if (round === 0) warnings.push(problem);
      }
      results[key]?.push({ m, facts });
    }
  }

  log(`transform: ${dailyRuns} daily run(s) into a copy of the first DuckDB lake`);
  const daily: { m: Measured; summary: Record<string, number> }[] = [];
  for (let i = 0; i < dailyRuns; i++) {
    const lake = freshLake(`daily-${i + 1}`, DAILY, join(LAKES, "duckdb-1"));
    const m = await engines.duckdb?.run(lake, DAILY.ingestionDate);
    if (m) daily.push({ m, summary: JSON.parse(m.stdout) });
  }

  const scale: { spec: RawSpec; rawRows: number; runs: Record<string, ScaleRun> }[] = [];
  if (options.scale) {
    const keys = ["duckdb", ...Object.keys(engines).filter((key) => key.startsWith("peer"))];
    for (const spec of SCALE) {
      log(`transform: scale run ${spec.name}`);
      const rawRows = await generateRaw(spec);
      const runs: Record<string, ScaleRun> = {};
      for (const key of keys) {
        const engine = engines[key] as Engine;
        const lake = freshLake(`${spec.name}-${key}`, spec);
        const m = await engine.run(lake, spec.ingestionDate);
        runs[key] = { m, facts: await lakeFacts(lake) };
        log(`  ${spec.name}, ${engine.label}: ${seconds(m.wallMs)}, ${mb(m.peakBytes)}`);
      }
      scale.push({ spec, rawRows, runs });
    }
  }
  rmSync(LAKES, { recursive: true, force: true });

  const figures: [string, (m: Measured) => number, (v: number) => string][] = [
    ["wall", (m) => m.wallMs, seconds],
    ["CPU (user + sys)", (m) => m.cpuMs, seconds],
    ["peak RSS", (m) => m.peakBytes, mb],
  ];
  const duck = results.duckdb ?? [];
  const others = Object.keys(engines).filter((key) => key !== "duckdb");
  // Pair i is DuckDB's and the other's run of round i: the same minutes of the machine's load.
  const pairRatios = (key: string, figure: (m: Measured) => number) =>
    (results[key] ?? []).map((r, i) => figure((duck[i] as { m: Measured }).m) / figure(r.m));
  const label = (key: string) => (engines[key] as Engine).label;
  const count = (key: string) => results[key]?.length ?? 0;

  const daySummary = (field: string) => median(daily.map((d) => Number(d.summary[field])));
  const peerKeys = others.filter((key) => key.startsWith("peer"));
  // The targets are set against the independent peer, pair by pair.
  const targets = peerKeys.map((key) => {
    const wall = pairRatios(key, (m) => m.wallMs);
    const peak = pairRatios(key, (m) => m.peakBytes);
    const within = (values: number[], limit: number) => values.filter((v) => v <= limit).length;
    // What the same machine gives without the engine: bare DuckDB SQL ÷ the peer, run by run.
    const bare = (results.bare ?? []).map(
      (r, i) => r.m.wallMs / (results[key]?.[i]?.m.wallMs ?? Number.NaN),
    );
    return (
      `Against ${label(key)}: wall ≤ 0.60× (the target) in ${within(wall, 0.6)} of ${wall.length} pairs, ` +
      `peak RSS ≤ 1.00× (the target) in ${within(peak, 1)} of ${peak.length} pairs` +
      (bare.length
        ? `; ${label("bare")} ÷ it, wall: ${ratio(median(bare))} (median of the rounds).`
        : ".")
    );
  });
  const triple = (m: Measured) => `${seconds(m.wallMs)} / ${seconds(m.cpuMs)} / ${mb(m.peakBytes)}`;
  const scaleSection = scale.length
    ? [
        "### Scale: a long history and many tickers",
        "",
        `Each a first run on an empty lake, once per engine: wall / CPU / peak RSS, and DuckDB ÷ the peer. Budget: peak RSS within ${mb(SCALE_MEMORY_BUDGET)} (2 GiB).`,
        "",
        table(
          [
            "run",
            "raw rows",
            "refined rows",
            label("duckdb"),
            ...peerKeys.flatMap((k) => [label(k), "DuckDB ÷ it"]),
            "within 2 GiB",
          ],
          scale.map(({ spec, rawRows, runs }) => {
            const duckRun = runs.duckdb as ScaleRun;
            return [
              `${spec.tickers} tickers × ${fmt(spec.sessions, 0)} business days`,
              fmt(rawRows, 0),
              fmt(duckRun.facts.refined, 0),
              triple(duckRun.m),
              ...peerKeys.flatMap((k) => {
                const peer = runs[k] as ScaleRun;
                const r = (f: (m: Measured) => number) => ratio(f(duckRun.m) / f(peer.m));
                return [
                  triple(peer.m),
                  `${r((m) => m.wallMs)} / ${r((m) => m.cpuMs)} / ${r((m) => m.peakBytes)}`,
                ];
              }),
              duckRun.m.peakBytes <= SCALE_MEMORY_BUDGET ? "yes" : "no",
            ];
          }),
        ),
        "",
      ]
    : [];
  return [
    "## Transform",
    "",
    `### A first run of ${fmt(rawRows, 0)} raw rows on an empty lake`,
    "",
    `${FIRST.tickers} tickers × ${fmt(FIRST.sessions, 0)} business days to ${FIRST.lastDay} (${fmt(statSync(rawFile(FIRST)).size / 1e6, 1)} MB of Parquet), ` +
      `${fmt(duck[0]?.facts.refined ?? 0, 0)} refined rows, ${fmt(duck[0]?.facts.aggregated ?? 0, 0)} aggregated rows. ` +
      `Medians over ${runs} round(s); a ratio is the median of DuckDB ÷ that engine, pair by pair (below 1: DuckDB is faster or leaner).`,
    "",
    table(
      [
        "figure",
        label("duckdb"),
        ...others.flatMap((k) => [`${label(k)} (${count(k)})`, "DuckDB ÷ it"]),
      ],
      figures.map(([name, figure, show]) => [
        name,
        show(median(duck.map((r) => figure(r.m)))),
        ...others.flatMap((k) => [
          show(median((results[k] ?? []).map((r) => figure(r.m)))),
          ratio(median(pairRatios(k, figure))),
        ]),
      ]),
    ),
    "",
    "DuckDB ÷ each engine, pair by pair (wall / CPU / peak RSS):",
    "",
    table(
      ["round", ...others.map(label)],
      duck.map((_, i) => [
        `${i + 1}${i % 2 === 1 ? " (reversed)" : ""}`,
        ...others.map((k) =>
          i < count(k)
            ? figures.map(([, f]) => ratio(pairRatios(k, f)[i] ?? Number.NaN)).join(" / ")
            : "",
        ),
      ]),
    ),
    "",
    ...targets.map((t) => `${t}\n`),
    ...warnings.map((w) => `Not the same output: ${w}.\n`),
    "### A daily run into the lake holding those rows",
    "",
    `The next day's raw file, ${fmt(dailyRows, 0)} rows (${DAILY.tickers} tickers × ${DAILY.sessions} business days to ${DAILY.lastDay}, other prices than the history's), ` +
      `applied by \`b3 transform --date ${DAILY.ingestionDate}\` to a fresh copy of the first DuckDB lake, ${daily.length} run(s): ` +
      `${fmt(daySummary("partitions_written"), 0)} partitions and ${fmt(daySummary("refined_rows_written"), 0)} refined rows rewritten and the aggregated table rewritten whole (computed for the run's tickers, the others' months taken from the lake). Target: wall ≤ 1.0 s.`,
    "",
    table(
      ["figure", "median", "min – max"],
      figures.map(([name, figure, show]) => {
        const values = daily.map((d) => figure(d.m));
        return [
          name,
          show(median(values)),
          `${show(Math.min(...values))} – ${show(Math.max(...values))}`,
        ];
      }),
    ),
    "",
    ...scaleSection,
    `Versions: DuckDB ${(await rows("SELECT version() AS v"))[0]?.v}, Polars ${polars}${pyspark ? `, pyspark ${pyspark}` : ""}.`,
  ].join("\n");
}
