/**
 * Child process of the transform benchmark: runs one of the project's engines over a lake, as
 * `b3 transform --engine duckdb|spark` does, and prints one JSON line with the engine's summary,
 * the time to load the engine module, the time of the engine call, this process's own maxRSS and
 * CPU time (for Spark the JVM's CPU is not in it: it is another process).
 *
 *   node bench/transform/engine-child.ts duckdb|spark <lakeRoot> <ingestionDate>
 *
 * The engines are imported from their source files (packages/core/src/transform-*.ts), not through
 * the @b3/core barrel, so only what the engine needs is loaded.
 */
const [engine, lakeRoot, ingestionDate] = process.argv.slice(2);
if ((engine !== "duckdb" && engine !== "spark") || !lakeRoot || !ingestionDate) {
  console.error("usage: engine-child.ts duckdb|spark <lakeRoot> <ingestionDate>");
  process.exit(2);
}

const started = performance.now();
const transform =
  engine === "duckdb"
    ? (await import("../../packages/core/src/transform-duckdb.ts")).transformWithDuckDB
    : (await import("../../packages/core/src/transform-spark.ts")).transformWithSpark;
const loadMs = performance.now() - started;

const callStart = performance.now();
const summary = await transform({ lakeRoot, ingestionDate });
const transformMs = performance.now() - callStart;

const { sessions_per_ticker: _perTicker, ...rest } = summary;
process.stdout.write(
  `${JSON.stringify({
    engine,
    loadMs,
    transformMs,
    maxRssKiB: process.resourceUsage().maxRSS,
    // This process's CPU time since it started (all threads: DuckDB's workers are threads of it).
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    summary: rest,
  })}\n`,
);
