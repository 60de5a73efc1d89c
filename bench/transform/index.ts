/**
 * The transform benchmark of issue 3: one synthetic raw file of ~1M rows (400 tickers × 2,500
 * business days) turned into refined + aggregated by the local engine (DuckDB), by a plain Polars
 * implementation of the same rules, and by the Spark engine (the Glue job on local pyspark), each
 * in its own child process on its own fresh lake, with wall time and peak memory of the process
 * tree; every run is checked, and the three engines' outputs are compared row by row.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { rawKey } from "../../packages/core/src/lake-layout.ts";
import { REPO_ROOT } from "../extract/bundle.ts";
import { type MeasuredRun, type ProcessMemory, runMeasured } from "../lib/process-tree.ts";
import {
  fmt,
  fmtInt,
  markdownTable,
  median,
  passes,
  VERDICT_HEADER,
  type Verdict,
  verdictRow,
} from "../lib/stats.ts";
import { generateRaw, RAW_SPEC, type RawExpectation } from "./generate.ts";
import { ensurePythonEnv, type PythonVersions, VENV_PYTHON } from "./python-env.ts";
import {
  compareLakes,
  comparisonProblems,
  duckdbVersion,
  factDifferences,
  type LakeComparison,
  type LakeFacts,
  lakeFacts,
} from "./verify.ts";

export interface TransformBenchOptions {
  /** Runs of the local engine and of Polars each. */
  runs: number;
  /** Runs of the Spark engine (slow: a JVM per run); 0 leaves Spark out. */
  sparkRuns: number;
  log: (line: string) => void;
}

export interface TransformBenchResult {
  verdicts: Verdict[];
  markdown: string;
}

export type Engine = "duckdb" | "polars" | "spark";

export const ENGINE_NAMES: Record<Engine, string> = {
  duckdb: "local engine (DuckDB)",
  polars: "plain Polars",
  spark: "Spark engine (local pyspark)",
};

const MB = 1_000_000;
const TARGET_PEAK_MB = 2000; // "under 2 GB", GB = 10^9 bytes (2,000 MB; 1,907 MiB)

const SCRATCH = join(REPO_ROOT, ".bench", "transform");
const RAW_PATH = join(SCRATCH, rawKey(RAW_SPEC.ingestionDate));
const LAKES = join(SCRATCH, "lakes");
const ENGINE_CHILD = join(REPO_ROOT, "bench", "transform", "engine-child.ts");
const POLARS_SCRIPT = join(REPO_ROOT, "bench", "transform", "polars_transform.py");
const PHASES_CHILD = join(REPO_ROOT, "bench", "transform", "duckdb-phases-child.ts");

/** What every engine's child prints (normalised). */
interface EngineReport {
  /** Time inside the process spent on the transform itself (no interpreter/JVM start-up). */
  inProcessMs: number;
  /** Loading the engine's code (Node modules / `import polars`), when known. */
  loadMs: number | null;
  raw_rows: number;
  sessions: number;
  dropped: Record<string, number>;
  partitions_written: number;
  aggregated_rows: number;
  detail: Record<string, number>;
  /** CPU time of the child process itself (all its threads), when it reports it. */
  cpuMs: number | null;
}

export interface TransformRun {
  engine: Engine;
  index: number;
  measured: MeasuredRun;
  report: EngineReport;
  facts: LakeFacts;
  lake: string;
}

interface PhasesReport {
  threads: number;
  partitions: number;
  defaultMaxOpen: number;
  totalMs: number;
  phases: {
    name: string;
    ms: number;
    cpuMs: number;
    rssAfterBytes: number;
    peakSoFarBytes: number;
  }[];
  copyVariants: { name: string; ms: number[]; files: number }[];
  sqlWhatIfs: { name: string; ms: number[] }[];
  maxRssKiB: number;
}

