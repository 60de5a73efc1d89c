/** Loads the transform's one definition: the SQL files under glue-scripts/sql that the Glue job runs too. */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** glue-scripts/sql in this repository. */
export const TRANSFORM_SQL_DIR = fileURLToPath(
  new URL("../../../../glue-scripts/sql/", import.meta.url),
);

export interface TransformSql {
  /** `NN_<view>.sql` files in order: the view each one defines and its text. */
  statements: { view: string; sql: string }[];
  /** The refined table with no rows, for a lake without refined files yet. */
  emptyRefinedHistory: string;
}

export async function loadTransformSql(dir = TRANSFORM_SQL_DIR): Promise<TransformSql> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const statements: TransformSql["statements"] = [];
  for (const file of files) {
    const match = /^\d+_(\w+)\.sql$/.exec(file);
    if (match?.[1])
      statements.push({ view: match[1], sql: await readFile(`${dir}/${file}`, "utf8") });
  }
  if (statements.length === 0) throw new Error(`no NN_<view>.sql files in ${dir}`);
  return {
    statements,
    emptyRefinedHistory: await readFile(`${dir}/empty_refined_history.sql`, "utf8"),
  };
}
