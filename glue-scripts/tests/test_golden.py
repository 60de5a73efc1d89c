"""The golden fixture: Spark's output equals the independently worked-out expected rows."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from support import (
    GOLDEN,
    assert_rows_match,
    lake_snapshot,
    load_expected,
    parquet_schema,
    place_golden_raw,
    raw_file,
    read_aggregated,
    read_refined,
    uri,
)

import transform

# The seed's Athena DDL (seed/README.pt-BR.md), which must keep working on refined/ unchanged.
SEED_REFINED_DDL = """
CREATE EXTERNAL TABLE IF NOT EXISTS refined_stocks (
    nome_acao string,
    abertura double,
    fechamento double,
    max double,
    min double,
    volume_negociado bigint,
    media_movel_7d double,
    lag_1d double,
    lag_2d double,
    lag_3d double
)
PARTITIONED BY (data_pregao date)
STORED AS PARQUET
"""
# Hive type -> the Parquet column Athena reads it from.
PARQUET_OF_HIVE = {
    "string": "binary {} (STRING)",
    "double": "double {}",
    "bigint": "int64 {}",
    "date": "int32 {} (DATE)",
}


def message_fields(schema_text: str) -> list[str]:
    """The field lines of a Parquet message schema, without the trailing ';'."""
    return [line.strip().rstrip(";") for line in schema_text.strip().splitlines()[1:-1]]


@pytest.fixture(scope="module")
def golden_run(spark, tmp_path_factory):
    """A fresh lake after one run over the golden raw file: (lake, summary)."""
    lake = tmp_path_factory.mktemp("golden") / "lake"
    raw = place_golden_raw(lake)
    # as_uri() percent-encodes "=" (ingestion_date%3D...), as keys from S3 events arrive: accepted.
    summary = transform.run(spark, raw.as_uri(), uri(lake))
    return lake, summary


def test_golden_raw_file_has_the_raw_schema(spark):
    assert message_fields(parquet_schema(spark, GOLDEN / "stocks_data.parquet")) == [
        "required binary ticker (STRING)",
        "required int32 trade_date (DATE)",
        "optional double open",
        "optional double high",
        "optional double low",
        "optional double close",
        "optional double adj_close",
        "optional int64 volume",
        "required int64 ingested_at (TIMESTAMP(MICROS,true))",
    ]


def test_refined_equals_expected(spark, golden_run):
    lake, _ = golden_run
    assert_rows_match(read_refined(spark, lake), load_expected("expected_refined"))


def test_aggregated_equals_expected(spark, golden_run):
    lake, _ = golden_run
    assert_rows_match(read_aggregated(spark, lake), load_expected("expected_aggregated"))


def test_a_month_ending_on_the_last_day_covered_is_closed(spark, tmp_path):
    """The same raw file as the run of 2018-02-01, which covers through 2018-01-31: January closed."""
    lake = tmp_path / "lake"
    raw = place_golden_raw(lake, "2018-02-01")
    transform.run(spark, uri(raw), uri(lake))
    assert_rows_match(read_aggregated(spark, lake), load_expected("expected_aggregated_2018-02-01"))


def test_summary_counts_rows_per_ticker_and_drops_per_reason(golden_run):
    _, summary = golden_run
    counts = load_expected("expected_raw_counts")
    assert summary["raw_rows"] == sum(c["row_count"] for c in counts) == 29
    assert (
        summary["sessions_per_ticker"]
        == {c["nome_acao"]: c["row_count"] for c in counts if c["drop_reason"] is None}
        == {"ITUB4.SA": 6, "PETR4.SA": 14}
    )
    # duplicates: PETR4's earlier answers for 01-03 and 12-28, ITUB4's second copy of 12-27
    assert summary["dropped"] == {"duplicate": 3, "missing_price": 1, "non_positive_price": 1, "non_session": 4}
    assert (summary["partitions_written"], summary["partitions_deleted"]) == (14, 0)
    assert (summary["first_partition"], summary["last_partition"]) == ("2017-12-18", "2018-01-09")
    assert summary["newest_session"] == "2018-01-09"
    assert (summary["refined_rows_written"], summary["aggregated_rows"]) == (20, 4)


def test_written_refined_matches_the_seed_table(spark, golden_run):
    lake, _ = golden_run
    columns = re.findall(r"^\s+(\w+) (\w+),?$", SEED_REFINED_DDL, flags=re.MULTILINE)
    (partition,) = re.findall(r"PARTITIONED BY \((\w+) (\w+)\)", SEED_REFINED_DDL)
    expected = [f"optional {PARQUET_OF_HIVE[hive].format(name)}" for name, hive in columns]
    expected.append("optional double fechamento_ajustado")  # ours, after the seed's columns

    partitions = sorted((lake / "refined").iterdir())
    assert [p.name for p in partitions] == [f"data_pregao={d}" for d in sorted(load_dates())]
    for folder in partitions:
        name, value = folder.name.split("=")
        assert (name, date.fromisoformat(value).isoformat()) == (partition[0], value)  # a real ISO date
        (file,) = folder.iterdir()  # one Parquet file per partition, no side files
        assert file.suffix == ".parquet"
        assert message_fields(parquet_schema(spark, file)) == expected

    # Without an explicit schema, a reader that infers the partition from the folder name
    # (as Athena's DDL declares it) gets a date.
    inferred = spark.read.parquet(uri(lake / "refined")).schema
    assert inferred[partition[0]].dataType.simpleString() == partition[1] == "date"


def load_dates() -> set[str]:
    return {r["data_pregao"].isoformat() for r in load_expected("expected_refined")}


def test_written_aggregated_schema(spark, golden_run):
    lake, _ = golden_run
    (file,) = (lake / "aggregated").iterdir()
    assert file.suffix == ".parquet"
    assert message_fields(parquet_schema(spark, file)) == [
        "optional binary nome_acao (STRING)",
        "optional int32 mes_referencia (DATE)",
        "optional int64 volume_total",
        "optional double preco_medio_fechamento",
        "optional int32 dias_pregao",
        "optional boolean mes_fechado",
        "optional boolean mes_completo",
    ]


def test_written_tables_match_the_one_table_definition(spark, golden_run):
    """What the job writes, read back by Spark, has the columns and types tables.json declares."""
    lake, _ = golden_run
    for table, files in (("refined_stocks", "refined/*/*.parquet"), ("aggregated_stocks", "aggregated/*.parquet")):
        written = spark.read.parquet(uri(lake) + "/" + files).schema
        declared = transform.spark_schema(transform.TABLES[table], with_partition=False)
        assert [(f.name, f.dataType) for f in written] == [(f.name, f.dataType) for f in declared], table


def test_lake_holds_only_the_tables_and_the_state(golden_run):
    lake, _ = golden_run
    assert sorted(p.name for p in lake.iterdir()) == ["_transform_state.json", "aggregated", "raw", "refined"]
    leftovers = [p for p in lake.rglob("*") if p.name.startswith((".", "_")) and p.parent != lake]
    assert leftovers == []  # no staging folder, journal, lock, _SUCCESS, .crc or .spark-staging left
    raw = raw_file(lake, "2018-01-11")
    stat = raw.stat()
    # The state names the applied raw file by its size and whole-millisecond mtime, in the bytes
    # the TypeScript side writes (JSON.stringify, then a newline).
    assert (lake / "_transform_state.json").read_text() == (
        '{"version":1,"applied":{"raw/ingestion_date=2018-01-11/stocks_data.parquet":'
        f'"{stat.st_size}:{stat.st_mtime_ns // 1_000_000}"}}}}\n'
    )


def test_rerunning_the_same_day_changes_nothing(spark, golden_run, tmp_path):
    first_lake, first_summary = golden_run
    lake = tmp_path / "lake"
    shutil.copytree(first_lake, lake)
    before = lake_snapshot(lake)

    summary = transform.run(spark, uri(raw_file(lake, "2018-01-11")), uri(lake))

    assert {k: v for k, v in summary.items() if k not in ("raw_path", "lake_root")} == {
        k: v for k, v in first_summary.items() if k not in ("raw_path", "lake_root")
    }
    assert_rows_match(read_refined(spark, lake), read_refined(spark, first_lake), rel_tol=0)
    assert_rows_match(read_aggregated(spark, lake), read_aggregated(spark, first_lake), rel_tol=0)
    # Same folders, and as many files in each (file names are new on every run: no duplicates).
    assert layout(lake_snapshot(lake)) == layout(before)


def layout(snapshot: dict) -> list[str]:
    """The paths of a snapshot with every Parquet file replaced by its folder."""
    return sorted(str(Path(p).parent) + "/*.parquet" if p.endswith(".parquet") else p for p in snapshot)
