/**
 * Where the local engine's time goes, measured from the outside: this child replays the steps of
 * `transformWithDuckDB` (packages/core/src/transform-duckdb.ts) one by one with a clock around
 * each — open DuckDB, register and check the raw file, run each SQL file of glue-scripts/sql (the
 * same files, loaded with the product's `loadTransformSql`), stage refined with the partitioned
 * COPY, stage aggregated, swap the folders in (the engine's own `publish`) — over its own lake.
 * The other steps are replayed, not called; if the engine's steps change, this replay must follow
 * (it is a benchmark aid, and its total is printed beside the engine's own time so a drift shows).
 *
 * Then it writes the same refined rows again with the partitioned COPY under other settings, to
 * check DESIGN §8's note (slow by default with many partitions; fast sorted by the partition key
 * with `partitioned_write_max_open_files` above the partition count).
 *
 *   node bench/transform/duckdb-phases-child.ts <lakeRoot> <ingestionDate>
 *
 * Prints one JSON line: { phases: [{ name, ms }], copyVariants: [{ name, ms, files }], … }.
 */
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { publish } from "../../packages/core/src/transform-duckdb.ts";
import { loadTransformSql } from "../../packages/core/src/transform-sql.ts";

const [lakeRoot, ingestionDate] = process.argv.slice(2);
if (!lakeRoot || !ingestionDate) {
  console.error("usage: duckdb-phases-child.ts <lakeRoot> <ingestionDate>");
  process.exit(2);
}
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
const rawPath = join(lakeRoot, "raw", `ingestion_date=${ingestionDate}`, "stocks_data.parquet");
const staging = join(lakeRoot, "_transform_staging", "bench");

/** As `LAZY_VIEWS` in transform-duckdb.ts: the SQL results the engine registers as views, not tables. */
const ENGINE_LAZY_VIEWS = new Set(["refined_all"]);

const phases: {
  name: string;
  ms: number;
  /** CPU time of all threads (DuckDB's workers included) during the phase. */
  cpuMs: number;
  rssAfterBytes: number;
  peakSoFarBytes: number;
}[] = [];
async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(cpu);
  phases.push({
    name,
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    rssAfterBytes: process.memoryUsage.rss(),
    peakSoFarBytes: process.resourceUsage().maxRSS * 1024,
  });
  return result;
}

const sql = await loadTransformSql();
const instance = await timed("open DuckDB (in-memory)", () => DuckDBInstance.create(":memory:"));
const db = await instance.connect();
const threads = (
  await db.runAndReadAll("SELECT current_setting('threads') AS t")
).getRows()[0]?.[0];
const one = async (text: string) => (await db.runAndReadAll(text)).getRows()[0]?.[0];
// DuckDB's default, read before the replay raises it.
const defaultMaxOpen = Number(
  await one("SELECT current_setting('partitioned_write_max_open_files')"),
);

