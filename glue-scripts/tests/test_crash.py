"""Crash-safe publish: a run stopped at any step leaves every partition old or new, and recovery
(the next run, or recover_lake) completes the publish from the journal or removes what was
never published. Faults are injected at named points (transform.fault_point), never by timing."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from support import (
    assert_rows_match,
    identity,
    model_tables,
    place_golden_raw,
    raw_file,
    read_aggregated,
    read_json,
    read_refined,
    table_digests,
    tables_snapshot,
    uri,
    utc,
    write_raw_parquet,
    yahoo_bars,
)

import transform

FIRST, SECOND = "2018-01-11", "2018-01-12"
INGESTED_AT = utc(2018, 1, 12, 9, 0, 1)


def second_raw_rows() -> list[dict]:
    """The raw of SECOND: revisions of days the golden run wrote, chosen so that the publish
    writes partitions of every kind."""
    petr = {b["trade_date"]: b for b in yahoo_bars("PETR4.SA", date(2018, 1, 5), date(2018, 1, 10), INGESTED_AT)}
    (itub,) = yahoo_bars("ITUB4.SA", date(2017, 12, 22), date(2017, 12, 22), INGESTED_AT)
    flat = petr[date(2018, 1, 9)]["close"]
    return [
        # A revised close: the next session's lag and moving average change (a partition written
        # because of another one).
        {**petr[date(2018, 1, 5)], "close": petr[date(2018, 1, 5)]["close"] + 0.01},
        # Now Yahoo's holiday quote: no session left that day, its partition is deleted.
        {**petr[date(2018, 1, 9)], "open": flat, "high": flat, "low": flat, "volume": 0},
        # The session the golden raw held without a close: a new partition.
        petr[date(2018, 1, 10)],
        # Only the volume revised: its partition, and nothing after it.
        {**itub, "volume": itub["volume"] + 100},
    ]


@pytest.fixture(scope="module")
def base(spark, tmp_path_factory):
    """A lake after the golden run, with SECOND's raw file extracted but not transformed."""
    lake = tmp_path_factory.mktemp("crash-base") / "lake"
    golden = place_golden_raw(lake, FIRST)
    transform.run(spark, uri(golden), uri(lake))
    write_raw_parquet(spark, second_raw_rows(), raw_file(lake, SECOND))
    return lake


def copy_of(lake, tmp_path):
    target = tmp_path / "lake"
    shutil.copytree(lake, target)  # copy2: mtimes kept, so raw identities are the same
    return target


@pytest.fixture(scope="module")
def published(spark, base, tmp_path_factory):
    """SECOND run without a fault: (lake, summary, publish:step count)."""
    lake = copy_of(base, tmp_path_factory.mktemp("crash-published"))
    summary = transform.run(spark, uri(raw_file(lake, SECOND)), uri(lake))
    return lake, summary, transform.fault_hits.get("publish:step", 0)


