"""Regenerates the golden fixture: raw input + expected refined/aggregated rows (see README.md here).

    .venv/bin/python glue-scripts/tests/golden/make_golden.py

Prices are real (the Yahoo chart bodies in packages/core/test/fixtures/yahoo). The expected rows are
worked out by tests/reference_model.py in plain Python (statistics.mean over explicit lists), never
by Spark or DuckDB; Spark is used only to write the raw Parquet file in the exact raw schema.
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: support, reference_model
sys.path.insert(0, str(HERE.parent.parent))  # glue-scripts/: transform

import reference_model  # noqa: E402
from support import RAW_COLUMN_NAMES, utc, write_raw_parquet, yahoo_bars  # noqa: E402

INGESTION_DATE = "2018-01-11"  # covers trade dates through 2018-01-10: January 2018 not ended
# The same raw file as the raw file of a run of 2018-02-01 (covers through 2018-01-31, the last day
# of January): expected_aggregated_2018-02-01.csv.
MONTH_END_INGESTION_DATE = "2018-02-01"
INGESTED_AT = utc(2018, 1, 11, 9, 0, 3, 123456)  # one extract run; micros on purpose
EARLIER_FETCH = utc(2018, 1, 3, 16, 30, 0)  # during the 2018-01-03 session

REFINED_COLUMNS = [
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
]
AGGREGATED_COLUMNS = [
    "nome_acao",
    "mes_referencia",
    "volume_total",
    "preco_medio_fechamento",
    "dias_pregao",
    "mes_fechado",
    "mes_completo",
]


def golden_raw_rows() -> list[dict]:
    """The raw rows in file order, each with a `note` saying what it exercises."""
    rows = []

    def add(row: dict, note: str) -> None:
        rows.append({**row, "note": note})

    # PETR4.SA: 14 sessions 2017-12-18 .. 2018-01-09 (enough for the 7-session moving average).
    for bar in yahoo_bars("PETR4.SA", date(2017, 12, 18), date(2018, 1, 9), INGESTED_AT):
        if bar["trade_date"] in (date(2017, 12, 25), date(2017, 12, 29)):
            add(bar, "B3 holiday: flat quote, volume 0 -> dropped (non_session), not a session for lags")
        elif bar["trade_date"] == date(2018, 1, 3):
            add(bar, "duplicate day, latest ingested_at -> kept")
        elif bar["trade_date"] == date(2017, 12, 28):
            add(
                {**bar, "volume": None}, "latest answer without volume -> prices from here, volume from the earlier one"
            )
        else:
            add(bar, "session")
    # A bar with a null price (Yahoo's partial last bar) -> missing_price.
    (bar,) = yahoo_bars("PETR4.SA", date(2018, 1, 10), date(2018, 1, 10), INGESTED_AT)
    add({**bar, "close": None}, "close NULL -> dropped (missing_price)")
    # The same day fetched earlier (an intraday snapshot taken during that session), stored after
    # the final bar: the row kept must be the one with the latest ingested_at, not the last one in
    # the file.
    (bar,) = yahoo_bars("PETR4.SA", date(2018, 1, 3), date(2018, 1, 3), INGESTED_AT)
    stale = {**bar, "high": 16.6, "close": 16.55, "adj_close": 15.35, "volume": 21000000}
    add({**stale, "ingested_at": EARLIER_FETCH}, "duplicate day, earlier ingested_at -> dropped (duplicate)")
    # An earlier answer for 2017-12-28 (same fetch), with the volume the latest answer lacks and
    # other prices: only its volume survives the merge (a NULL never replaces a value).
    (bar,) = yahoo_bars("PETR4.SA", date(2017, 12, 28), date(2017, 12, 28), INGESTED_AT)
    earlier = {**bar, "close": 16.0, "adj_close": 14.9, "ingested_at": EARLIER_FETCH}
    add(earlier, "earlier answer (duplicate): only its volume is kept, the latest answer has none")

    # ITUB4.SA: only 6 sessions -> media_movel_7d NULL on every row.
    for bar in yahoo_bars("ITUB4.SA", date(2017, 12, 22), date(2018, 1, 3), INGESTED_AT):
        if bar["trade_date"] in (date(2017, 12, 25), date(2017, 12, 29)):
            add(bar, "B3 holiday: flat quote, volume 0 -> dropped (non_session)")
        else:
            add(bar, "session (ticker with fewer than 7 sessions)")
        if bar["trade_date"] == date(2017, 12, 27):
            # The same answer twice (same ingested_at) with different values: the copy with the
            # largest values (close first) is kept whole, its volume included.
            smaller = {**bar, "close": bar["close"] - 0.05, "volume": bar["volume"] + 1_000_000}
            add(smaller, "same answer twice, smaller close -> dropped (duplicate) with its larger volume")
    zero_bar = {
        "ticker": "ITUB4.SA",
        "trade_date": date(2018, 1, 4),
        "open": 0.0,
        "high": 0.0,
        "low": 0.0,
        "close": 0.0,
        "adj_close": 0.0,
        "volume": 0,
        "ingested_at": INGESTED_AT,
    }
    add(zero_bar, "same-day zero bar (prices 0) -> dropped (non_positive_price)")
    return rows


def hand_checks(refined: list[dict], aggregated: list[dict]) -> None:
    """A few expected values worked out by hand from the Yahoo prices (rounded to the cent)."""
    row = {(r["nome_acao"], r["data_pregao"]): r for r in refined}

    # PETR4 2017-12-26 follows the 12-25 holiday: lag_1d is 12-22's close 15.75, lag_3d 12-20's 15.24.
    r = row[("PETR4.SA", date(2017, 12, 26))]
    assert (round(r["lag_1d"], 2), round(r["lag_3d"], 2)) == (15.75, 15.24)
    assert r["media_movel_7d"] is None  # only 6 sessions so far: 12-18 19 20 21 22 26

    # PETR4 2017-12-27 is the 7th session: (15.22+15.14+15.24+15.86+15.75+15.97+16.05)/7 = 109.23/7.
    r = row[("PETR4.SA", date(2017, 12, 27))]
    assert math.isclose(r["media_movel_7d"], 109.23 / 7, abs_tol=1e-6)

    # PETR4 2018-01-02 follows the 12-29 holiday: lags 12-28 (16.10), 12-27 (16.05), 12-26 (15.97).
    # (Counting the holiday's flat 16.10 as a session would make lag_2d 16.10.)
    r = row[("PETR4.SA", date(2018, 1, 2))]
    assert (round(r["lag_1d"], 2), round(r["lag_2d"], 2), round(r["lag_3d"], 2)) == (16.10, 16.05, 15.97)
    # mean of 12-20 21 22 26 27 28 01-02: (15.24+15.86+15.75+15.97+16.05+16.10+16.55)/7 = 111.52/7
    assert math.isclose(r["media_movel_7d"], 111.52 / 7, abs_tol=1e-6)

    # PETR4 2018-01-03 keeps the later fetch: close 16.70 (the stale snapshot said 16.55).
    assert round(row[("PETR4.SA", date(2018, 1, 3))]["fechamento"], 2) == 16.70

    # PETR4 2017-12-28: the latest answer's prices (close 16.10, not the earlier 16.00), and the
    # volume only the earlier answer had.
    r = row[("PETR4.SA", date(2017, 12, 28))]
    assert (round(r["fechamento"], 2), r["volume_negociado"]) == (16.10, 19_011_500)
    assert round(r["fechamento_ajustado"], 2) != 14.9

    # ITUB4 2017-12-27: the copy with the larger close, whole (not its twin's larger volume).
    (bar,) = yahoo_bars("ITUB4.SA", date(2017, 12, 27), date(2017, 12, 27), INGESTED_AT)
    r = row[("ITUB4.SA", date(2017, 12, 27))]
    assert (r["fechamento"], r["volume_negociado"]) == (bar["close"], bar["volume"])

    # ITUB4 never reaches 7 sessions; its first session has no lags.
    assert all(r["media_movel_7d"] is None for r in refined if r["nome_acao"] == "ITUB4.SA")
    first = row[("ITUB4.SA", date(2017, 12, 22))]
    assert (first["lag_1d"], first["lag_2d"], first["lag_3d"]) == (None, None, None)

    month = {(a["nome_acao"], a["mes_referencia"]): a for a in aggregated}
    # PETR4 December: 8 sessions (18 19 20 21 22 26 27 28), holidays not counted.
    dec = month[("PETR4.SA", date(2017, 12, 1))]
    assert dec["dias_pregao"] == 8 and dec["mes_fechado"] is True
    # The history begins 2017-12-18, after December's first weekday (Friday 12-01): a partial month.
    assert dec["mes_completo"] is False
    # 42760400+22639700+20149700+47219400+18708500+22173100+23552200+19011500
    assert dec["volume_total"] == 216_214_500
    # (15.22+15.14+15.24+15.86+15.75+15.97+16.05+16.10)/8 = 125.33/8
    assert math.isclose(dec["preco_medio_fechamento"], 125.33 / 8, abs_tol=1e-6)
    # January holds 2018-01-10, the last day the run of 2018-01-11 covers: not ended, so open for
    # every ticker; and complete, the history reaching back into December.
    assert (
        month[("PETR4.SA", date(2018, 1, 1))]["mes_fechado"],
        month[("PETR4.SA", date(2018, 1, 1))]["mes_completo"],
    ) == (False, True)
    # ITUB4 January: 2 sessions (01-02, 01-03; 01-04 is the zero bar), still the open month, though
    # ITUB4's last session is 2018-01-03.
    jan = month[("ITUB4.SA", date(2018, 1, 1))]
    assert (jan["dias_pregao"], jan["volume_total"], jan["mes_fechado"]) == (2, 16650900 + 22295700, False)
    assert math.isclose(jan["preco_medio_fechamento"], (29.2533 + 29.4533) / 2, abs_tol=1e-5)
    # ITUB4 December: the history begins 2017-12-22: partial.
    assert month[("ITUB4.SA", date(2017, 12, 1))]["mes_completo"] is False


def month_end_checks(aggregated: list[dict], at_month_end: list[dict]) -> None:
    """A run of 2018-02-01 covers through 2018-01-31: January has ended exactly on that day and is
    closed; nothing else changes."""
    assert [a["mes_fechado"] for a in at_month_end] == [True] * 4
    assert [{**a, "mes_fechado": None} for a in at_month_end] == [{**a, "mes_fechado": None} for a in aggregated]


def cell(value) -> str:
    """CSV text of a value: empty for NULL, repr for doubles (round-trips exactly)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([cell(r[c]) for c in columns])


