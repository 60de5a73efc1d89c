"""transform.py as a script, the way Glue and `b3 transform --engine spark` start it."""

from __future__ import annotations

import json
import signal

import pytest
from support import (
    assert_rows_match,
    load_expected,
    place_golden_raw,
    read_aggregated,
    read_json,
    read_refined,
    run_script,
    uri,
)

import transform


def test_script_runs_with_glue_style_arguments(spark, tmp_path):
    lake = tmp_path / "lake"
    raw = place_golden_raw(lake)
    result = run_script(
        [
            "--JOB_NAME", "transform_job_test", "--raw_path", uri(raw),
            "--lake_root", uri(lake) + "/", "--job-bookmark-option", "job-bookmark-disable",
        ],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["lake_root"] == uri(lake)
    assert summary["sessions_per_ticker"] == {"ITUB4.SA": 6, "PETR4.SA": 14}
    assert summary["newest_session"] == "2018-01-09"
    assert_rows_match(read_refined(spark, lake), load_expected("expected_refined"))


def test_script_bad_input_exits_1_with_the_reason(tmp_path):
    result = run_script(["--raw_path", uri(tmp_path / "missing.parquet"), "--lake_root", uri(tmp_path)], cwd=tmp_path)
    assert result.returncode == 1
    assert f"transform: raw file not found: {uri(tmp_path / 'missing.parquet')}" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_script_usage_error_exits_2():
    result = run_script(["--lake_root", "file:///tmp/x"])
    assert result.returncode == 2
    assert "--raw_path" in result.stderr


def test_lock_arguments():
    args = transform.parse_args(["--raw_path", "file:///l/raw.parquet", "--lake_root", "file:///l"])
    assert (args.lake_lock, args.lock_wait) == ("take", 60.0)
    args = transform.parse_args(
        ["--raw_path", "file:///l/raw.parquet", "--lake_root", "file:///l", "--lake_lock", "held", "--lock_wait", "5"]
    )
    assert (args.lake_lock, args.lock_wait) == ("held", 5.0)
    for bad in (["--lake_lock", "maybe"], ["--lock_wait", "-1"]):
        with pytest.raises(SystemExit) as exit_info:
            transform.parse_args(["--raw_path", "file:///l/raw.parquet", "--lake_root", "file:///l", *bad])
        assert exit_info.value.code == 2


def test_a_run_killed_mid_publish_is_completed_by_the_next_run(spark, tmp_path):
    lake = tmp_path / "lake"
    raw = place_golden_raw(lake)
    result = run_script(
        ["--raw_path", uri(raw), "--lake_root", uri(lake)], cwd=tmp_path, env={transform.FAULT_ENV: "publish:step:3"}
    )
    # Killed like kill -9 at the third step: no summary, the journal, its staging and its lock left.
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    assert result.stdout == ""
    assert (lake / transform.JOURNAL_FILE).exists()
    assert (lake / transform.STAGING_FOLDER).is_dir()
    assert read_json(lake / "_lake.lock")["owner"] == "transform of 2018-01-11"
    # Steps 1 to 3 moved the first three partitions' files in (new folders: nothing to delete).
    assert sorted(p.name for p in (lake / "refined").iterdir()) == [
        "data_pregao=2017-12-18", "data_pregao=2017-12-19", "data_pregao=2017-12-20",
    ]  # fmt: skip

    # The next run takes over the dead holder's lock, completes the publish, then runs.
    transform.run(spark, uri(raw), uri(lake), lock_wait=5)
    assert_rows_match(read_refined(spark, lake), load_expected("expected_refined"))
    assert_rows_match(read_aggregated(spark, lake), load_expected("expected_aggregated"))
    assert sorted(p.name for p in lake.iterdir()) == ["_transform_state.json", "aggregated", "raw", "refined"]