export async function runTransformBench(
  options: TransformBenchOptions,
): Promise<TransformBenchResult> {
  const { log } = options;
  const versions = ensurePythonEnv(log);
  if (options.sparkRuns > 0 && (versions.pyspark === null || versions.java === null)) {
    throw new Error(
      "the Spark engine cannot run here (pyspark or java missing): run bash scripts/setup-python.sh, or pass --spark-runs 0",
    );
  }

  // The previous invocation's lakes go now, before anything is timed (see freshLake).
  rmSync(LAKES, { recursive: true, force: true });
  log(`transform: generating ${relative(REPO_ROOT, RAW_PATH)}`);
  const expected = await generateRaw(RAW_PATH);
  log(
    `  ${fmtInt(expected.rawRows)} raw rows, ${fmtInt(expected.sessions)} sessions, ${fmtInt(expected.fileBytes)} bytes, ${fmt(expected.generateMs / 1000, 2)} s`,
  );

  const runs: TransformRun[] = [];
  const rounds = Math.max(options.runs, options.sparkRuns);
  // Interleaved round by round, so load from anything else on the machine falls on all engines.
  for (let i = 0; i < rounds; i++) {
    const order: Engine[] = [];
    if (i < options.runs) order.push("duckdb", "polars");
    if (i < options.sparkRuns) order.push("spark");
    for (const engine of order) {
      log(`transform: ${ENGINE_NAMES[engine]}, run ${i + 1}`);
      const run = await runEngine(engine, i);
      log(
        `  ${fmt(run.measured.wallMs / 1000, 2)} s wall, peak RSS ${fmt(run.measured.peakBytes / MB)} MB`,
      );
      checkRun(run, expected, runs[0]);
      runs.push(run);
    }
  }

  log("transform: comparing the outputs row by row");
  const last = (engine: Engine) => runs.filter((r) => r.engine === engine).at(-1);
  const reference = last("duckdb") as TransformRun;
  const comparisons: { engine: Engine; comparison: LakeComparison }[] = [];
  for (const other of [last("polars"), last("spark")]) {
    if (!other) continue;
    const comparison = await compareLakes(reference.lake, other.lake);
    const problems = comparisonProblems(comparison);
    if (problems.length > 0) {
      throw new Error(
        `${ENGINE_NAMES[other.engine]} and the local engine disagree: ${problems.join("; ")}`,
      );
    }
    comparisons.push({ engine: other.engine, comparison });
  }

  log("transform: timing the local engine's phases (replayed step by step)");
  const phases = await runPhases();

  // Keep each engine's last lake for a look afterwards; the rest go now that nothing is timed.
  const kept = new Set((["duckdb", "polars", "spark"] as Engine[]).map((e) => last(e)?.lake));
  for (const run of runs)
    if (!kept.has(run.lake)) rmSync(run.lake, { recursive: true, force: true });

  const verdicts = transformVerdicts(runs);
  return {
    verdicts,
    markdown: markdown({
      expected,
      runs,
      comparisons,
      phases,
      versions: { ...versions, duckdb: await duckdbVersion() },
      verdicts,
    }),
  };
}

/**
 * A new, empty lake holding only the raw file, in a folder of its own: no lake is deleted while
 * the engines are being timed (deleting ~2,500 folders just before a run slowed the next run by
 * 1–2 s on this VM's disk, `sync` or not); the old ones go at the end. `sync` then flushes the
 * copy and the previous run's writes, so no run pays for another's writeback.
 */
function freshLake(name: string): string {
  const lake = join(LAKES, name);
  rmSync(lake, { recursive: true, force: true });
  const raw = join(lake, rawKey(RAW_SPEC.ingestionDate));
  mkdirSync(join(raw, ".."), { recursive: true });
  copyFileSync(RAW_PATH, raw);
  execFileSync("sync");
  return lake;
}

