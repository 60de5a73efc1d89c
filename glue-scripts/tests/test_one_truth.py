"""One truth whatever the order: the tables equal one transform over every raw row ever
extracted, whichever order the raw files were applied in, whenever a pending one is picked up."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from support import (
    assert_rows_match,
    identity,
    model_tables,
    raw_file,
    read_aggregated,
    read_json,
    read_refined,
    tables_snapshot,
    uri,
    utc,
    write_raw_parquet,
    yahoo_bars,
)

import transform

TICKERS = ("PETR4.SA", "ITUB4.SA")
GAP = date(2018, 1, 15)  # a session Yahoo left out of the first answer
REVISED = date(2018, 1, 22)  # ITUB4's close, revised in the later answer


def bars(first: date, last: date, ingested_at) -> list[dict]:
    return [bar for t in TICKERS for bar in yahoo_bars(t, first, last, ingested_at)]


def early_rows() -> list[dict]:
    """raw of 2018-02-01: January, without PETR4's 01-15."""
    rows = bars(date(2018, 1, 2), date(2018, 1, 31), utc(2018, 2, 1, 9))
    return [r for r in rows if not (r["ticker"] == "PETR4.SA" and r["trade_date"] == GAP)]


def late_rows() -> list[dict]:
    """raw of 2018-02-15, ingested later, overlapping: PETR4's January session volumes missing,
    ITUB4 without adjclose, ITUB4's 01-22 close revised."""
    rows = []
    for r in bars(date(2018, 1, 10), date(2018, 2, 14), utc(2018, 2, 15, 9)):
        # (A holiday quote keeps its volume 0: without it, it would count as a session.)
        if r["ticker"] == "PETR4.SA" and r["trade_date"].month == 1 and r["volume"]:
            r = {**r, "volume": None}
        if r["ticker"] == "ITUB4.SA":
            r = {**r, "adj_close": None}
            if r["trade_date"] == REVISED:
                r = {**r, "close": r["close"] + 0.05}
        rows.append(r)
    return rows


EARLY, LATE = "2018-02-01", "2018-02-15"
ROWS = {EARLY: early_rows, LATE: late_rows}


def extract_and_transform(spark, lake, day: str) -> dict:
    raw = write_raw_parquet(spark, ROWS[day](), raw_file(lake, day))
    return transform.run(spark, uri(raw), uri(lake))


def model(spark, *raws) -> tuple[list[dict], list[dict]]:
    return model_tables(spark, *raws)


@pytest.fixture(scope="module")
def in_order(spark, tmp_path_factory):
    lake = tmp_path_factory.mktemp("in-order") / "lake"
    extract_and_transform(spark, lake, EARLY)
    extract_and_transform(spark, lake, LATE)
    return lake


@pytest.fixture(scope="module")
def out_of_order(spark, tmp_path_factory):
    """LATE transformed first, then EARLY extracted (a backfill) and transformed:
    (lake, tables before EARLY's run, EARLY's summary)."""
    lake = tmp_path_factory.mktemp("out-of-order") / "lake"
    extract_and_transform(spark, lake, LATE)
    before = tables_snapshot(lake)
    summary = extract_and_transform(spark, lake, EARLY)
    return lake, before, summary


def test_out_of_order_gives_the_same_lake_as_in_order(spark, in_order, out_of_order):
    lake, _, _ = out_of_order
    assert_rows_match(read_refined(spark, lake), read_refined(spark, in_order), rel_tol=0)
    assert_rows_match(read_aggregated(spark, lake), read_aggregated(spark, in_order), rel_tol=0)


