import { describe, expect, it } from "vitest";
import { renderResult, renderTable } from "../src/render-result.ts";

const prices = {
  columns: ["nome_acao", "data_pregao", "fechamento", "media_movel_7d", "volume_negociado"],
  rows: [
    ["PETR4.SA", "2020-06-30", 21.55, 21.297142857142855, 65010600],
    ["ITUB4.SA", "2020-06-30", 25.45, null, 45729200],
    ["VALE3.SA", "2020-06-30", 55, 26.431428545997285, 7],
  ],
};

describe("the human table", () => {
  it("has a header rule, numbers right-aligned, prices rounded to cents, NULL shown", () => {
    expect(renderTable(prices)).toBe(
      [
        " nome_acao │ data_pregao │ fechamento │ media_movel_7d │ volume_negociado",
        "───────────┼─────────────┼────────────┼────────────────┼──────────────────",
        " PETR4.SA  │ 2020-06-30  │      21.55 │          21.30 │         65010600",
        " ITUB4.SA  │ 2020-06-30  │      25.45 │           NULL │         45729200",
        " VALE3.SA  │ 2020-06-30  │      55.00 │          26.43 │                7",
        "3 rows",
        "",
      ].join("\n"),
    );
  });

  it("shows small fractions with enough decimals for three significant digits", () => {
    const out = renderTable({ columns: ["r"], rows: [[0.000123456], [0.5]] });
    expect(out).toContain("0.000123\n");
    expect(out).toContain("0.500000\n");
  });

  it("caps the rows at the first and last halves and says how many were left out", () => {
    const rows = Array.from({ length: 1603 }, (_, i) => [i + 1]);
    const out = renderTable({ columns: ["n"], rows }, { maxRows: 4 });
    expect(out.split("\n")).toEqual([
      "    n",
      "──────",
      "    1",
      "    2",
      "    ⋮",
      " 1602",
      " 1603",
      "1,603 rows; 1,599 not shown (--max-rows 0 shows all)",
      "",
    ]);
    expect(renderTable({ columns: ["n"], rows }, { maxRows: 0 }).split("\n")).toHaveLength(
      1603 + 4,
    );
  });

  it("fits the terminal's width, naming the columns it left out", () => {
    const wide = {
      columns: Array.from({ length: 30 }, (_, i) => `column_${i}`),
      rows: [Array.from({ length: 30 }, (_, i) => i)],
    };
    const out = renderTable(wide, { width: 80 });
    const lines = out.split("\n");
    for (const line of lines.slice(0, 3)) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^ column_0 │ column_1 │.* column_6$/);
    expect(out).toMatch(
      /\n1 row; 23 columns left out to fit the terminal \(column_7, column_8, column_9, column_10, column_11, …\)\n$/,
    );
  });

  it("csv and json keep the full values", () => {
    expect(renderResult(prices, "csv")).toContain(
      "VALE3.SA,2020-06-30,55,26.431428545997285,7\r\n",
    );
    expect(JSON.parse(renderResult(prices, "json"))[0]).toEqual({
      nome_acao: "PETR4.SA",
      data_pregao: "2020-06-30",
      fechamento: 21.55,
      media_movel_7d: 21.297142857142855,
      volume_negociado: 65010600,
    });
  });
});