async function runEngine(engine: Engine, index: number): Promise<TransformRun> {
  const lake = freshLake(`${engine}-${index + 1}`);
  const date = RAW_SPEC.ingestionDate;
  const measured =
    engine === "polars"
      ? await runMeasured(VENV_PYTHON, [
          POLARS_SCRIPT,
          "--lake_root",
          lake,
          "--ingestion_date",
          date,
        ])
      : await runMeasured(process.execPath, [ENGINE_CHILD, engine, lake, date], { cwd: REPO_ROOT });
  if (measured.exitCode !== 0) {
    throw new Error(
      `${ENGINE_NAMES[engine]} failed (exit ${measured.exitCode}): ${measured.stderr.trim().split("\n").slice(-8).join("\n")}`,
    );
  }
  const line = JSON.parse(measured.stdout.trim().split("\n").at(-1) ?? "{}");
  const report = engine === "polars" ? polarsReport(line) : engineReport(line);
  return { engine, index, measured, report, facts: await lakeFacts(lake), lake };
}

function engineReport(line: {
  loadMs: number;
  transformMs: number;
  maxRssKiB: number;
  cpuMs: number;
  summary: Omit<EngineReport, "inProcessMs" | "loadMs" | "detail">;
}): EngineReport {
  return {
    ...line.summary,
    inProcessMs: line.loadMs + line.transformMs,
    loadMs: line.loadMs,
    detail: { transformMs: line.transformMs, ownMaxRssKiB: line.maxRssKiB },
    cpuMs: line.cpuMs,
  };
}

function polarsReport(line: Record<string, unknown>): EngineReport {
  const phases = ["read_classify_ms", "features_ms", "write_refined_ms"];
  const detail: Record<string, number> = {};
  for (const key of [...phases, "compute_aggregated_ms", "write_aggregated_ms", "max_rss_kib"]) {
    detail[key] = Number(line[key]);
  }
  return {
    raw_rows: Number(line.raw_rows),
    sessions: Number(line.sessions),
    dropped: line.dropped as Record<string, number>,
    partitions_written: Number(line.partitions_written),
    aggregated_rows: Number(line.aggregated_rows),
    inProcessMs: Object.entries(detail)
      .filter(([k]) => k.endsWith("_ms"))
      .reduce((sum, [, v]) => sum + v, 0),
    loadMs: null,
    detail,
    cpuMs: Number(line.cpu_ms),
  };
}

/** Fails the benchmark when a run's output is not what the raw file must give. */
function checkRun(run: TransformRun, expected: RawExpectation, first?: TransformRun): void {
  const { report, facts } = run;
  const problems = [
    ...facts.problems,
    report.raw_rows !== expected.rawRows &&
      `read ${report.raw_rows} raw rows, not ${expected.rawRows}`,
    report.sessions !== expected.sessions &&
      `${report.sessions} sessions, not ${expected.sessions}`,
    JSON.stringify(report.dropped) !== JSON.stringify(expected.dropped) &&
      `dropped ${JSON.stringify(report.dropped)}, not ${JSON.stringify(expected.dropped)}`,
    facts.counts.refined_rows !== expected.sessions &&
      `refined holds ${facts.counts.refined_rows} rows, not ${expected.sessions}`,
    facts.counts.refined_partitions !== expected.refinedPartitions &&
      `refined has ${facts.counts.refined_partitions} partitions, not ${expected.refinedPartitions}`,
    facts.counts.aggregated_rows !== expected.aggregatedRows &&
      `aggregated holds ${facts.counts.aggregated_rows} rows, not ${expected.aggregatedRows}`,
    facts.counts.aggregated_sum_dias_pregao !== expected.sessions &&
      `aggregated counts ${facts.counts.aggregated_sum_dias_pregao} sessions`,
    facts.counts.aggregated_open_months !== RAW_SPEC.tickers &&
      `${facts.counts.aggregated_open_months} rows with mes_fechado false, not one per ticker`,
    ...(first ? factDifferences(first.facts, facts).map((d) => `vs ${first.engine}: ${d}`) : []),
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) {
    throw new Error(
      `${ENGINE_NAMES[run.engine]} run ${run.index + 1} wrote the wrong tables: ${problems.join("; ")}`,
    );
  }
}