def test_both_orders_equal_one_transform_over_every_raw_row(spark, in_order):
    refined, aggregated = model(spark, raw_file(in_order, EARLY), raw_file(in_order, LATE))
    rows = read_refined(spark, in_order)
    assert_rows_match(rows, refined)
    assert_rows_match(read_aggregated(spark, in_order), aggregated)

    by_key = {(r["nome_acao"], r["data_pregao"]): r for r in rows}
    early = {(r["ticker"], r["trade_date"]): r for r in early_rows()}
    # The gap is filled, and the sessions after it read it.
    gap = by_key[("PETR4.SA", GAP)]
    assert by_key[("PETR4.SA", date(2018, 1, 16))]["lag_1d"] == gap["fechamento"]
    # A NULL of the later answer never replaces a value: PETR4's volumes, ITUB4's adjclose.
    for (ticker, day), r in by_key.items():
        if (ticker, day) in early:
            column, source = (
                ("volume_negociado", "volume") if ticker == "PETR4.SA" else ("fechamento_ajustado", "adj_close")
            )
            assert r[column] == early[(ticker, day)][source] is not None, (ticker, day)
    # The later answer's revision wins, whatever order the runs came in.
    assert by_key[("ITUB4.SA", REVISED)]["fechamento"] == early[("ITUB4.SA", REVISED)]["close"] + 0.05


def test_a_backfill_rewrites_only_what_it_changes(out_of_order):
    lake, before, summary = out_of_order
    after = tables_snapshot(lake)
    # February's sessions read only January closes the later answer already gave: untouched.
    february = {p: e for p, e in before.items() if "data_pregao=2018-02-" in p}
    assert february
    assert {p: e for p, e in after.items() if "data_pregao=2018-02-" in p} == february
    assert (summary["first_partition"], summary["last_partition"]) == ("2018-01-02", "2018-01-31")
    assert summary["newest_session"] == "2018-02-09"  # Carnival (02-12 to 02-14) follows: no bars


def test_pending_raw_files_are_applied_by_the_next_run_of_another_date(spark, in_order, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(in_order, lake)
    # A backfill extracted but never transformed...
    backfill = write_raw_parquet(
        spark, bars(date(2017, 12, 18), date(2017, 12, 29), utc(2018, 1, 2, 9)), raw_file(lake, "2018-01-02")
    )
    # ...and EARLY re-extracted (merged: its rows stay, a newer answer is added), so it is no
    # longer the file the state lists.
    (itub,) = yahoo_bars("ITUB4.SA", date(2018, 1, 3), date(2018, 1, 3), utc(2018, 2, 20, 9))
    early = write_raw_parquet(spark, [*early_rows(), {**itub, "close": itub["close"] + 0.1}], raw_file(lake, EARLY))
    late = raw_file(lake, LATE)

    transform.run(spark, uri(late), uri(lake))  # a re-run of LATE picks both up

    refined, aggregated = model(spark, backfill, early, late)
    rows = read_refined(spark, lake)
    assert_rows_match(rows, refined)
    assert_rows_match(read_aggregated(spark, lake), aggregated)
    assert min(r["data_pregao"] for r in rows) == date(2017, 12, 18)
    first_january = next(r for r in rows if r["data_pregao"] == date(2018, 1, 2) and r["nome_acao"] == "PETR4.SA")
    assert first_january["media_movel_7d"] is not None  # December is history for January now
    assert read_json(lake / transform.STATE_FILE) == {
        "version": 1,
        "applied": {
            f"raw/ingestion_date={d}/stocks_data.parquet": identity(raw_file(lake, d))
            for d in ("2018-01-02", EARLY, LATE)
        },
    }

    # Applied once: re-running LATE again changes no byte and rewrites only LATE's partitions.
    before = tables_snapshot(lake)
    summary = transform.run(spark, uri(late), uri(lake))
    after = tables_snapshot(lake)
    late_days = {f"data_pregao={r['trade_date']}" for r in late_rows()}
    assert summary["last_partition"] == "2018-02-09"
    for snapshot in (before, after):
        for path in [p for p in snapshot if p.startswith("refined/data_pregao=")]:
            if path.split("/")[1] not in late_days:
                assert after.get(path) == before.get(path), path  # names, sizes, mtimes, bytes
    assert_rows_match(read_refined(spark, lake), rows, rel_tol=0)
