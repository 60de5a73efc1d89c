import { queryLake } from "@b3/core/query";

/** Every row of a lake's refined and aggregated tables, in one order: what two lakes compare by. */
export const lakeTables = async (lake: string) => ({
  refined: (await queryLake(lake, "SELECT * FROM refined_stocks ORDER BY nome_acao, data_pregao"))
    .rows,
  aggregated: (
    await queryLake(lake, "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia")
  ).rows,
});
