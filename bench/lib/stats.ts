/** Small statistics and formatting helpers for benchmark figures. */

/** The p-th percentile (0–100) by nearest rank: always one of the measured values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const fmt = (value: number, digits = 1): string =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmtInt = (value: number): string => Math.round(value).toLocaleString("en-US");

/** One figure checked against its target: lower is better, at or under the target passes. */
export interface Verdict {
  name: string;
  value: number;
  unit: string;
  target: number;
  /** "≤" when reaching the target passes, "<" when it must stay strictly under. */
  comparison: "≤" | "<";
  /** How the value was obtained (e.g. "median of 10"). */
  basis: string;
  digits: number;
}

export function passes(v: Verdict): boolean {
  return v.comparison === "≤" ? v.value <= v.target : v.value < v.target;
}

export function verdictRow(v: Verdict): string[] {
  const ratio = v.value / v.target;
  return [
    v.name,
    `${fmt(v.value, v.digits)} ${v.unit}`,
    `${v.comparison} ${fmt(v.target, v.digits)} ${v.unit}`,
    `${fmt(ratio * 100, 1)} %`,
    passes(v) ? "PASS" : `OVER by ${fmt(v.value - v.target, v.digits)} ${v.unit}`,
    v.basis,
  ];
}

export const VERDICT_HEADER = ["figure", "measured", "target", "of target", "verdict", "basis"];

export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A plain-text table for the terminal. */
export function textTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
