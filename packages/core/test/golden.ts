/** The golden fixture (glue-scripts/tests/golden) as the TypeScript tests read it: its folder and its expected CSVs. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const GOLDEN = fileURLToPath(
  new URL("../../../glue-scripts/tests/golden/", import.meta.url),
);

async function csvLines(name: string): Promise<{ columns: string[]; lines: string[] }> {
  const [header, ...lines] = (await readFile(join(GOLDEN, name), "utf8")).trim().split("\n");
  return { columns: header?.split(",") ?? [], lines };
}

/** A CSV of the golden folder as rows of strings (empty = NULL). */
export async function goldenCsv(name: string): Promise<Record<string, string | null>[]> {
  const { columns, lines } = await csvLines(name);
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(
      columns.map((c, i) => [c, cells[i] === "" ? null : (cells[i] ?? null)]),
    );
  });
}

/** The columns a golden CSV's header names, in order: the table's columns as its expected rows hold them. */
export async function goldenColumns(name: string): Promise<string[]> {
  return (await csvLines(name)).columns;
}
