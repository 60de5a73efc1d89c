"""Runs over an existing lake: history is kept, reused for features, and never made worse; the
tables equal one transform over every raw file of the lake."""

from __future__ import annotations

from datetime import date

import pytest
from support import (
    assert_rows_match,
    model_tables,
    place_golden_raw,
    raw_file,
    read_aggregated,
    read_refined,
    uri,
    utc,
    write_raw_parquet,
    yahoo_bars,
)

import transform

TICKERS = ("PETR4.SA", "ITUB4.SA")


def window_raw(spark, lake, ingestion_date: date, first: date, last: date, tickers=TICKERS) -> str:
    """Writes raw/ingestion_date=<ingestion_date>/stocks_data.parquet with the Yahoo bars of
    [first, last] (holidays included, as Yahoo sends them); returns its URI."""
    ingested_at = utc(ingestion_date.year, ingestion_date.month, ingestion_date.day, 9, 0, 1)
    rows = [bar for t in tickers for bar in yahoo_bars(t, first, last, ingested_at)]
    return uri(write_raw_parquet(spark, rows, raw_file(lake, ingestion_date.isoformat())))


def expected_tables(spark, lake) -> tuple[list[dict], list[dict]]:
    """(refined, aggregated) worked out by the plain-Python model over every raw row of the lake."""
    return model_tables(spark, *sorted((lake / "raw").glob("*/*.parquet")))


# ---------------------------------------------------------------------------- shifted 6-month window

FIRST_WINDOW = (date(2017, 12, 18), date(2018, 3, 15))
# Starts later, in the middle of January: the window edge cuts January 2018.
SECOND_WINDOW = (date(2018, 1, 16), date(2018, 4, 16))


@pytest.fixture(scope="module")
def shifted_runs(spark, tmp_path_factory):
    """Two runs whose windows overlap, the second starting later: (lake, refined after run 1)."""
    lake = tmp_path_factory.mktemp("shifted") / "lake"
    transform.run(spark, window_raw(spark, lake, date(2018, 3, 16), *FIRST_WINDOW), uri(lake))
    first_rows = read_refined(spark, lake)

    # The local twin writes refined partitions with DuckDB, whose files are named data_N.parquet:
    # the history must be read whatever the file names (a non-Parquet file is ignored).
    for file in (lake / "refined").glob("*/*.parquet"):
        file.rename(file.with_name("data_0.parquet"))
    (lake / "refined" / "README.txt").write_text("not a partition")

    transform.run(spark, window_raw(spark, lake, date(2018, 4, 17), *SECOND_WINDOW), uri(lake))
    return lake, first_rows


def test_shifted_window_leaves_every_row_of_the_first_run_unchanged(spark, shifted_runs):
    lake, first_rows = shifted_runs
    now = {(r["nome_acao"], r["data_pregao"]): r for r in read_refined(spark, lake)}
    assert len(first_rows) > 100
    # Bit for bit: rows inside the second window were recomputed over history + new sessions.
    assert_rows_match([now[(r["nome_acao"], r["data_pregao"])] for r in first_rows], first_rows, rel_tol=0)


def test_first_sessions_of_a_later_window_use_history(spark, shifted_runs):
    lake, _ = shifted_runs
    rows = [r for r in read_refined(spark, lake) if r["data_pregao"] >= SECOND_WINDOW[0]]
    first_day = [r for r in rows if r["data_pregao"] == min(r["data_pregao"] for r in rows)]
    assert len(first_day) == len(TICKERS)
    for r in first_day:
        assert None not in (r["media_movel_7d"], r["lag_1d"], r["lag_2d"], r["lag_3d"])


def test_shifted_windows_equal_the_model_over_all_sessions(spark, shifted_runs):
    lake, _ = shifted_runs
    refined, aggregated = expected_tables(spark, lake)
    assert_rows_match(read_refined(spark, lake), refined)
    assert_rows_match(read_aggregated(spark, lake), aggregated)