await timed("register raw: DESCRIBE, view, count(*)", async () => {
  await db.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
  );
  await db.run(
    `CREATE VIEW raw_input AS SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
  );
  await one("SELECT count(*) FROM raw_input");
});
await timed("register refined history (glob; empty on a first run)", async () => {
  await one(
    `SELECT count(*) FROM glob(${q(join(lakeRoot, "refined", "data_pregao=*", "*.parquet"))})`,
  );
  await db.run(`CREATE VIEW refined_history AS (\n${sql.emptyRefinedHistory}\n)`);
});
for (const { view, sql: text } of sql.statements) {
  const kind = ENGINE_LAZY_VIEWS.has(view) ? "VIEW" : "TABLE";
  await timed(`SQL ${view}${kind === "VIEW" ? " (a view)" : ""}`, () =>
    db.run(`CREATE TEMP ${kind} ${view} AS (\n${text}\n)`),
  );
  if (view === "raw_counts") {
    await timed("read raw_counts (run summary)", () =>
      db.runAndReadAll("SELECT nome_acao, drop_reason, row_count FROM raw_counts"),
    );
  }
}
await timed("read run_totals", () => db.runAndReadAll("SELECT * FROM run_totals"));

mkdirSync(staging, { recursive: true });
const partitions = Number(
  await timed("count partitions", () =>
    one("SELECT count(DISTINCT data_pregao) FROM refined_rows"),
  ),
);
await db.run(`SET partitioned_write_max_open_files = ${partitions + 1}`);
await timed("COPY refined, PARTITION_BY data_pregao (staging)", () =>
  db.run(
    `COPY (SELECT * FROM refined_rows ORDER BY data_pregao, nome_acao)
     TO ${q(join(staging, "refined"))} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (data_pregao))`,
  ),
);
await timed("COPY aggregated (staging)", async () => {
  mkdirSync(join(staging, "aggregated"));
  await db.run(
    `COPY (SELECT * FROM aggregated_rows ORDER BY nome_acao, mes_referencia)
     TO ${q(join(staging, "aggregated", "part-00000.parquet"))} (FORMAT parquet, COMPRESSION snappy)`,
  );
});
// The engine's own publish(), on the staged folders.
await timed("swap folders into the lake (renames)", () => publish(lakeRoot, staging));
await timed("close DuckDB, remove staging", async () => {
  db.closeSync();
  instance.closeSync();
  await rm(staging, { recursive: true, force: true });
});
const totalMs = phases.reduce((sum, p) => sum + p.ms, 0);

// The partitioned COPY of the same rows under other settings. "ticker-major" is the order the raw
// file (and a naive query) delivers: every partition is touched again for every ticker.
const variants = [
  {
    name: "sorted by data_pregao, max open files raised (the engine)",
    order: "data_pregao, nome_acao",
    raise: true,
  },
  {
    name: "sorted by data_pregao, default max open files",
    order: "data_pregao, nome_acao",
    raise: false,
  },
  {
    name: "ticker-major order, max open files raised",
    order: "nome_acao, data_pregao",
    raise: true,
  },
  {
    name: "ticker-major order, default max open files",
    order: "nome_acao, data_pregao",
    raise: false,
  },
];
// The variants copy the same refined_rows, recomputed in a fresh DuckDB (not timed).
const variantInstance = await DuckDBInstance.create(":memory:");
const vdb = await variantInstance.connect();
await vdb.run(
  `CREATE VIEW raw_input AS SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
);
await vdb.run(`CREATE VIEW refined_history AS (\n${sql.emptyRefinedHistory}\n)`);
for (const { view, sql: text } of sql.statements) {
  await vdb.run(`CREATE TEMP TABLE ${view} AS (\n${text}\n)`);
}
const COPY_ROUNDS = 2;
const copyVariants = variants.map((v) => ({ name: v.name, ms: [] as number[], files: 0 }));
mkdirSync(join(lakeRoot, "copy-variants"), { recursive: true });
for (let round = 0; round < COPY_ROUNDS; round++) {
  for (const [i, v] of variants.entries()) {
    const target = join(lakeRoot, "copy-variants", `${round}-${i}`);
    await vdb.run(
      `SET partitioned_write_max_open_files = ${v.raise ? partitions + 1 : defaultMaxOpen}`,
    );
    execSync("sync"); // the previous variant's writes are not this one's to pay for
    const start = performance.now();
    await vdb.run(
      `COPY (SELECT * FROM refined_rows${v.order ? ` ORDER BY ${v.order}` : ""})
       TO ${q(target)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (data_pregao))`,
    );
    const result = copyVariants[i] as (typeof copyVariants)[number];
    result.ms.push(performance.now() - start);
    result.files = readdirSync(target).reduce((n, d) => n + readdirSync(join(target, d)).length, 0);
    // Not deleted here: a deletion just before the next COPY would slow it (they all go at the end).
  }
}
vdb.closeSync();
variantInstance.closeSync();

// What-ifs for the SQL part (not the product's code): the same files in a fresh DuckDB each time,
// registering one view differently. SQL only: the COPY that follows is the same in all of them.
const whatIfs = [
  {
    name: "refined_all as a VIEW, the rest TEMP TABLEs (the engine now)",
    asView: ["refined_all"],
  },
  {
    name: "every result a TEMP TABLE (the engine before refined_all became a view)",
    asView: [] as string[],
  },
  {
    name: "as the engine, with SET preserve_insertion_order = false",
    asView: ["refined_all"],
    settings: ["SET preserve_insertion_order = false"],
  },
];
const sqlWhatIfs = whatIfs.map((w) => ({ name: w.name, ms: [] as number[] }));
for (let round = 0; round < 2; round++) {
  for (const [i, w] of whatIfs.entries()) {
    const fresh = await DuckDBInstance.create(":memory:");
    const conn = await fresh.connect();
    for (const setting of w.settings ?? []) await conn.run(setting);
    await conn.run(
      `CREATE VIEW raw_input AS SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
    );
    await conn.run(`CREATE VIEW refined_history AS (\n${sql.emptyRefinedHistory}\n)`);
    const start = performance.now();
    for (const { view, sql: text } of sql.statements) {
      const kind = w.asView.includes(view) ? "VIEW" : "TABLE";
      await conn.run(`CREATE TEMP ${kind} ${view} AS (\n${text}\n)`);
    }
    await conn.runAndReadAll("SELECT * FROM run_totals");
    (sqlWhatIfs[i] as (typeof sqlWhatIfs)[number]).ms.push(performance.now() - start);
    conn.closeSync();
    fresh.closeSync();
  }
}

rmSync(join(lakeRoot, "_transform_staging"), { recursive: true, force: true });
rmSync(join(lakeRoot, "copy-variants"), { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ threads: Number(threads), partitions, defaultMaxOpen, totalMs, phases, copyVariants, sqlWhatIfs, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
