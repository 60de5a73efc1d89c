/** Lays out rows of text as a terminal table: a header, a rule under it, right-aligned columns where asked, and columns that do not fit the width left out and counted. */

export interface TextTableOptions {
  /** Columns to right-align (numbers), by index. */
  rightAligned?: ReadonlySet<number>;
  /** The terminal's width: columns past it are left out. Default: no limit. */
  width?: number;
  /** A cell longer than this is cut with "…". Default 40. */
  maxCellWidth?: number;
}

export interface TextTable {
  /** The lines of the table, each without its newline. */
  lines: string[];
  /** The columns left out because they did not fit the width. */
  hiddenColumns: string[];
}

const SEPARATOR = " │ ";
const ELLIPSIS = "…";

/** Cuts `text` to `max` characters, the last one an ellipsis. */
const cut = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}${ELLIPSIS}`;

/** The table of `rows` under `head`; a row of `null` is drawn as a gap marker (rows left out). */
export function textTable(
  head: readonly string[],
  rows: ReadonlyArray<readonly string[] | null>,
  options: TextTableOptions = {},
): TextTable {
  const { rightAligned = new Set<number>(), width = Number.POSITIVE_INFINITY } = options;
  const maxCell = options.maxCellWidth ?? 40;
  const cells = rows.map((row) => row?.map((cell) => cut(cell.replace(/\s+/g, " "), maxCell)));
  const widths = head.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => row?.[i]?.length ?? 0)),
  );
  // Keep columns from the left while they fit, always at least the first one.
  let shown = 0;
  let used = 1;
  while (shown < head.length) {
    const need = (shown === 0 ? 0 : SEPARATOR.length) + (widths[shown] ?? 0);
    if (shown > 0 && used + need + 1 > width) break;
    used += need;
    shown += 1;
  }
  const columns = head.slice(0, shown).map((_, i) => i);
  const pad = (text: string, i: number) =>
    rightAligned.has(i) ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
  const line = (texts: readonly string[]) =>
    ` ${columns.map((i) => pad(texts[i] ?? "", i)).join(SEPARATOR)}`.trimEnd();
  const rule = `─${columns.map((i) => "─".repeat(widths[i] ?? 0)).join("─┼─")}─`;
  const gap = line(head.map(() => "⋮"));
  return {
    lines: [
      line(head.map((name) => name)),
      rule,
      ...cells.map((row) => (row === undefined ? gap : line(row))),
    ],
    hiddenColumns: head.slice(shown),
  };
}
