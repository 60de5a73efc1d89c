/**
 * Correctness checks of the transform benchmark, all read back with DuckDB from the output lakes:
 * per run, row counts, layout, column types and checksums of refined and aggregated; once at the
 * end, a row-by-row comparison of each other engine's lake with the local engine's.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { STAGING_FOLDER } from "../../packages/core/src/transform-duckdb.ts";

/** DESIGN §4: the refined columns in the files (data_pregao is the folder name) and aggregated. */
export const REFINED_FILE_COLUMNS = [
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
];
export const AGGREGATED_COLUMNS = [
  "nome_acao VARCHAR",
  "mes_referencia DATE",
  "volume_total BIGINT",
  "preco_medio_fechamento DOUBLE",
  "dias_pregao INTEGER",
  "mes_fechado BOOLEAN",
];

/** Counts (compared exactly) and float sums (compared with a relative tolerance). */
export interface LakeFacts {
  counts: {
    refined_rows: number;
    refined_partitions: number;
    refined_tickers: number;
    media_movel_7d_non_null: number;
    lag_1d_non_null: number;
    lag_3d_non_null: number;
    sum_volume_negociado: number;
    aggregated_rows: number;
    aggregated_sum_volume_total: number;
    aggregated_sum_dias_pregao: number;
    aggregated_open_months: number;
  };
  sums: {
    media_movel_7d: number;
    lag_3d: number;
    fechamento: number;
    preco_medio_fechamento: number;
  };
  /** Files per refined partition folder (min–max) and what else is in the lake. */
  filesPerPartition: { min: number; max: number };
  partitionKeyInFiles: boolean;
  problems: string[];
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function refinedSource(lakeRoot: string): string {
  // As the engine reads refined history: every *.parquet of every partition folder, data_pregao
  // from the folder name.
  return `read_parquet(${q(join(lakeRoot, "refined", "data_pregao=*", "*.parquet"))}, hive_partitioning = true, hive_types = {'data_pregao': DATE}, union_by_name = true)`;
}

export function aggregatedSource(lakeRoot: string): string {
  return `read_parquet(${q(join(lakeRoot, "aggregated", "*.parquet"))})`;
}

async function withDb<T>(
  fn: (all: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    return await fn(async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJson());
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

export async function duckdbVersion(): Promise<string> {
  return withDb(async (all) => String((await all("SELECT version() AS v"))[0]?.v));
}

export async function lakeFacts(lakeRoot: string): Promise<LakeFacts> {
  const problems: string[] = [];
  const layout = inspectLayout(lakeRoot, problems);
  return withDb(async (all) => {
    const [r] = await all(`
      SELECT
        count(*) AS refined_rows,
        count(DISTINCT data_pregao) AS refined_partitions,
        count(DISTINCT nome_acao) AS refined_tickers,
        count(media_movel_7d) AS media_movel_7d_non_null,
        count(lag_1d) AS lag_1d_non_null,
        count(lag_3d) AS lag_3d_non_null,
        CAST(sum(volume_negociado) AS BIGINT) AS sum_volume_negociado,
        sum(media_movel_7d) AS s_media,
        sum(lag_3d) AS s_lag3,
        sum(fechamento) AS s_fechamento
      FROM ${refinedSource(lakeRoot)}`);
    const [a] = await all(`
      SELECT
        count(*) AS aggregated_rows,
        CAST(sum(volume_total) AS BIGINT) AS aggregated_sum_volume_total,
        CAST(sum(dias_pregao) AS BIGINT) AS aggregated_sum_dias_pregao,
        count(*) FILTER (WHERE NOT mes_fechado) AS aggregated_open_months,
        sum(preco_medio_fechamento) AS s_preco
      FROM ${aggregatedSource(lakeRoot)}`);
    const firstFile = join(lakeRoot, "refined", layout.firstPartition ?? "", "*.parquet");
    const fileColumns = (
      await all(`DESCRIBE SELECT * FROM read_parquet(${q(firstFile)}, hive_partitioning = false)`)
    ).map((c) => `${c.column_name} ${c.column_type}`);
    const partitionKeyInFiles = fileColumns.some((c) => c.startsWith("data_pregao "));
    const refinedColumns = fileColumns.filter((c) => !c.startsWith("data_pregao "));
    if (refinedColumns.join(", ") !== REFINED_FILE_COLUMNS.join(", ")) {
      problems.push(`refined file columns are ${refinedColumns.join(", ")}`);
    }
    const aggregatedColumns = (
      await all(`DESCRIBE SELECT * FROM ${aggregatedSource(lakeRoot)}`)
    ).map((c) => `${c.column_name} ${c.column_type}`);
    if (aggregatedColumns.join(", ") !== AGGREGATED_COLUMNS.join(", ")) {
      problems.push(`aggregated columns are ${aggregatedColumns.join(", ")}`);
    }
    const n = (row: Record<string, unknown> | undefined, key: string) => Number(row?.[key]);
    return {
      counts: {
        refined_rows: n(r, "refined_rows"),
        refined_partitions: n(r, "refined_partitions"),
        refined_tickers: n(r, "refined_tickers"),
        media_movel_7d_non_null: n(r, "media_movel_7d_non_null"),
        lag_1d_non_null: n(r, "lag_1d_non_null"),
        lag_3d_non_null: n(r, "lag_3d_non_null"),
        sum_volume_negociado: n(r, "sum_volume_negociado"),
        aggregated_rows: n(a, "aggregated_rows"),
        aggregated_sum_volume_total: n(a, "aggregated_sum_volume_total"),
        aggregated_sum_dias_pregao: n(a, "aggregated_sum_dias_pregao"),
        aggregated_open_months: n(a, "aggregated_open_months"),
      },
      sums: {
        media_movel_7d: n(r, "s_media"),
        lag_3d: n(r, "s_lag3"),
        fechamento: n(r, "s_fechamento"),
        preco_medio_fechamento: n(a, "s_preco"),
      },
      filesPerPartition: layout.filesPerPartition,
      partitionKeyInFiles,
      problems,
    };
  });
}

function inspectLayout(lakeRoot: string, problems: string[]) {
  if (existsSync(join(lakeRoot, STAGING_FOLDER)))
    problems.push(`${STAGING_FOLDER}/ was left behind`);
  const refined = join(lakeRoot, "refined");
  const partitions = existsSync(refined) ? readdirSync(refined).sort() : [];
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const partition of partitions) {
    const folder = join(refined, partition);
    if (!/^data_pregao=\d{4}-\d\d-\d\d$/.test(partition) || !statSync(folder).isDirectory()) {
      problems.push(`unexpected entry refined/${partition}`);
      continue;
    }
    const files = readdirSync(folder);
    const stray = files.filter((f) => !f.endsWith(".parquet"));
    if (stray.length > 0) problems.push(`refined/${partition} holds ${stray.join(", ")}`);
    const parquet = files.length - stray.length;
    min = Math.min(min, parquet);
    max = Math.max(max, parquet);
  }
  const aggregated = join(lakeRoot, "aggregated");
  const aggregatedFiles = existsSync(aggregated) ? readdirSync(aggregated) : [];
  const stray = aggregatedFiles.filter((f) => !f.endsWith(".parquet"));
  if (stray.length > 0) problems.push(`aggregated/ holds ${stray.join(", ")}`);
  if (aggregatedFiles.length === stray.length) problems.push("aggregated/ has no Parquet file");
  if (partitions.length === 0) problems.push("refined/ has no partition");
  return {
    firstPartition: partitions[0],
    filesPerPartition: { min: partitions.length > 0 ? min : 0, max },
  };
}

/** Differences between two runs' facts: counts exactly, float sums within a relative 1e-9. */
export function factDifferences(expected: LakeFacts, actual: LakeFacts): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(expected.counts)) {
    const other = actual.counts[key as keyof LakeFacts["counts"]];
    if (other !== value) out.push(`${key} ${other} ≠ ${value}`);
  }
  for (const [key, value] of Object.entries(expected.sums)) {
    const other = actual.sums[key as keyof LakeFacts["sums"]];
    if (!(Math.abs(other - value) <= 1e-9 * Math.max(1, Math.abs(value)))) {
      out.push(`sum(${key}) ${other} ≠ ${value}`);
    }
  }
  return out;
}

