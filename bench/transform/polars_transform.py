"""The transform rules written the way a data scientist would write them in plain Polars.

    python polars_transform.py RAW_PARQUET LAKE_DIR

Reads the raw file, writes LAKE_DIR/refined/data_pregao=D/*.parquet and
LAKE_DIR/aggregated/part-00000.parquet. A yardstick for the bench, not product code: it does less
than the engines (no refined history to merge, since the bench's lake starts empty; no staging and
publish; no raw schema check), with the same rules: the same drop reasons in the same order, the
latest ingested_at wins a duplicate, a 7-session moving average (NULL while fewer than 7), lags of
1/2/3 sessions, a monthly aggregate with mes_fechado (the month has ended by the day before the raw
file's ingestion date, which its folder names) and mes_completo (the ticker's first session or
holiday quote is on or before the month's first weekday).
"""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl

PRICES = ["open", "high", "low", "close"]
RENAMED = {
    **{"ticker": "nome_acao", "trade_date": "data_pregao", "open": "abertura", "close": "fechamento"},
    **{"high": "max", "low": "min", "volume": "volume_negociado", "adj_close": "fechamento_ajustado"},
}
REFINED = ["nome_acao", "abertura", "fechamento", "max", "min", "volume_negociado", "media_movel_7d"]
REFINED += ["lag_1d", "lag_2d", "lag_3d", "fechamento_ajustado", "data_pregao"]


def latest(raw: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (ticker, day): its latest ingested version, with `valid_prices` and `holiday_quote`."""
    latest_first = raw.sort(
        ["ticker", "trade_date", "ingested_at", "close", "open", "high", "low", "adj_close", "volume"],
        descending=[False, False, True, True, True, True, True, True, True],
        nulls_last=True,
    )
    prices = pl.col(PRICES)
    holiday_quote = (pl.col("volume") == 0) & pl.all_horizontal(pl.col(c) == pl.col("open") for c in PRICES[1:])
    return latest_first.filter(
        pl.col("ticker").is_not_null()
        & pl.col("trade_date").is_not_null()
        & pl.struct("ticker", "trade_date").is_first_distinct()
    ).with_columns(
        valid_prices=pl.all_horizontal(prices.is_not_null() & (prices > 0) & prices.is_finite()),
        holiday_quote=holiday_quote.fill_null(False),
    )


def sessions(keys: pl.LazyFrame) -> pl.LazyFrame:
    """The raw rows that are sessions, renamed. The latest ingested version of a (ticker, day) is the
    one judged: an older one never stands in for a newer one with bad prices."""
    keep = pl.col("valid_prices") & ~pl.col("holiday_quote")
    return keys.filter(keep).drop("valid_prices", "holiday_quote").rename(RENAMED)


def first_known(keys: pl.LazyFrame) -> pl.LazyFrame:
    """Per ticker, the earliest day known to be a session or a holiday (Yahoo's holiday quote)."""
    return (
        keys.filter(pl.col("valid_prices"))
        .group_by(nome_acao=pl.col("ticker"))
        .agg(first_known=pl.col("trade_date").min())
    )


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


def aggregate(refined: pl.DataFrame, known: pl.DataFrame, covered_through: date) -> pl.DataFrame:
    """One row per (ticker, month) with its flags: mes_fechado, the month has ended by
    `covered_through`; mes_completo, the ticker's first known day is on or before the month's
    first weekday."""
    monthly = (
        refined.group_by("nome_acao", mes_referencia=pl.col("data_pregao").dt.truncate("1mo"))
        .agg(
            volume_total=pl.col("volume_negociado").sum(),
            preco_medio_fechamento=pl.col("fechamento").mean(),
            dias_pregao=pl.len().cast(pl.Int32),
        )
        .sort("nome_acao", "mes_referencia")
    )
    month = pl.col("mes_referencia")
    # Polars' weekday: Monday 1 ... Saturday 6, Sunday 7.
    to_weekday = pl.when(month.dt.weekday() == 6).then(2).when(month.dt.weekday() == 7).then(1).otherwise(0)
    return (
        monthly.join(known, on="nome_acao")
        .with_columns(
            mes_fechado=month.dt.month_end() <= covered_through,
            mes_completo=pl.col("first_known") <= month + pl.duration(days=to_weekday),
        )
        .drop("first_known")
        .sort("nome_acao", "mes_referencia")
    )


def covered_through(raw_path: str) -> date:
    """The day before the ingestion date the raw file's folder names (a run of D covers up to D-1)."""
    match = re.search(r"ingestion_date=(\d{4}-\d{2}-\d{2})", raw_path)
    if match is None:
        sys.exit(f"{raw_path}: not a raw/ingestion_date=D/ file, so the day it covers is unknown")
    return date.fromisoformat(match.group(1)) - timedelta(days=1)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    raw_path, lake = sys.argv[1], Path(sys.argv[2])
    keys = latest(pl.scan_parquet(raw_path))
    refined, known = pl.collect_all([refine(sessions(keys)), first_known(keys)])
    refined.write_parquet(lake / "refined", partition_by="data_pregao", mkdir=True)
    (lake / "aggregated").mkdir(parents=True, exist_ok=True)
    aggregate(refined, known, covered_through(raw_path)).write_parquet(lake / "aggregated" / "part-00000.parquet")


if __name__ == "__main__":
    main()
