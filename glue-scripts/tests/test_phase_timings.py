"""--phase_timings / B3_PHASE_TIMINGS=1: the run's phases on stderr as one JSON line, nothing else changed."""

from __future__ import annotations

import io
import json
import math
import time
from contextlib import redirect_stderr

import pytest
from support import (
    assert_rows_match,
    load_expected,
    place_golden_raw,
    read_json,
    read_refined,
    run_script,
    table_digests,
    uri,
)

import transform

PHASE_NAMES = ["startup", "read", "compute", "write", "other", "total"]


def phase_report(stderr: str) -> dict:
    """The one phase_timings report of a run's stderr (Spark's progress bar, which ends in a
    carriage return, may share its line)."""
    reports = [line[line.index('{"phase_timings"') :] for line in stderr.split("\n") if '{"phase_timings"' in line]
    assert len(reports) == 1, f"expected one phase_timings report, got {len(reports)}:\n{stderr[-3000:]}"
    return json.loads(reports[0])["phase_timings"]


def test_the_script_reports_its_phases_and_writes_the_same_tables(spark, tmp_path):
    lake = tmp_path / "lake"
    raw = place_golden_raw(lake)
    result = run_script(
        ["--raw_path", uri(raw), "--lake_root", uri(lake)], cwd=tmp_path, env={transform.PHASE_TIMINGS_ENV: "1"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # stdout is still the run summary alone, and the tables are the golden ones.
    summary = json.loads(result.stdout)
    assert summary["sessions_per_ticker"] == {"ITUB4.SA": 6, "PETR4.SA": 14}
    assert_rows_match(read_refined(spark, lake), load_expected("expected_refined"))

    report = phase_report(result.stderr)
    assert report["unit"] == "s"
    phases = report["phases"]
    assert list(phases) == PHASE_NAMES
    # Start-up is a JVM and a SparkSession: never instant. Each other phase did real work.
    assert phases["startup"] > 0.5
    for name in ("read", "compute", "write"):
        assert phases[name] > 0, name
    assert 0 <= phases["other"] < phases["total"]
    assert math.isclose(sum(phases[name] for name in PHASE_NAMES[:5]), phases["total"], abs_tol=0.01)

    steps = {(s["phase"], s["step"]) for s in report["steps"]}
    assert ("startup", "process start to SparkSession ready") in steps
    assert ("read", "check the run's raw file") in steps
    assert ("compute", "view raw_classified") in steps
    assert ("compute", "view refined_all") in steps
    assert ("write", "view refined_rows") in steps
    assert ("write", "view aggregated_rows") in steps
    assert ("write", "journal and publish") in steps
    for phase in ("startup", "read", "compute", "write"):
        in_phase = sum(s["seconds"] for s in report["steps"] if s["phase"] == phase)
        assert math.isclose(in_phase, phases[phase], abs_tol=0.001 * len(report["steps"])), phase


def test_timed_and_untimed_runs_write_identical_tables_and_summaries(spark, tmp_path):
    results = {}
    for label, timer in (("untimed", transform.NO_TIMER), ("timed", transform.PhaseTimer(enabled=True))):
        lake = tmp_path / label
        raw = place_golden_raw(lake)
        summary = transform.run(spark, uri(raw), uri(lake), timer=timer)
        results[label] = (
            {k: v for k, v in summary.items() if k not in ("raw_path", "lake_root")},
            table_digests(lake),
            sorted(read_json(lake / transform.STATE_FILE)["applied"]),
        )
        if timer.enabled:
            assert {s["phase"] for s in timer.steps} == {"read", "compute", "write"}
    assert results["timed"] == results["untimed"]
    assert results["timed"][1]  # the digests cover real files


def test_no_line_unless_asked(tmp_path):
    timer = transform.PhaseTimer(enabled=False)
    with timer.step("read", "anything"):
        pass
    timer.since_start("startup", "anything")
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        timer.emit()
    assert stderr.getvalue() == ""
    assert timer.steps == []


def test_a_nested_step_is_counted_once_in_its_own_phase():
    timer = transform.PhaseTimer(enabled=True, origin=time.time())
    with timer.step("compute", "outer"):
        time.sleep(0.05)
        with timer.step("write", "inner"):
            time.sleep(0.1)
    seconds = {s["step"]: s["seconds"] for s in timer.steps}
    assert 0.09 <= seconds["inner"] < 0.5
    assert 0.04 <= seconds["outer"] < 0.09  # its own 0.05 s, not the inner step's 0.1 s
    phases = timer.report()["phase_timings"]["phases"]
    assert math.isclose(phases["compute"] + phases["write"] + phases["other"], phases["total"], abs_tol=0.002)
    with pytest.raises(ValueError, match="unknown phase 'io'"), timer.step("io", "x"):
        pass


def test_the_switch_as_argument_or_environment(monkeypatch):
    base = ["--raw_path", "file:///l/raw.parquet", "--lake_root", "file:///l"]
    monkeypatch.delenv(transform.PHASE_TIMINGS_ENV, raising=False)
    assert transform.parse_args(base).phase_timings is False
    assert transform.parse_args([*base, "--phase-timings"]).phase_timings is True
    assert transform.parse_args([*base, "--phase_timings", "true"]).phase_timings is True  # as Glue passes it
    assert transform.parse_args([*base, "--phase_timings", "false"]).phase_timings is False
    monkeypatch.setenv(transform.PHASE_TIMINGS_ENV, "1")
    assert transform.parse_args(base).phase_timings is True
    assert transform.parse_args([*base, "--phase_timings", "0"]).phase_timings is False  # the argument wins
    with pytest.raises(SystemExit) as exit_info:
        transform.parse_args([*base, "--phase_timings", "sometimes"])
    assert exit_info.value.code == 2


def test_process_start_time_is_before_now_and_recent():
    started = transform.process_start_time()
    assert started <= time.time()
    assert time.time() - started < 24 * 3600  # this test process, not the machine's boot
