"""The lake lock of the Glue job on a folder lake and on S3 (moto), and against the TypeScript side run by Node."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

import lake_lock
from lake_lock import LakeLockedError, acquire_lake_lock, decode_lock

REPO_ROOT = Path(__file__).resolve().parents[2]
MOTO_SERVER = REPO_ROOT / ".venv/bin/moto_server"
NODE = REPO_ROOT / "node_modules/.bin/node"
CORE_SRC = REPO_ROOT / "packages/core/src"
HOST = socket.gethostname()
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
QUICK = {"poll_s": 0.01}  # fast polls: every test waits well under a second
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, for this module's S3 tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    # moto logs every request: send it nowhere so a full pipe never blocks it.
    server = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start at {endpoint}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(params=["folder", "s3"])
def lake(request, tmp_path) -> tuple[str, object]:
    """A fresh lake: (lake_root, s3_client or None)."""
    if request.param == "folder":
        return str(tmp_path / "lake"), None
    endpoint = request.getfixturevalue("moto_endpoint")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=AWS_ENV["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )
    bucket = f"b3-lock-{uuid.uuid4()}"[:40]
    client.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/lake", client


def read_lock(root: str, client) -> bytes | None:
    found = lake_lock._store_for(root, client).get()
    return found[0] if found else None


def run_together(target, names: list[str]) -> None:
    """Runs `target(name)` for each name, each in its own thread, all at once; returns when all end."""
    threads = [threading.Thread(target=target, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_writes_the_documented_json_and_deletes_it_on_release(lake):
    root, client = lake
    lock = acquire_lake_lock(root, "transform of 2020-07-02", s3_client=client, host="box", pid=4242, now=lambda: START)
    assert (
        read_lock(root, client)
        == (
            f'{{"version":1,"token":"{lock.info["token"]}","owner":"transform of 2020-07-02","host":"box","pid":4242,'
            '"acquired_at":"2026-12-03T12:00:00.000Z","expires_at":"2026-12-03T12:02:00.000Z"}\n'
        ).encode()
    )
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", lock.info["token"])
    lock.assert_held()
    lock.release()
    lock.release()  # a second release does nothing
    assert read_lock(root, client) is None
    with pytest.raises(LakeLockedError, match=r"^the lake lock was already released$"):
        lock.assert_held()


def test_a_second_writer_waits_then_fails_naming_the_holder(lake):
    root, client = lake
    holder = acquire_lake_lock(root, "transform of 2020-07-02", s3_client=client, host="box", pid=4242)
    before = read_lock(root, client)
    waited_for = []
    started = time.monotonic()
    with pytest.raises(LakeLockedError) as raised:
        acquire_lake_lock(
            root, "extract of 2020-07-03", wait_s=0.3, s3_client=client, on_wait=waited_for.append, **QUICK
        )
    assert time.monotonic() - started >= 0.29
    assert str(raised.value) == (
        f"lake locked by transform of 2020-07-02 on host box (pid 4242) since {holder.info['acquired_at']}; "
        "waited 0.3 s: wait for it to finish and re-run, or raise the lock wait; "
        f"a crashed holder's lock is taken over after {holder.info['expires_at']}"
    )
    assert [h["token"] for h in waited_for] == [holder.info["token"]]  # once, not once per poll
    assert read_lock(root, client) == before
    holder.assert_held()
    holder.release()


def test_the_same_process_asking_again_waits_like_anyone(lake):
    root, client = lake
    held_by_us = rf"^lake locked by first on host .* \(pid {os.getpid()}\)"
    with acquire_lake_lock(root, "first", s3_client=client), pytest.raises(LakeLockedError, match=held_by_us):
        acquire_lake_lock(root, "second", wait_s=0.05, s3_client=client, **QUICK)
    assert read_lock(root, client) is None  # the context manager released it


def test_a_waiting_writer_gets_the_lock_once_the_holder_releases(lake):
    root, client = lake
    first = acquire_lake_lock(root, "first", s3_client=client)
    second = acquire_lake_lock(
        root,
        "second",
        wait_s=10,
        s3_client=client,
        on_wait=lambda _: threading.Thread(target=first.release).start(),
        **QUICK,
    )
    assert decode_lock(read_lock(root, client))["owner"] == "second"
    second.assert_held()
    second.release()


def test_takes_over_an_expired_lock_and_the_old_holder_leaves_it_alone(lake):
    root, client = lake
    old = acquire_lake_lock(root, "old", s3_client=client, host="box", now=lambda: START)
    later = START + timedelta(seconds=120, milliseconds=1)
    taker = acquire_lake_lock(root, "new", wait_s=0, s3_client=client, now=lambda: later)
    assert taker.info["acquired_at"] == "2026-12-03T12:02:00.001Z"
    with pytest.raises(LakeLockedError) as raised:
        old.assert_held()
    assert str(raised.value) == (
        f"the lake lock was lost to new on host {HOST} (pid {os.getpid()}) since 2026-12-03T12:02:00.001Z: "
        "stop before publishing"
    )
    old.release()  # must not delete the new holder's lock
    taker.assert_held()
    taker.release()


def test_does_not_take_over_a_lock_whose_lease_has_not_run_out(lake):
    root, client = lake
    holder = acquire_lake_lock(root, "old", s3_client=client, host="box", now=lambda: START)
    with pytest.raises(LakeLockedError, match=r"^lake locked by old on host box"):
        acquire_lake_lock(root, "new", wait_s=0, s3_client=client, now=lambda: START + timedelta(seconds=119))
    holder.release()


def test_takes_over_the_lock_of_a_gone_process_of_this_host_only(lake):
    root, client = lake
    pid = dead_pid()
    elsewhere = acquire_lake_lock(root, "crashed", s3_client=client, host="elsewhere", pid=pid)
    with pytest.raises(LakeLockedError, match=r"^lake locked by crashed on host elsewhere"):
        acquire_lake_lock(root, "next", wait_s=0, s3_client=client)
    elsewhere.release()

    crashed = acquire_lake_lock(root, "crashed", s3_client=client, pid=pid)
    following = acquire_lake_lock(root, "next", wait_s=0, s3_client=client)
    with pytest.raises(LakeLockedError, match=r"^the lake lock was lost to next "):
        crashed.assert_held()
    following.release()


def test_takes_over_a_lock_file_that_is_not_a_lock(lake):
    root, client = lake
    store = lake_lock._store_for(root, client)
    assert store.create_if_absent(b"not json") is not None
    with acquire_lake_lock(root, "next", wait_s=0, s3_client=client) as lock:
        lock.assert_held()


def test_renews_the_lease_and_a_renewal_that_finds_the_lock_taken_over_stops(lake):
    root, client = lake
    clock = [START]
    lease_s = 2  # renewed every 0.5 s
    lock = acquire_lake_lock(root, "renewing", lease_s=lease_s, s3_client=client, now=lambda: clock[0])
    clock[0] = START + timedelta(minutes=1)
    renewed = lake_lock._iso(clock[0] + timedelta(seconds=lease_s))
    deadline = time.monotonic() + 5
    # The holder records a renewal once its PUT has returned, a moment after the object changed.
    while decode_lock(read_lock(root, client))["expires_at"] != renewed or lock.info["expires_at"] != renewed:
        assert time.monotonic() < deadline, "the lease was not renewed"
        time.sleep(0.02)
    assert lock.info["acquired_at"] == "2026-12-03T12:00:00.000Z"
    lock.assert_held()

    # Right after a renewal (so none is in flight), a writer whose clock is past the lease takes the
    # lock over; the holder's next renewal must find it changed and leave it alone.
    taker = acquire_lake_lock(
        root, "taker", wait_s=0, s3_client=client, host="box", now=lambda: clock[0] + timedelta(seconds=lease_s + 1)
    )
    time.sleep(0.7)
    assert decode_lock(read_lock(root, client))["token"] == taker.info["token"]
    with pytest.raises(LakeLockedError, match=r"^the lake lock was lost to taker on host box "):
        lock.assert_held()
    lock.release()
    taker.assert_held()
    taker.release()


def test_a_renewal_that_could_not_be_written_fails_assert_held(tmp_path):
    lock = acquire_lake_lock(str(tmp_path), "renewing", lease_s=0.04)

    def unreachable(body, etag):
        raise OSError("S3 did not answer")

    lock._store.replace_if_match = unreachable
    deadline = time.monotonic() + 5
    with pytest.raises(LakeLockedError, match=r"^the lake lock could not be renewed \(S3 did not answer\): stop"):
        while time.monotonic() < deadline:  # until the next renewal has run
            lock.assert_held()
            time.sleep(0.01)
    lock.release()


def test_one_of_many_concurrent_writers_holds_the_lock_at_any_moment(lake):
    root, client = lake
    state = {"holders": 0, "most": 0, "rounds": 0}
    mutex = threading.Lock()
    errors = []

    def writer(name: str) -> None:
        try:
            for _ in range(3):
                with acquire_lake_lock(root, name, wait_s=20, s3_client=client, **QUICK) as lock:
                    with mutex:
                        state["holders"] += 1
                        state["most"] = max(state["most"], state["holders"])
                    time.sleep(0.005)
                    lock.assert_held()
                    with mutex:
                        state["holders"] -= 1
                        state["rounds"] += 1
        except Exception as error:
            errors.append(error)

    run_together(writer, [f"writer {i}" for i in range(5)])
    assert errors == []
    assert state["most"] == 1
    assert state["rounds"] == 15


def test_exactly_one_of_many_writers_takes_over_one_stale_lock(lake):
    root, client = lake
    past = datetime.now(UTC) - timedelta(minutes=10)
    acquire_lake_lock(root, "crashed", s3_client=client, host="elsewhere", now=lambda: past)
    won, refused = [], []
    barrier = threading.Barrier(6)

    def taker(name: str) -> None:
        barrier.wait()
        try:
            won.append(acquire_lake_lock(root, name, wait_s=0, s3_client=client))
        except LakeLockedError as error:
            refused.append(error)

    run_together(taker, [f"taker {i}" for i in range(6)])
    assert len(won) == 1
    assert len(refused) == 5
    won[0].assert_held()
    won[0].release()


def test_lake_roots_name_the_same_lock_as_the_typescript_side(tmp_path):
    assert lake_lock._store_for(f"file://{tmp_path}", None).path == tmp_path / "_lake.lock"
    assert lake_lock._store_for(str(tmp_path), None).path == tmp_path / "_lake.lock"
    assert lake_lock._store_for("s3://bucket/prod/lake/", object()).key == "prod/lake/_lake.lock"
    assert lake_lock._store_for("s3://bucket", object()).key == "_lake.lock"
    with pytest.raises(ValueError, match="gs:// lakes are not supported"):
        lake_lock._store_for("gs://bucket", None)


# Interop: the TypeScript lock (packages/core/src/lake/lock.ts) run by the project's Node.
NODE_SCRIPT = """
import { acquireLakeLock, decodeLock, encodeLock, lakeLockKey } from "CORE/lake/lock.ts";
import { openLake } from "CORE/lake/open-lake.ts";
const lake = openLake(process.env.LAKE);
const say = (value) => console.log(JSON.stringify(value));
const mode = process.env.MODE;
if (mode === "wait") {
  const waited = [];
  try {
    const lock = await acquireLakeLock(lake, { owner: "extract of 2020-07-01", waitMs: Number(process.env.WAIT_MS),
      pollMs: 10, onWait: (holder) => { waited.push(holder); say({ waiting: holder }); } });
    say({ acquired: lock.info, waited });
    if (process.env.KEEP === undefined) await lock.release();
  } catch (error) {
    say({ code: error.code, message: error.message, remedy: error.remedy, waited });
  }
} else if (mode === "hold" || mode === "crash") {
  const lock = await acquireLakeLock(lake, { owner: "extract of 2020-07-01" });
  say(lock.info);
  if (mode === "crash") process.exit(0); // leaves the lock behind, as a killed process does
  process.stdin.resume();
  process.stdin.on("end", async () => { await lock.release(); say("released"); });
} else if (mode === "reencode") {
  const { body } = await lake.getWithVersion(lakeLockKey);
  const info = decodeLock(body);
  say({ info, same: info !== undefined && Buffer.from(encodeLock(info)).equals(Buffer.from(body)) });
}
"""


def node_env(root: str, client, **env: str) -> dict:
    extra = {}
    if client is not None:
        extra = {**AWS_ENV, "AWS_ENDPOINT_URL_S3": client.meta.endpoint_url}
    return {**os.environ, **extra, "LAKE": root, **env}


def node_args() -> list[str]:
    script = NODE_SCRIPT.replace("CORE/", CORE_SRC.as_uri() + "/")
    return [str(NODE), "--input-type=module", "--no-warnings", "-e", script]


def run_node(root: str, client, mode: str, **env: str) -> dict:
    done = subprocess.run(
        node_args(), env=node_env(root, client, MODE=mode, **env), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_typescript_waits_on_and_names_a_python_holder(lake):
    root, client = lake
    with acquire_lake_lock(root, "transform of 2020-07-02", s3_client=client) as lock:
        answer = run_node(root, client, "wait", WAIT_MS="300")
        assert answer["code"] == "Locked"
        # The TypeScript error keeps what to do apart (its remedy); together they are Python's message.
        assert f"{answer['message']}: {answer['remedy']}" == (
            f"lake locked by transform of 2020-07-02 on host {HOST} (pid {os.getpid()}) since "
            f"{lock.info['acquired_at']}; waited 0.3 s: wait for it to finish and re-run, or raise the lock wait; "
            f"a crashed holder's lock is taken over after {lock.info['expires_at']}"
        )
        assert answer["waited"] == [lock.info]
        # The TypeScript side reads the Python side's bytes and writes back the same ones.
        assert run_node(root, client, "reencode") == {"info": lock.info, "same": True}
        lock.assert_held()


def test_typescript_gets_the_lock_a_python_holder_releases_while_it_waits(lake):
    root, client = lake
    lock = acquire_lake_lock(root, "transform of 2020-07-02", s3_client=client)
    waiter = subprocess.Popen(
        node_args(), env=node_env(root, client, MODE="wait", WAIT_MS="20000"), stdout=subprocess.PIPE, text=True
    )
    try:
        assert json.loads(waiter.stdout.readline()) == {"waiting": lock.info}
        lock.release()
        answer = json.loads(waiter.stdout.readline())
        assert waiter.wait(30) == 0
    finally:
        waiter.kill()
        waiter.wait()
    assert answer["acquired"]["owner"] == "extract of 2020-07-01"
    assert read_lock(root, client) is None  # the Node side released it


def test_python_waits_on_and_names_a_typescript_holder_then_gets_it(lake):
    root, client = lake
    holder = subprocess.Popen(
        node_args(), env=node_env(root, client, MODE="hold"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(holder.stdout.readline())
        assert read_lock(root, client).decode() == json.dumps(info, separators=(",", ":")) + "\n"
        with pytest.raises(LakeLockedError) as raised:
            acquire_lake_lock(root, "transform of 2020-07-02", wait_s=0.3, s3_client=client, **QUICK)
        assert str(raised.value) == (
            f"lake locked by extract of 2020-07-01 on host {HOST} (pid {holder.pid}) since {info['acquired_at']}; "
            "waited 0.3 s: wait for it to finish and re-run, or raise the lock wait; "
            f"a crashed holder's lock is taken over after {info['expires_at']}"
        )
        holder.stdin.close()  # the Node side releases on end of input
        with acquire_lake_lock(root, "transform of 2020-07-02", wait_s=20, s3_client=client, **QUICK) as lock:
            lock.assert_held()
        assert json.loads(holder.stdout.readline()) == "released"
    finally:
        holder.kill()
        holder.wait()


def test_python_takes_over_the_lock_of_a_crashed_typescript_process(lake):
    root, client = lake
    crashed = run_node(root, client, "crash")
    assert decode_lock(read_lock(root, client)) == crashed
    with acquire_lake_lock(root, "transform of 2020-07-02", wait_s=0, s3_client=client) as lock:
        assert lock.info["token"] != crashed["token"]
        lock.assert_held()


def test_typescript_takes_over_an_expired_python_lock(lake):
    root, client = lake
    past = datetime.now(UTC) - timedelta(minutes=10)
    old = acquire_lake_lock(root, "transform of 2020-07-02", s3_client=client, host="box", now=lambda: past)
    answer = run_node(root, client, "wait", WAIT_MS="0", KEEP="1")
    assert answer["acquired"]["owner"] == "extract of 2020-07-01"
    with pytest.raises(LakeLockedError, match=r"^the lake lock was lost to extract of 2020-07-01 on host "):
        old.assert_held()
    old.release()  # must not delete the Node side's lock
    assert decode_lock(read_lock(root, client)) == answer["acquired"]