def main() -> None:
    raw = golden_raw_rows()
    sessions, counts = reference_model.classify(raw)
    refined = reference_model.refined(sessions)
    aggregated = reference_model.aggregated(refined, raw, [date.fromisoformat(INGESTION_DATE)])
    at_month_end = reference_model.aggregated(refined, raw, [date.fromisoformat(MONTH_END_INGESTION_DATE)])
    hand_checks(refined, aggregated)
    month_end_checks(aggregated, at_month_end)

    write_csv(HERE / "raw.csv", [*RAW_COLUMN_NAMES, "note"], raw)
    write_csv(HERE / "expected_refined.csv", REFINED_COLUMNS, refined)
    write_csv(HERE / "expected_aggregated.csv", AGGREGATED_COLUMNS, aggregated)
    write_csv(HERE / f"expected_aggregated_{MONTH_END_INGESTION_DATE}.csv", AGGREGATED_COLUMNS, at_month_end)
    count_rows = [
        {"nome_acao": t, "drop_reason": reason, "row_count": n}
        for (t, reason), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]
    write_csv(HERE / "expected_raw_counts.csv", ["nome_acao", "drop_reason", "row_count"], count_rows)

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        write_raw_parquet(spark, [{c: r[c] for c in RAW_COLUMN_NAMES} for r in raw], HERE / "stocks_data.parquet")
    finally:
        spark.stop()
    print(f"wrote {len(raw)} raw rows, {len(refined)} refined rows, {len(aggregated)} aggregated rows to {HERE}")


if __name__ == "__main__":
    main()
