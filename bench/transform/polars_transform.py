"""The transform of DESIGN §5 written the way a data scientist would write it in plain Polars.

    python polars_transform.py --lake_root /path/to/lake --ingestion_date YYYY-MM-DD

Reads raw/ingestion_date=D/stocks_data.parquet, writes refined/data_pregao=D/*.parquet (hive
layout, data_pregao in the folder name only) and aggregated/part-00000.parquet, then prints one
JSON line: row counts, drops per reason, the time of each phase and the process's peak RSS.

It is the yardstick of the transform benchmark, not product code. Compared with the project's
engines it does less: no refined history to merge (the benchmark's lake starts empty, so the
features only need the new sessions), no staging and swap (it writes straight into the lake), no
raw schema validation. The rules themselves are the same: same drop reasons in the same order,
the latest ingested_at wins a duplicate, 7-session moving average (NULL while fewer than 7),
lags of 1/2/3 sessions, monthly aggregate with mes_fechado false for the newest month.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import polars as pl

PRICES = ["open", "high", "low", "close"]


def classify(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Every raw row, renamed, with drop_reason null for a session (same reasons as the SQL)."""
    price_missing = pl.any_horizontal(pl.col(PRICES).is_null())
    price_not_positive = pl.any_horizontal(pl.col(PRICES) <= 0)
    price_not_finite = ~pl.all_horizontal(pl.col(PRICES).is_finite())
    holiday_quote = (pl.col("volume") == 0) & pl.all_horizontal(pl.col(c) == pl.col("open") for c in PRICES[1:])
    # Latest ingested_at first, so the first row of each (ticker, trade_date) is the one kept.
    latest_first = raw.sort(
        ["ticker", "trade_date", "ingested_at", "close", "open", "high", "low", "adj_close", "volume"],
        descending=[False, False, True, True, True, True, True, True, True],
        nulls_last=True,
    )
    return latest_first.with_columns(
        drop_reason=pl.when(pl.col("ticker").is_null() | pl.col("trade_date").is_null())
        .then(pl.lit("missing_key"))
        .when(~pl.struct("ticker", "trade_date").is_first_distinct())
        .then(pl.lit("duplicate"))
        .when(price_missing)
        .then(pl.lit("missing_price"))
        .when(price_not_positive)
        .then(pl.lit("non_positive_price"))
        .when(price_not_finite)
        .then(pl.lit("non_finite_price"))
        .when(holiday_quote)
        .then(pl.lit("non_session"))
    ).rename(
        {
            "ticker": "nome_acao",
            "trade_date": "data_pregao",
            "open": "abertura",
            "close": "fechamento",
            "high": "max",
            "low": "min",
            "volume": "volume_negociado",
            "adj_close": "fechamento_ajustado",
        }
    )


def refine(sessions: pl.LazyFrame) -> pl.LazyFrame:
    """The refined rows: features over each ticker's sessions in date order."""
    by_ticker = "nome_acao"
    return (
        sessions.sort("nome_acao", "data_pregao")
        .with_columns(
            media_movel_7d=pl.col("fechamento").rolling_mean(window_size=7).over(by_ticker),
            lag_1d=pl.col("fechamento").shift(1).over(by_ticker),
            lag_2d=pl.col("fechamento").shift(2).over(by_ticker),
            lag_3d=pl.col("fechamento").shift(3).over(by_ticker),
        )
        .select(
            "nome_acao",
            "abertura",
            "fechamento",
            "max",
            "min",
            "volume_negociado",
            "media_movel_7d",
            "lag_1d",
            "lag_2d",
            "lag_3d",
            "fechamento_ajustado",
            "data_pregao",
        )
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake_root", required=True, type=Path)
    parser.add_argument("--ingestion_date", required=True)
    args = parser.parse_args()
    lake: Path = args.lake_root
    raw_path = lake / "raw" / f"ingestion_date={args.ingestion_date}" / "stocks_data.parquet"

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round((now - clock) * 1000, 1)
        clock = now

    classified = classify(pl.scan_parquet(raw_path)).collect()
    lap("read_classify_ms")
    counts = classified.group_by("drop_reason").len()
    sessions = classified.lazy().filter(pl.col("drop_reason").is_null()).drop("drop_reason")
    refined = refine(sessions).collect()
    lap("features_ms")

    refined.write_parquet(lake / "refined", partition_by="data_pregao", mkdir=True)
    lap("write_refined_ms")

    aggregated = aggregate(refined)
    lap("compute_aggregated_ms")
    (lake / "aggregated").mkdir(parents=True, exist_ok=True)
    aggregated.write_parquet(lake / "aggregated" / "part-00000.parquet")
    lap("write_aggregated_ms")

    usage = resource.getrusage(resource.RUSAGE_SELF)
    dropped = {row["drop_reason"]: row["len"] for row in counts.iter_rows(named=True) if row["drop_reason"]}
    print(
        json.dumps(
            {
                "raw_rows": classified.height,
                "sessions": refined.height,
                "dropped": dict(sorted(dropped.items())),
                "partitions_written": refined["data_pregao"].n_unique(),
                "aggregated_rows": aggregated.height,
                "polars": pl.__version__,
                "threads": pl.thread_pool_size(),
                **timings,
                # ru_maxrss is in KiB on Linux; CPU time of all threads since the process started
                "max_rss_kib": usage.ru_maxrss,
                "cpu_ms": round((usage.ru_utime + usage.ru_stime) * 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
