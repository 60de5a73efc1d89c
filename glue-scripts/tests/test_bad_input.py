"""Bad input fails with an error that says what is wrong, and leaves the lake exactly as it was."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from pyspark.sql import types as T
from support import (
    GOLDEN,
    RAW_SCHEMA,
    lake_snapshot,
    place_golden_raw,
    raw_file,
    uri,
    utc,
    write_raw_parquet,
    yahoo_bars,
)

import transform


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A lake holding the tables of one good run."""
    root = tmp_path_factory.mktemp("bad-input") / "lake"
    raw = place_golden_raw(root)
    transform.run(spark, uri(raw), uri(root))
    return root


@pytest.fixture
def untouched(lake):
    """Fails the test if the lake changed in any way (paths, sizes, mtimes, bytes)."""
    before = lake_snapshot(lake)
    yield
    assert lake_snapshot(lake) == before


def bars():
    return yahoo_bars("PETR4.SA", date(2018, 1, 2), date(2018, 1, 9), utc(2018, 1, 11, 9))


def with_field(name: str, data_type: T.DataType) -> T.StructType:
    return T.StructType([T.StructField(f.name, data_type) if f.name == name else f for f in RAW_SCHEMA.fields])


def run_bad(spark, lake, raw_path: str, match: str) -> None:
    with pytest.raises(transform.TransformInputError, match=match):
        transform.run(spark, raw_path, uri(lake))


def test_missing_column_and_wrong_type_are_named(spark, lake, untouched, tmp_path):
    schema = T.StructType([f for f in with_field("volume", T.DoubleType()).fields if f.name != "close"])
    rows = [{**b, "volume": float(b["volume"])} for b in bars()]
    bad = write_raw_parquet(spark, rows, tmp_path / "stocks_data.parquet", schema)
    with pytest.raises(transform.TransformInputError) as error:
        transform.run(spark, uri(bad), uri(lake))
    message = str(error.value)
    assert "does not have the raw schema" in message
    assert "column 'close' is missing (expected double" in message
    assert "column 'volume' is double, expected bigint (Parquet INT64)" in message


def test_naive_timestamp_is_refused(spark, lake, untouched, tmp_path):
    schema = with_field("ingested_at", T.TimestampNTZType())
    rows = [{**b, "ingested_at": b["ingested_at"].replace(tzinfo=None)} for b in bars()]
    bad = write_raw_parquet(spark, rows, tmp_path / "stocks_data.parquet", schema)
    run_bad(spark, lake, uri(bad), r"column 'ingested_at' is timestamp_ntz, expected timestamp .*isAdjustedToUTC=true")


def test_raw_without_rows(spark, lake, untouched, tmp_path):
    empty = write_raw_parquet(spark, [], tmp_path / "stocks_data.parquet")
    run_bad(spark, lake, uri(empty), r"raw file .*stocks_data\.parquet has no rows")


def test_zero_byte_raw_file(spark, lake, untouched, tmp_path):
    (tmp_path / "stocks_data.parquet").write_bytes(b"")
    run_bad(spark, lake, uri(tmp_path / "stocks_data.parquet"), r"is empty \(0 bytes\)")


def test_missing_raw_path(spark, lake, untouched, tmp_path):
    run_bad(spark, lake, uri(tmp_path / "nowhere" / "stocks_data.parquet"), r"raw file not found: .*nowhere")


def test_not_a_parquet_file(spark, lake, untouched, tmp_path):
    (tmp_path / "stocks_data.parquet").write_text("ticker,trade_date\nPETR4.SA,2018-01-02\n")
    run_bad(spark, lake, uri(tmp_path / "stocks_data.parquet"), r"cannot read raw file .* as Parquet")


def test_truncated_parquet_file(spark, lake, untouched, tmp_path):
    data = (GOLDEN / "stocks_data.parquet").read_bytes()
    (tmp_path / "stocks_data.parquet").write_bytes(data[: len(data) // 2])
    run_bad(spark, lake, uri(tmp_path / "stocks_data.parquet"), r"cannot read raw file .* as Parquet")


def test_raw_without_a_single_session(spark, lake, untouched, tmp_path):
    holidays = yahoo_bars("PETR4.SA", date(2017, 12, 25), date(2017, 12, 25), utc(2018, 1, 11, 9))
    bad = write_raw_parquet(spark, holidays, tmp_path / "stocks_data.parquet")
    run_bad(spark, lake, uri(bad), r"has 1 rows but no session to write \(dropped: \{\"non_session\": 1\}\)")


def test_corrupt_data_page(spark, lake, untouched, tmp_path):
    # The footer is intact (the schema reads fine); the pages after the leading magic are zeroed.
    data = bytearray((GOLDEN / "stocks_data.parquet").read_bytes())
    data[4 : len(data) // 3] = bytes(len(data) // 3 - 4)
    (tmp_path / "stocks_data.parquet").write_bytes(bytes(data))
    run_bad(spark, lake, uri(tmp_path / "stocks_data.parquet"), r"cannot read raw file .* as Parquet")


# ----------------------------------------------------------------- other raw files, the lake lock


def run_with_pending(spark, lake, pending: bytes, match: str) -> None:
    """Runs the lake's own day with another raw file in the lake, never applied, holding `pending`."""
    bad = raw_file(lake, "2018-01-05")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(pending)
    try:
        before = lake_snapshot(lake)
        with pytest.raises(transform.TransformInputError, match=match):
            transform.run(spark, uri(raw_file(lake, "2018-01-11")), uri(lake))
        assert lake_snapshot(lake) == before
    finally:
        shutil.rmtree(bad.parent)


def test_a_pending_raw_file_with_the_wrong_schema_is_named(spark, lake, tmp_path):
    schema = with_field("volume", T.DoubleType())
    wrong = write_raw_parquet(
        spark, [{**b, "volume": float(b["volume"])} for b in bars()], tmp_path / "w.parquet", schema
    )
    run_with_pending(
        spark, lake, wrong.read_bytes(), r"raw file .*ingestion_date=2018-01-05/stocks_data\.parquet does not have "
        r"the raw schema.*column 'volume' is double, expected bigint",
    )  # fmt: skip


def test_a_pending_raw_file_with_a_corrupt_page_is_named(spark, lake):
    data = bytearray((GOLDEN / "stocks_data.parquet").read_bytes())
    data[4 : len(data) // 3] = bytes(len(data) // 3 - 4)
    run_with_pending(spark, lake, bytes(data), r"cannot read raw file .*ingestion_date=2018-01-05/stocks_data\.parquet")


def test_a_lake_locked_by_another_writer_is_left_alone(spark, lake, untouched):
    import lake_lock

    with lake_lock.acquire_lake_lock(uri(lake), "transform of 2020-07-02") as held:
        with pytest.raises(
            lake_lock.LakeLockedError, match=r"lake locked by transform of 2020-07-02 on host .* \(pid "
        ):
            transform.run(spark, uri(raw_file(lake, "2018-01-11")), uri(lake), lock_wait=0.5)
        held.assert_held()  # still the other writer's