def test_month_cut_by_the_window_edge_counts_all_its_sessions(spark, shifted_runs):
    lake, _ = shifted_runs
    january = date(2018, 1, 1)
    in_second_window = {b["trade_date"] for b in yahoo_bars("PETR4.SA", *SECOND_WINDOW, utc(2000, 1, 1)) if b["volume"]}
    all_january = [b for b in yahoo_bars("PETR4.SA", january, date(2018, 1, 31), utc(2000, 1, 1)) if b["volume"]]
    row = next(
        a for a in read_aggregated(spark, lake) if (a["nome_acao"], a["mes_referencia"]) == ("PETR4.SA", january)
    )
    assert len([d for d in in_second_window if d.month == 1 and d.year == 2018]) < len(all_january)
    assert row["dias_pregao"] == len(all_january) == 21  # 23 weekdays, minus 01-01 (no bar) and the 01-25 holiday
    assert row["volume_total"] == sum(b["volume"] for b in all_january)
    assert row["mes_fechado"] is True
    newest = [a for a in read_aggregated(spark, lake) if not a["mes_fechado"]]
    assert {(a["nome_acao"], a["mes_referencia"]) for a in newest} == {(t, date(2018, 4, 1)) for t in TICKERS}


# ------------------------------------------------------------------------------------ month flags


def test_month_flags_follow_the_last_day_covered_and_the_first_weekday(spark, tmp_path):
    """Windows starting on a Sunday (2018-07-01) and a Saturday (2018-09-01): the first session,
    on the following Monday, is the month's first weekday, so both first months are complete;
    September ends on 2018-09-30, the day before the newest run date: closed."""
    lake = tmp_path / "lake"
    transform.run(
        spark, window_raw(spark, lake, date(2018, 9, 15), date(2018, 9, 1), date(2018, 9, 14), ("ITUB4.SA",)), uri(lake)
    )
    transform.run(
        spark, window_raw(spark, lake, date(2018, 10, 1), date(2018, 7, 1), date(2018, 9, 30), ("PETR4.SA",)), uri(lake)
    )
    months = read_aggregated(spark, lake)
    assert [(a["nome_acao"], a["mes_referencia"].month, a["mes_fechado"], a["mes_completo"]) for a in months] == [
        ("ITUB4.SA", 9, True, True),
        ("PETR4.SA", 7, True, True),
        ("PETR4.SA", 8, True, True),
        ("PETR4.SA", 9, True, True),
    ]
    assert_rows_match(months, expected_tables(spark, lake)[1])


# ---------------------------------------------------------------------- a ticker missing from a day


def test_ticker_missing_from_the_new_raw_keeps_its_rows(spark, tmp_path):
    lake = tmp_path / "lake"
    golden = place_golden_raw(lake)
    transform.run(spark, uri(golden), uri(lake))
    first = read_refined(spark, lake)
    first_months = read_aggregated(spark, lake)

    # Next day: PETR4 only (ITUB4 failed to download), same window start, one more session.
    summary = transform.run(
        spark,
        window_raw(spark, lake, date(2018, 1, 12), date(2017, 12, 18), date(2018, 1, 11), tickers=("PETR4.SA",)),
        uri(lake),
    )

    now = read_refined(spark, lake)
    itub = [r for r in first if r["nome_acao"] == "ITUB4.SA"]
    assert len(itub) == 6
    # ITUB4's rows sit in partitions this run rewrote (every one of its dates), and are kept as they were.
    assert {r["data_pregao"].isoformat() for r in itub} <= set(_partitions(lake))
    assert_rows_match([r for r in now if r["nome_acao"] == "ITUB4.SA"], itub, rel_tol=0)
    assert summary["sessions_per_ticker"] == {"PETR4.SA": 16}
    petr = [r["data_pregao"] for r in now if r["nome_acao"] == "PETR4.SA"]
    assert petr[-2:] == [date(2018, 1, 10), date(2018, 1, 11)]  # 01-10 was a NULL-close bar in the golden raw
    assert [a for a in read_aggregated(spark, lake) if a["nome_acao"] == "ITUB4.SA"] == [
        a for a in first_months if a["nome_acao"] == "ITUB4.SA"
    ]


def _partitions(lake) -> list[str]:
    return [p.name.split("=")[1] for p in (lake / "refined").iterdir() if p.is_dir()]
