"""The transform rules written the way a data scientist would write them in plain Polars.

    python polars_transform.py RAW_PARQUET LAKE_DIR

Reads the raw file, writes LAKE_DIR/refined/data_pregao=D/*.parquet and
LAKE_DIR/aggregated/part-00000.parquet. A yardstick for the bench, not product code: it does less
than the engines (no refined history to merge, since the bench's lake starts empty; no staging and
publish; no raw schema check), with the same rules: the same drop reasons in the same order, the
latest ingested_at wins a duplicate, a 7-session moving average (NULL while fewer than 7), lags of
1/2/3 sessions, a monthly aggregate with mes_fechado false for the newest month.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

PRICES = ["open", "high", "low", "close"]
RENAMED = {
    **{"ticker": "nome_acao", "trade_date": "data_pregao", "open": "abertura", "close": "fechamento"},
    **{"high": "max", "low": "min", "volume": "volume_negociado", "adj_close": "fechamento_ajustado"},
}
REFINED = ["nome_acao", "abertura", "fechamento", "max", "min", "volume_negociado", "media_movel_7d"]
REFINED += ["lag_1d", "lag_2d", "lag_3d", "fechamento_ajustado", "data_pregao"]


def sessions(raw: pl.LazyFrame) -> pl.LazyFrame:
    """The raw rows that are sessions, renamed. The latest ingested version of a (ticker, day) is the
    one judged: an older one never stands in for a newer one with bad prices."""
    latest_first = raw.sort(
        ["ticker", "trade_date", "ingested_at", "close", "open", "high", "low", "adj_close", "volume"],
        descending=[False, False, True, True, True, True, True, True, True],
        nulls_last=True,
    )
    prices = pl.col(PRICES)
    holiday_quote = (pl.col("volume") == 0) & pl.all_horizontal(pl.col(c) == pl.col("open") for c in PRICES[1:])
    keep = (
        pl.col("ticker").is_not_null()
        & pl.col("trade_date").is_not_null()
        & pl.struct("ticker", "trade_date").is_first_distinct()
        & pl.all_horizontal(prices.is_not_null() & (prices > 0) & prices.is_finite())
        & ~holiday_quote.fill_null(False)
    )
    return latest_first.filter(keep).rename(RENAMED)


def refine(rows: pl.LazyFrame) -> pl.LazyFrame:
    """The features over each ticker's sessions in date order."""
    close = pl.col("fechamento")
    return (
        rows.sort("nome_acao", "data_pregao")
        .with_columns(
            media_movel_7d=close.rolling_mean(window_size=7).over("nome_acao"),
            **{f"lag_{k}d": close.shift(k).over("nome_acao") for k in (1, 2, 3)},
        )
        .select(REFINED)
    )


def aggregate(refined: pl.DataFrame) -> pl.DataFrame:
    """One row per (ticker, month); mes_fechado is false for the month of the newest session."""
    monthly = (
        refined.group_by("nome_acao", mes_referencia=pl.col("data_pregao").dt.truncate("1mo"))
        .agg(
            volume_total=pl.col("volume_negociado").sum(),
            preco_medio_fechamento=pl.col("fechamento").mean(),
            dias_pregao=pl.len().cast(pl.Int32),
        )
        .sort("nome_acao", "mes_referencia")
    )
    return monthly.with_columns(mes_fechado=pl.col("mes_referencia") != pl.col("mes_referencia").max())


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    raw_path, lake = sys.argv[1], Path(sys.argv[2])
    refined = refine(sessions(pl.scan_parquet(raw_path))).collect()
    refined.write_parquet(lake / "refined", partition_by="data_pregao", mkdir=True)
    (lake / "aggregated").mkdir(parents=True, exist_ok=True)
    aggregate(refined).write_parquet(lake / "aggregated" / "part-00000.parquet")


if __name__ == "__main__":
    main()
