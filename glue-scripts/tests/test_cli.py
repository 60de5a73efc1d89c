"""transform.py as a script, the way Glue and `b3 transform --engine spark` start it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from support import GOLDEN, assert_rows_match, load_expected, raw_file, read_refined, uri

import transform

SCRIPT = transform.__file__


def test_script_runs_with_glue_style_arguments(spark, tmp_path):
    lake = tmp_path / "lake"
    raw = raw_file(lake, "2018-01-11")
    raw.parent.mkdir(parents=True)
    shutil.copy(GOLDEN / "stocks_data.parquet", raw)
    result = subprocess.run(
        [
            sys.executable, SCRIPT, "--JOB_NAME", "transform_job_test", "--raw_path", uri(raw),
            "--lake_root", uri(lake) + "/", "--job-bookmark-option", "job-bookmark-disable",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["lake_root"] == uri(lake)
    assert summary["sessions_per_ticker"] == {"ITUB4.SA": 6, "PETR4.SA": 14}
    assert summary["newest_session"] == "2018-01-09"
    assert_rows_match(read_refined(spark, lake), load_expected("expected_refined"))


def test_script_bad_input_exits_1_with_the_reason(tmp_path):
    result = subprocess.run(
        [sys.executable, SCRIPT, "--raw_path", uri(tmp_path / "missing.parquet"), "--lake_root", uri(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"transform: raw file not found: {uri(tmp_path / 'missing.parquet')}" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_script_usage_error_exits_2():
    result = subprocess.run([sys.executable, SCRIPT, "--lake_root", "file:///tmp/x"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--raw_path" in result.stderr