async function runPhases(): Promise<{ report: PhasesReport; measured: MeasuredRun }> {
  const lake = freshLake("duckdb-phases");
  const measured = await runMeasured(
    process.execPath,
    [PHASES_CHILD, lake, RAW_SPEC.ingestionDate],
    { cwd: REPO_ROOT },
  );
  if (measured.exitCode !== 0) {
    throw new Error(
      `the phase replay failed: ${measured.stderr.trim().split("\n").slice(-8).join("\n")}`,
    );
  }
  const report = JSON.parse(measured.stdout.trim().split("\n").at(-1) ?? "{}") as PhasesReport;
  const facts = await lakeFacts(lake);
  if (facts.problems.length > 0 || facts.counts.refined_rows === 0) {
    throw new Error(`the phase replay wrote a wrong lake: ${facts.problems.join("; ")}`);
  }
  rmSync(lake, { recursive: true, force: true });
  return { report, measured };
}

// ---------------------------------------------------------------------------------------- figures

const walls = (runs: TransformRun[], engine: Engine) =>
  runs.filter((r) => r.engine === engine).map((r) => r.measured.wallMs);
const peaks = (runs: TransformRun[], engine: Engine) =>
  runs.filter((r) => r.engine === engine).map((r) => r.measured.peakBytes);
const worst = (values: number[]) => Math.max(...values);

function transformVerdicts(runs: TransformRun[]): Verdict[] {
  const duck = walls(runs, "duckdb");
  const polars = walls(runs, "polars");
  return [
    {
      name: "local engine wall time vs plain Polars, median",
      value: median(duck) / 1000,
      unit: "s",
      target: median(polars) / 1000,
      comparison: "≤",
      basis: `medians of ${duck.length} runs each; target = Polars' median; child spawn → exit`,
      digits: 2,
    },
    {
      name: "local engine wall time vs plain Polars, worst",
      value: worst(duck) / 1000,
      unit: "s",
      target: worst(polars) / 1000,
      comparison: "≤",
      basis: `worst of ${duck.length} runs each; target = Polars' worst`,
      digits: 2,
    },
    {
      name: "local engine peak memory",
      value: worst(peaks(runs, "duckdb")) / MB,
      unit: "MB",
      target: TARGET_PEAK_MB,
      comparison: "<",
      basis: `worst of ${duck.length}; peak RSS of the child process; 2 GB = 2,000 MB = 10^9 bytes × 2`,
      digits: 0,
    },
  ];
}

interface MarkdownInput {
  expected: RawExpectation;
  runs: TransformRun[];
  comparisons: { engine: Engine; comparison: LakeComparison }[];
  phases: { report: PhasesReport; measured: MeasuredRun };
  versions: PythonVersions & { duckdb: string };
  verdicts: Verdict[];
}

