"""The SQL contract shared with the DuckDB host: file names, one SELECT per file, the loader."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import transform

SQL_DIR = Path(transform.__file__).resolve().parent / "sql"


def test_files_are_numbered_views_in_run_order():
    names = sorted(p.name for p in SQL_DIR.glob("*.sql"))
    assert names == [
        "01_raw_classified.sql",
        "02_raw_counts.sql",
        "03_refined_all.sql",
        "04_candidate_partitions.sql",
        "05_partitions_written.sql",
        "06_refined_rows.sql",
        "07_aggregated_rows.sql",
        "08_run_totals.sql",
        "empty_refined_history.sql",
    ]
    statements, _ = transform.load_sql()
    assert [view for view, _ in statements] == list(transform.REQUIRED_VIEWS)


@pytest.mark.parametrize("file", sorted(SQL_DIR.glob("*.sql")), ids=lambda p: p.name)
def test_each_file_is_one_plain_select(file):
    """A host wraps a file as `CREATE TEMP VIEW <view> AS\\n<text>\\n`: one statement, no ';',
    no placeholders, and no double-quoted identifiers (string literals in Spark)."""
    code = re.sub(r"--[^\n]*", "", file.read_text(encoding="utf-8"))  # without comments
    assert re.match(r"\s*(WITH|SELECT)\b", code)
    assert ";" not in code
    assert not re.search(r"[{}$\"`]", code)


def test_empty_history_has_the_refined_schema(spark):
    _, empty_sql = transform.load_sql()
    frame = spark.sql(empty_sql)
    assert [(f.name, f.dataType) for f in frame.schema.fields] == [
        (f.name, f.dataType) for f in transform.REFINED_SCHEMA.fields
    ]
    assert frame.count() == 0


def test_loader_finds_files_flattened_by_glue_extra_files(tmp_path):
    for file in SQL_DIR.glob("*.sql"):
        shutil.copy(file, tmp_path / file.name)
    (tmp_path / "README.md").write_text("not SQL")
    statements, empty_sql = transform.load_sql(tmp_path)
    assert [view for view, _ in statements] == list(transform.REQUIRED_VIEWS)
    assert "empty_refined_history" in empty_sql


def test_loader_names_what_is_missing(tmp_path):
    shutil.copy(SQL_DIR / "01_raw_classified.sql", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"run_totals.*--extra-files"):
        transform.load_sql(tmp_path)


def test_arguments_ignore_the_ones_glue_adds():
    args = transform.parse_args(
        [
            "--JOB_ID", "j_1", "--raw_path", "s3://lake/raw/ingestion_date=2024-01-02/stocks_data.parquet",
            "--job-bookmark-option", "job-bookmark-disable", "--lake_root", "s3://lake/",
            "--TempDir", "s3://assets/tmp", "--JOB_NAME", "transform_job_prod", "--enable-metrics", "true",
        ]
    )  # fmt: skip
    assert args.raw_path == "s3://lake/raw/ingestion_date=2024-01-02/stocks_data.parquet"
    assert args.lake_root == "s3://lake"
    assert args.JOB_NAME == "transform_job_prod"


def test_arguments_are_spelled_out():
    with pytest.raises(SystemExit) as exit_info:
        transform.parse_args(["--raw", "s3://x/raw.parquet", "--lake_root", "s3://x"])
    assert exit_info.value.code == 2