@pytest.fixture(scope="module")
def after_journal(spark, base, tmp_path_factory):
    """SECOND run stopped right after its journal was written: the template of a committed,
    unapplied publish."""
    lake = copy_of(base, tmp_path_factory.mktemp("crash-after-journal"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv(transform.FAULT_ENV, "publish:after-journal")
        env.setenv(transform.FAULT_MODE_ENV, "raise")
        with pytest.raises(transform.InjectedFault):
            transform.run(spark, uri(raw_file(lake, SECOND)), uri(lake))
    return lake


def assert_no_leftovers(lake) -> None:
    assert not (lake / transform.JOURNAL_FILE).exists()
    assert not (lake / transform.STAGING_FOLDER).exists()
    assert not (lake / "_lake.lock").exists()
    assert [p.name for p in lake.iterdir() if p.name.startswith(".")] == []


def assert_published(lake, published_lake) -> None:
    """The lake holds exactly what the uninterrupted run published."""
    assert table_digests(lake) == table_digests(published_lake)
    assert read_json(lake / transform.STATE_FILE) == read_json(published_lake / transform.STATE_FILE)
    assert_no_leftovers(lake)


def assert_old_or_new(lake, base_lake, published_lake) -> None:
    """Mid-publish: each folder holds its old files, its new ones, or both (the moment between a
    new file moved in and the old one deleted), never anything else."""
    old, new, now = table_digests(base_lake), table_digests(published_lake), table_digests(lake)
    for folder in sorted(set(old) | set(new) | set(now)):
        before, after, current = old.get(folder, []), new.get(folder, []), now.get(folder, [])
        assert current in (before, after, sorted(before + after)), f"{folder}: {current}"


# ------------------------------------------------------------------------------ the clean publish


def test_publish_writes_own_partitions_and_those_they_change(spark, base, published):
    lake, summary, _ = published
    assert (summary["partitions_written"], summary["partitions_deleted"]) == (4, 1)
    assert (summary["first_partition"], summary["last_partition"]) == ("2017-12-22", "2018-01-10")
    before, after = tables_snapshot(base), tables_snapshot(lake)
    changed = {partition_of(p) for p in set(before) ^ set(after)} - {None}
    # Own: 12-22, 01-05, 01-09 (deleted), 01-10 (new); because of 01-05: 01-08 (its lag_1d).
    assert changed == {
        f"data_pregao={d}" for d in ("2017-12-22", "2018-01-05", "2018-01-08", "2018-01-09", "2018-01-10")
    }
    assert not (lake / "refined" / "data_pregao=2018-01-09").exists()
    # Every other partition: the same files, untouched (names, sizes, mtimes, bytes).
    assert others(after, changed) == others(before, changed)
    raws = [raw_file(lake, FIRST), raw_file(lake, SECOND)]
    expected, expected_months = model_tables(spark, *raws)
    assert_rows_match(read_refined(spark, lake), expected)
    assert_rows_match(read_aggregated(spark, lake), expected_months)
    assert read_json(lake / transform.STATE_FILE) == {
        "version": 1,
        "applied": {
            f"raw/ingestion_date={d}/stocks_data.parquet": identity(raw_file(lake, d)) for d in (FIRST, SECOND)
        },
    }
    assert_no_leftovers(lake)


# ------------------------------------------------------------------------- crashes before the commit


def test_crash_before_the_journal_publishes_nothing(spark, base, tmp_path, monkeypatch):
    lake = copy_of(base, tmp_path)
    before = tables_snapshot(lake)
    monkeypatch.setenv(transform.FAULT_ENV, "publish:before-journal")
    monkeypatch.setenv(transform.FAULT_MODE_ENV, "raise")
    with pytest.raises(transform.InjectedFault):
        transform.run(spark, uri(raw_file(lake, SECOND)), uri(lake))
    assert (lake / transform.STAGING_FOLDER).is_dir()  # everything staged, as a kill leaves it
    assert tables_snapshot(lake) == before

    monkeypatch.delenv(transform.FAULT_ENV)
    assert transform.recover_lake(spark, uri(lake)) == "cleaned"
    assert tables_snapshot(lake) == before
    assert_no_leftovers(lake)


def test_a_lock_lost_before_the_journal_publishes_nothing(spark, base, tmp_path, monkeypatch):
    lake = copy_of(base, tmp_path)
    before = tables_snapshot(lake)

    class LostLock(transform._HeldByCaller):
        def assert_held(self):
            raise RuntimeError("the lake lock was lost")

    monkeypatch.setattr(transform, "take_lock", lambda *args: LostLock())
    with pytest.raises(RuntimeError, match="lost"):
        transform.run(spark, uri(raw_file(lake, SECOND)), uri(lake))
    assert tables_snapshot(lake) == before
    assert_no_leftovers(lake)  # the run removed its own staging


# -------------------------------------------------------------------------- crashes after the commit


def test_crash_after_the_journal_is_rolled_forward(spark, base, after_journal, published, tmp_path):
    lake = copy_of(after_journal, tmp_path)
    published_lake, _, _ = published
    journal = read_json(lake / transform.JOURNAL_FILE)
    assert list(journal) == ["version", "run_id", "method", "staging", "files", "delete_partitions", "state"]
    assert (journal["method"], journal["staging"]) == ("move-files", f"_transform_staging/{journal['run_id']}")
    written = [f"refined/data_pregao={d}" for d in ("2017-12-22", "2018-01-05", "2018-01-08", "2018-01-10")]
    assert list(journal["files"]) == [*written, "aggregated"]
    for folder, names in journal["files"].items():
        assert [p.name for p in (lake / journal["staging"] / folder).iterdir()] == names  # one file each
    assert journal["delete_partitions"] == ["data_pregao=2018-01-09"]
    assert journal["state"] == read_json(published_lake / transform.STATE_FILE)
    assert tables_snapshot(lake) == tables_snapshot(base)  # committed, not applied yet

    assert transform.recover_lake(spark, uri(lake)) == "completed"
    assert_published(lake, published_lake)


def test_crash_at_every_step_of_the_publish_then_recovery(spark, base, after_journal, published, tmp_path, monkeypatch):
    """Recovery runs the same steps as the run (apply_journal), so crashing recovery at step k
    leaves the lake as a run crashed at step k does; a second recovery must finish either."""
    published_lake, _, steps = published
    # 4 partitions' files moved in, 3 old partition files deleted (01-10 is new), 1 partition
    # deleted, aggregated's file moved in and its old one deleted.
    assert steps == 10
    points = [f"publish:step:{k}" for k in range(1, steps + 1)] + [
        "publish:after-state",
        "publish:after-journal-removed",
    ]
    monkeypatch.setenv(transform.FAULT_MODE_ENV, "raise")
    for point in points:
        lake = tmp_path / point.replace(":", "_")
        shutil.copytree(after_journal, lake)
        monkeypatch.setenv(transform.FAULT_ENV, point)
        transform.fault_hits.clear()
        with pytest.raises(transform.InjectedFault):
            transform.recover_lake(spark, uri(lake))
        assert_old_or_new(lake, base, published_lake)
        journal_left = (lake / transform.JOURNAL_FILE).exists()
        assert journal_left == (point != "publish:after-journal-removed"), point

        monkeypatch.delenv(transform.FAULT_ENV)
        assert transform.recover_lake(spark, uri(lake)) == ("completed" if journal_left else "cleaned"), point
        assert_published(lake, published_lake)


def test_a_journal_of_the_duckdb_engine_replacing_same_named_files_is_completed(spark, base, published, tmp_path):
    """The local engine names every file data_0.parquet: its staged file replaces the lake's file
    of the same name. The job completes such a journal too (whoever crashed, the next run of
    either engine recovers)."""
    published_lake, _, _ = published
    lake = copy_of(base, tmp_path)
    staging = f"{transform.STAGING_FOLDER}/duckdb-run"
    folders = ["refined/data_pregao=2017-12-22", "refined/data_pregao=2018-01-10", "aggregated"]
    for folder in folders:
        for old in (lake / folder).glob("*.parquet"):  # as the local engine wrote them
            old.rename(old.with_name("data_0.parquet"))
        (lake / staging / folder).mkdir(parents=True)
        (new,) = (published_lake / folder).iterdir()
        shutil.copy(new, lake / staging / folder / "data_0.parquet")
    state = {"version": 1, "applied": {"raw/ingestion_date=2018-01-12/stocks_data.parquet": "1:2"}}
    journal = {
        "version": 1,
        "run_id": "duckdb-run",
        "method": "move-files",
        "staging": staging,
        "files": {folder: ["data_0.parquet"] for folder in folders},
        "delete_partitions": ["data_pregao=2018-01-09"],
        "state": state,
    }
    (lake / transform.JOURNAL_FILE).write_text(transform._json_text(journal))

    assert transform.recover_lake(spark, uri(lake)) == "completed"
    digests, want = table_digests(lake), table_digests(published_lake)
    for folder in folders:
        assert [p.name for p in (lake / folder).iterdir()] == ["data_0.parquet"]
        assert digests[folder] == want[folder], folder  # the new bytes, not the old file's
    assert not (lake / "refined" / "data_pregao=2018-01-09").exists()
    assert read_json(lake / transform.STATE_FILE) == state
    assert_no_leftovers(lake)


def test_unpublished_staging_is_removed_by_the_next_run_under_the_callers_lock(spark, published, tmp_path):
    published_lake = published[0]
    lake = copy_of(published_lake, tmp_path)
    before = tables_snapshot(lake)
    leftover = lake / transform.STAGING_FOLDER / "crashed-run" / "refined" / "data_pregao=2018-01-10"
    leftover.mkdir(parents=True)
    (leftover / "part-00000.parquet").write_bytes(b"never published")

    import lake_lock

    # As `b3 transform --engine spark` runs it: the caller holds the lock, the job must not wait
    # for it nor release it.
    with lake_lock.acquire_lake_lock(uri(lake), "transform of 2018-01-12") as held:
        summary = transform.run(spark, uri(raw_file(lake, SECOND)), uri(lake), lake_lock="held")
        held.assert_held()

    assert_published(lake, published_lake)  # the leftover is gone, the content is the same
    # A re-run rewrites its own partitions (same bytes) and nothing else: 01-08 is equal now.
    assert (summary["partitions_written"], summary["partitions_deleted"]) == (3, 0)
    own = {"data_pregao=2017-12-22", "data_pregao=2018-01-05", "data_pregao=2018-01-10"}
    assert others(tables_snapshot(lake), own) == others(before, own)


def partition_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if parts[0] == "refined" and len(parts) > 1 else None


def others(snapshot: dict, written: set[str]) -> dict:
    """The refined entries of a snapshot outside the partitions `written`."""
    return {p: e for p, e in snapshot.items() if partition_of(p) is not None and partition_of(p) not in written}