const s = (ms: number, digits = 2) => fmt(ms / 1000, digits);
const mb = (bytes: number) => fmtInt(bytes / MB);
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`;

function markdown(input: MarkdownInput): string {
  const { expected, runs, comparisons, phases, versions, verdicts } = input;
  const engines = (["duckdb", "polars", "spark"] as Engine[]).filter((e) =>
    runs.some((r) => r.engine === e),
  );
  const duckWall = median(walls(runs, "duckdb"));
  const duckWorst = worst(walls(runs, "duckdb"));
  const out: string[] = [];

  const missed = verdicts.filter((v) => !passes(v));
  out.push(
    "### Verdicts",
    "",
    markdownTable(VERDICT_HEADER, verdicts.map(verdictRow)),
    "",
    missed.length === 0
      ? "Both goals met on this run."
      : `Missed: ${missed.map((v) => `${v.name} by ${fmt(v.value - v.target, v.digits)} ${v.unit} (${fmt((v.value / v.target - 1) * 100, 0)} % over)`).join("; ")}.`,
    "",
    `Versions: DuckDB ${versions.duckdb} (@duckdb/node-api, Node ${process.version}), Polars ${versions.polars} (Python ${versions.python}), pyspark ${versions.pyspark ?? "—"} (${versions.java ?? "no Java"}).`,
    "",
    "### Input",
    "",
    `\`${relative(REPO_ROOT, RAW_PATH)}\`, generated by \`bench/transform/generate.ts\` with DuckDB (deterministic): ${RAW_SPEC.tickers} tickers × ${fmtInt(RAW_SPEC.sessions)} consecutive business days ${expected.firstDay} … ${expected.lastDay} (${expected.months} months) = ${fmtInt(expected.gridRows)} rows, plus ${fmtInt(expected.dropped.duplicate ?? 0)} older duplicates; ${fmtInt(expected.fileBytes)} bytes (snappy). Run date ${RAW_SPEC.ingestionDate}.`,
    "",
    markdownTable(
      [
        "raw rows",
        "sessions",
        "duplicate",
        "non_session (holiday quotes)",
        "non_positive_price",
        "missing_price",
        "refined partitions",
        "aggregated rows",
      ],
      [
        [
          fmtInt(expected.rawRows),
          fmtInt(expected.sessions),
          fmtInt(expected.dropped.duplicate ?? 0),
          `${fmtInt(expected.dropped.non_session ?? 0)} (${expected.holidayDates} dates)`,
          fmtInt(expected.dropped.non_positive_price ?? 0),
          fmtInt(expected.dropped.missing_price ?? 0),
          fmtInt(expected.refinedPartitions),
          fmtInt(expected.aggregatedRows),
        ],
      ],
    ),
    "",
    "### Results",
    "",
    "Wall time is the child process's spawn → exit as the benchmark saw it: interpreter or JVM start-up, loading the engine, reading raw, computing, writing both tables. Peak RSS is the peak resident memory of the child's whole process tree (for Spark: node + python + java, a fork not yet exec'd not counted twice), see bench/README.md. In-process is the child's own clock: for DuckDB, loading the engine's modules + the engine call; for Polars, the transform after `import polars`; for Spark, the engine call (python and the JVM start inside it). CPU is the child process's own user + system time (all its threads; not measured for Spark, whose work is in the JVM).",
    "",
    markdownTable(
      [
        "engine",
        "runs",
        "wall, median (s)",
        "wall, worst (s)",
        "in-process, median (s)",
        "CPU, median (s)",
        "peak RSS, median (MB)",
        "peak RSS, worst (MB)",
        "local engine ÷ this, median wall",
      ],
      engines.map((e) => {
        const w = walls(runs, e);
        const p = peaks(runs, e);
        const mine = runs.filter((r) => r.engine === e);
        const inProcess = mine.map((r) => r.report.inProcessMs);
        return [
          e === "duckdb" ? `**${ENGINE_NAMES[e]}**` : ENGINE_NAMES[e],
          String(w.length),
          s(median(w)),
          s(worst(w)),
          s(median(inProcess)),
          e === "spark" ? "—" : s(median(mine.map((r) => r.report.cpuMs ?? 0))),
          mb(median(p)),
          mb(worst(p)),
          e === "duckdb" ? "1.00×" : ratio(duckWall, median(w)),
        ];
      }),
    ),
    "",
  );
  const polarsWall = walls(runs, "polars");
  const sparkWall = walls(runs, "spark");
  out.push(
    `Ratios (local engine ÷ other; below 1 means the local engine is faster): DuckDB/Polars ${ratio(duckWall, median(polarsWall))} on the medians, ${ratio(duckWorst, worst(polarsWall))} on the worst runs` +
      (sparkWall.length > 0
        ? `; DuckDB/Spark ${ratio(duckWall, median(sparkWall))} on the medians (Spark takes ${fmt(median(sparkWall) / duckWall, 1)}× as long). Peak memory: DuckDB/Polars ${ratio(worst(peaks(runs, "duckdb")), worst(peaks(runs, "polars")))}, DuckDB/Spark ${ratio(worst(peaks(runs, "duckdb")), worst(peaks(runs, "spark")))} (worst runs).`
        : ". Spark was left out (--spark-runs 0)."),
    "",
    "Every run, in the order they ran (interleaved):",
    "",
    markdownTable(
      [
        "#",
        "engine",
        "wall (s)",
        "in-process (s)",
        "CPU (s)",
        "peak RSS (MB)",
        "tree at its sampled peak (MB)",
        "largest process, kernel HWM (MB)",
        "detail",
      ],
      runs.map((r, i) => [
        String(i + 1),
        ENGINE_NAMES[r.engine],
        s(r.measured.wallMs),
        s(r.report.inProcessMs),
        r.engine === "spark" ? "—" : s(r.report.cpuMs ?? 0),
        mb(r.measured.peakBytes),
        treeText(r.measured.treeAtPeak),
        mb(Math.max(r.measured.largestProcessHwmBytes, r.measured.gnuTimeMaxRssBytes ?? 0)),
        detailText(r),
      ]),
    ),
    "",
    "### Same output from all three",
    "",
    "Checked after every run (the benchmark fails otherwise): the engine's own summary (raw rows, sessions, drops per reason) and the tables read back with DuckDB — refined rows = sessions, one partition folder per session date with only Parquet files in it, aggregated rows, Σ dias_pregao = sessions, one open month (`mes_fechado` false) per ticker, the §4 column types, and these checksums equal to the first run's (counts exactly, float sums within 1e-9 relative):",
    "",
    markdownTable(
      [
        "engine",
        "refined rows",
        "media_movel_7d non-null",
        "lag_3d non-null",
        "Σ media_movel_7d",
        "Σ lag_3d",
        "aggregated rows",
        "Σ volume_total",
        "Σ preco_medio_fechamento",
        "data_pregao also inside the files",
      ],
      engines.map((e) => {
        const f = (runs.filter((r) => r.engine === e).at(-1) as TransformRun).facts;
        return [
          ENGINE_NAMES[e],
          fmtInt(f.counts.refined_rows),
          fmtInt(f.counts.media_movel_7d_non_null),
          fmtInt(f.counts.lag_3d_non_null),
          fmt(f.sums.media_movel_7d, 6),
          fmt(f.sums.lag_3d, 4),
          fmtInt(f.counts.aggregated_rows),
          fmtInt(f.counts.aggregated_sum_volume_total),
          fmt(f.sums.preco_medio_fechamento, 6),
          f.partitionKeyInFiles ? "yes" : "no",
        ];
      }),
    ),
    "",
    "Then each other engine's last lake is joined row by row with the local engine's (refined on ticker and date, aggregated on ticker and month): no row missing on either side, copied values and lags identical, the means within 1e-9 relative.",
    "",
    markdownTable(
      [
        "compared with the local engine",
        "refined rows differing / missing",
        "media_movel_7d not bit-identical",
        "largest media_movel_7d difference",
        "aggregated rows differing / missing",
        "largest preco_medio_fechamento difference",
      ],
      comparisons.map(({ engine, comparison: c }) => [
        ENGINE_NAMES[engine],
        `${c.refinedDiffering} / ${c.refinedOnlyLeft + c.refinedOnlyRight}`,
        fmtInt(c.mediaNotBitIdentical),
        c.maxMediaDiff.toExponential(1),
        `${c.aggregatedDiffering} / ${c.aggregatedOnlyLeft + c.aggregatedOnlyRight}`,
        c.maxPrecoDiff.toExponential(1),
      ]),
    ),
    "",
  );

  const { report } = phases;
  const engineInProcess = median(
    runs.filter((r) => r.engine === "duckdb").map((r) => r.report.detail.transformMs ?? 0),
  );
  const copyMs = report.phases.find((p) => p.name.startsWith("COPY refined"))?.ms ?? 0;
  const sqlMs = report.phases
    .filter((p) => p.name.startsWith("SQL "))
    .reduce((a, p) => a + p.ms, 0);
  out.push(
    "### Where the local engine's time goes",
    "",
    `\`bench/transform/duckdb-phases-child.ts\` replays \`transformWithDuckDB\`'s steps one by one with a clock around each (same SQL files, same statements, ${report.threads} DuckDB threads) on its own fresh lake. Its total, ${s(report.totalMs)} s, compares with the engine call's median of ${s(engineInProcess)} s in the runs above (the rest of the wall time is Node start-up and module loading). SQL: ${s(sqlMs)} s; partitioned COPY of refined: ${s(copyMs)} s (${fmt((copyMs / report.totalMs) * 100, 0)} % of the replay).`,
    "",
    markdownTable(
      ["phase", "ms", "share", "CPU (ms)", "cores busy", "RSS after (MB)", "peak RSS so far (MB)"],
      report.phases.map((p) => [
        p.name,
        fmtInt(p.ms),
        `${fmt((p.ms / report.totalMs) * 100, 1)} %`,
        fmtInt(p.cpuMs),
        p.ms >= 20 ? fmt(p.cpuMs / p.ms, 2) : "",
        mb(p.rssAfterBytes),
        mb(p.peakSoFarBytes),
      ]),
    ),
    "",
    `The same ${fmtInt(expected.sessions)} refined rows written again by the partitioned COPY under other settings, in the same process after the replay (${fmtInt(report.partitions)} partitions; DuckDB's default \`partitioned_write_max_open_files\` is ${report.defaultMaxOpen}), ${report.copyVariants[0]?.ms.length ?? 0} rounds, \`sync\` before each:`,
    "",
    markdownTable(
      ["partitioned COPY of refined", "ms, each round", "files written"],
      report.copyVariants.map((v) => [v.name, v.ms.map(fmtInt).join(" / "), fmtInt(v.files)]),
    ),
    "",
    "What-ifs for the SQL part: the same SQL files registered as the engine registers them and otherwise (the others are not the product's code), in a fresh DuckDB each time, SQL statements only — the COPY after them is the same:",
    "",
    markdownTable(
      ["SQL files registered as", "ms, each round"],
      report.sqlWhatIfs.map((w) => [w.name, w.ms.map(fmtInt).join(" / ")]),
    ),
    "",
    `The replay's own peak RSS: ${mb(phases.measured.peakBytes)} MB (it also holds the COPY variants' buffers).`,
  );
  return out.join("\n");
}

function treeText(tree: ProcessMemory[]): string {
  const byCommand = new Map<string, number>();
  const forks: string[] = [];
  for (const p of tree) {
    if (p.forkOfParent) forks.push(p.command);
    else byCommand.set(p.command, (byCommand.get(p.command) ?? 0) + p.rssBytes);
  }
  const counted = [...byCommand.entries()].map(([c, b]) => `${c} ${mb(b)}`).join(" + ");
  return forks.length > 0
    ? `${counted} (and ${forks.length} fork(s) not yet exec'd, not counted)`
    : counted;
}

function detailText(run: TransformRun): string {
  const d = run.report.detail;
  if (run.engine === "polars") {
    return `read+classify ${fmtInt(d.read_classify_ms ?? 0)} ms, features ${fmtInt(d.features_ms ?? 0)} ms, write refined ${fmtInt(d.write_refined_ms ?? 0)} ms, aggregate+write ${fmtInt((d.compute_aggregated_ms ?? 0) + (d.write_aggregated_ms ?? 0))} ms`;
  }
  return `module load ${fmtInt(run.report.loadMs ?? 0)} ms, engine call ${fmtInt(d.transformMs ?? 0)} ms`;
}