export interface LakeComparison {
  refinedOnlyLeft: number;
  refinedOnlyRight: number;
  refinedDiffering: number;
  /** Largest |difference| of media_movel_7d between matched rows. */
  maxMediaDiff: number;
  mediaNotBitIdentical: number;
  aggregatedOnlyLeft: number;
  aggregatedOnlyRight: number;
  aggregatedDiffering: number;
  maxPrecoDiff: number;
}

/**
 * Row-by-row comparison of two lakes: refined on (nome_acao, data_pregao), aggregated on
 * (nome_acao, mes_referencia). Copied values and counts must be equal; the computed means within
 * 1e-9 relative (engines may add the same doubles in another order).
 */
export async function compareLakes(left: string, right: string): Promise<LakeComparison> {
  const same = (c: string) => `l.${c} IS NOT DISTINCT FROM r.${c}`;
  const near = (c: string) =>
    `((l.${c} IS NULL AND r.${c} IS NULL) OR abs(l.${c} - r.${c}) <= 1e-9 * greatest(1, abs(l.${c})))`;
  return withDb(async (all) => {
    const [refined] = await all(`
      SELECT
        count(*) FILTER (WHERE r.nome_acao IS NULL) AS only_left,
        count(*) FILTER (WHERE l.nome_acao IS NULL) AS only_right,
        count(*) FILTER (WHERE l.nome_acao IS NOT NULL AND r.nome_acao IS NOT NULL AND NOT (
          ${["abertura", "fechamento", "max", "min", "volume_negociado", "lag_1d", "lag_2d", "lag_3d", "fechamento_ajustado"].map(same).join(" AND ")}
          AND ${near("media_movel_7d")})) AS differing,
        coalesce(max(abs(l.media_movel_7d - r.media_movel_7d)), 0) AS max_media_diff,
        count(*) FILTER (WHERE l.media_movel_7d IS DISTINCT FROM r.media_movel_7d) AS media_not_identical
      FROM ${refinedSource(left)} AS l
      FULL OUTER JOIN ${refinedSource(right)} AS r
        ON l.nome_acao = r.nome_acao AND l.data_pregao = r.data_pregao`);
    const [aggregated] = await all(`
      SELECT
        count(*) FILTER (WHERE r.nome_acao IS NULL) AS only_left,
        count(*) FILTER (WHERE l.nome_acao IS NULL) AS only_right,
        count(*) FILTER (WHERE l.nome_acao IS NOT NULL AND r.nome_acao IS NOT NULL AND NOT (
          ${["volume_total", "dias_pregao", "mes_fechado"].map(same).join(" AND ")}
          AND ${near("preco_medio_fechamento")})) AS differing,
        coalesce(max(abs(l.preco_medio_fechamento - r.preco_medio_fechamento)), 0) AS max_preco_diff
      FROM ${aggregatedSource(left)} AS l
      FULL OUTER JOIN ${aggregatedSource(right)} AS r
        ON l.nome_acao = r.nome_acao AND l.mes_referencia = r.mes_referencia`);
    const n = (row: Record<string, unknown> | undefined, key: string) => Number(row?.[key]);
    return {
      refinedOnlyLeft: n(refined, "only_left"),
      refinedOnlyRight: n(refined, "only_right"),
      refinedDiffering: n(refined, "differing"),
      maxMediaDiff: n(refined, "max_media_diff"),
      mediaNotBitIdentical: n(refined, "media_not_identical"),
      aggregatedOnlyLeft: n(aggregated, "only_left"),
      aggregatedOnlyRight: n(aggregated, "only_right"),
      aggregatedDiffering: n(aggregated, "differing"),
      maxPrecoDiff: n(aggregated, "max_preco_diff"),
    };
  });
}

export function comparisonProblems(c: LakeComparison): string[] {
  return [
    c.refinedOnlyLeft > 0 && `${c.refinedOnlyLeft} refined rows only in the local engine's lake`,
    c.refinedOnlyRight > 0 &&
      `${c.refinedOnlyRight} refined rows missing from the local engine's lake`,
    c.refinedDiffering > 0 && `${c.refinedDiffering} refined rows differ`,
    c.aggregatedOnlyLeft > 0 &&
      `${c.aggregatedOnlyLeft} aggregated rows only in the local engine's lake`,
    c.aggregatedOnlyRight > 0 &&
      `${c.aggregatedOnlyRight} aggregated rows missing from the local engine's lake`,
    c.aggregatedDiffering > 0 && `${c.aggregatedDiffering} aggregated rows differ`,
  ].filter((p): p is string => typeof p === "string");
}
