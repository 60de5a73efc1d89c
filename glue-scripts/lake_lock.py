"""The lake lock (`_lake.lock`, docs/LAKE-INTEGRITY.md) for the Glue job: the protocol, bytes and messages of
packages/core/src/lake/lock.ts, so either side waits on, names and takes over the other's lock.

    with acquire_lake_lock("s3://bucket/prefix", "transform of 2020-07-02") as lock:
        ...
        lock.assert_held()  # before publishing
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

LOCK_KEY = "_lake.lock"


class LakeLockedError(Exception):
    """The lake lock is held by someone else, or was lost while we held it."""


# A store answers the four conditional operations the lock needs; an etag names one version of the file.


class _FolderStore:
    """A folder lake: link() is the atomic create-if-absent; the etag is a hash of the content."""

    def __init__(self, root: Path):
        self.path = root / LOCK_KEY

    def _tmp(self) -> Path:
        # Temporary names start with "." so readers globbing the lake never see them.
        return self.path.parent / f".{uuid.uuid4()}.tmp"

    def create_if_absent(self, body: bytes) -> str | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp()
        try:
            tmp.write_bytes(body)
            os.link(tmp, self.path)
            return _hash(body)
        except FileExistsError:
            return None
        finally:
            tmp.unlink(missing_ok=True)

    def get(self) -> tuple[bytes, str] | None:
        try:
            body = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return body, _hash(body)

    def replace_if_match(self, body: bytes, etag: str) -> str | None:
        # A folder has no compare-and-swap: check, then rename. Only the holder replaces its own
        # lock, and only before its lease runs out, so no one else writes it meanwhile.
        current = self.get()
        if current is None or current[1] != etag:
            return None
        tmp = self._tmp()
        try:
            tmp.write_bytes(body)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        return _hash(body)

    def delete_if_match(self, etag: str) -> bool:
        # Deleters take turns through a guard file created exclusively (the TypeScript side uses the
        # same one): two takers of one stale lock can then never both remove a version.
        guard = self.path.with_name(f".{self.path.name}.guard")
        if not _take_guard(guard):
            return False
        try:
            try:
                body = self.path.read_bytes()
            except FileNotFoundError:
                return False
            if _hash(body) != etag:
                return False
            self.path.unlink(missing_ok=True)
            return True
        finally:
            guard.unlink(missing_ok=True)


# A guard is held for one read and one unlink; one older than this was left by a crashed process.
STALE_GUARD_S = 10.0


def _take_guard(guard: Path) -> bool:
    """Creates `guard` exclusively; False while another process holds it."""
    try:
        fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            age = time.time() - guard.stat().st_mtime
        except FileNotFoundError:
            return False
        if age < STALE_GUARD_S:
            return False
        guard.unlink(missing_ok=True)
        return _take_guard(guard)
    with os.fdopen(fd, "w") as file:
        file.write(f"{os.getpid()}\n")
    return True


class _S3Store:
    """An S3 lake: PutObject If-None-Match / If-Match and DeleteObject If-Match; the etag is S3's ETag."""

    def __init__(self, client: Any, bucket: str, prefix: str):
        self.client = client
        self.bucket = bucket
        self.key = f"{prefix}/{LOCK_KEY}" if prefix else LOCK_KEY

    def _put(self, body: bytes, **condition: str) -> str | None:
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body, ContentType="application/octet-stream", **condition
            )
        except Exception as error:
            if _condition_failed(error) or ("IfMatch" in condition and _gone(error)):
                return None
            raise
        return response["ETag"]

    def create_if_absent(self, body: bytes) -> str | None:
        return self._put(body, IfNoneMatch="*")

    def get(self) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except Exception as error:
            if _gone(error):
                return None
            raise
        return response["Body"].read(), response["ETag"]

    def replace_if_match(self, body: bytes, etag: str) -> str | None:
        return self._put(body, IfMatch=etag)

    def delete_if_match(self, etag: str) -> bool:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=etag)
            return True
        except Exception as error:
            if _condition_failed(error) or _gone(error):
                return False
            if _error_code(error) != "NotImplemented" and _status(error) != 501:
                raise
        # A store without conditional deletes: compare, then delete (not atomic, but the object is
        # one that only its holder deletes).
        current = self.get()
        if current is None or current[1].strip('"') != etag.strip('"'):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.key)
        return True


# botocore's ClientError carries S3's answer in .response; anything without one is not an S3 answer.
def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(response, dict) else None


def _condition_failed(error: Exception) -> bool:
    """S3's answers that a condition does not hold: 412, or 409 when a conditional write on the key is in flight."""
    return _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(error) in (412, 409)


def _gone(error: Exception) -> bool:
    """The key is gone (an If-Match on a missing key is answered 404 NoSuchKey); a missing bucket is not this."""
    code = _error_code(error)
    return code == "NoSuchKey" or (_status(error) == 404 and code != "NoSuchBucket")


def _hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _store_for(lake_root: str, s3_client: Any) -> _FolderStore | _S3Store:
    parsed = urlparse(lake_root)
    if parsed.scheme == "s3":
        if s3_client is None:
            import boto3  # on Glue and in the test virtualenv; a folder lake does not need it

            s3_client = boto3.client("s3")
        return _S3Store(s3_client, parsed.netloc, parsed.path.strip("/"))
    if parsed.scheme == "file":
        return _FolderStore(Path(unquote(parsed.path)))
    if parsed.scheme == "":
        return _FolderStore(Path(lake_root).resolve())
    raise ValueError(
        f"{lake_root}: {parsed.scheme}:// lakes are not supported: use a folder path or s3://bucket[/prefix]"
    )


def _iso(at: datetime) -> str:
    """The form JavaScript's Date.toISOString() writes: UTC, milliseconds, Z."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{at.microsecond // 1000:03d}Z"


def encode_lock(info: dict) -> bytes:
    return (json.dumps(info, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def decode_lock(body: bytes) -> dict | None:
    """The lock in `body`, or None when it is not a version-1 lock (a lock no one can renew, so stale)."""
    try:
        lock = json.loads(body)
    except ValueError:
        return None
    fields = {"token": str, "owner": str, "host": str, "pid": int, "acquired_at": str, "expires_at": str}
    valid = (
        isinstance(lock, dict)
        and type(lock.get("version")) is int
        and lock["version"] == 1
        and all(type(lock.get(name)) is kind for name, kind in fields.items())
    )
    return lock if valid else None


def _describe(holder: dict) -> str:
    return f"{holder['owner']} on host {holder['host']} (pid {holder['pid']}) since {holder['acquired_at']}"


def _seconds(s: float) -> str:
    return f"{s:.1f}".removesuffix(".0")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _is_stale(holder: dict, at: datetime, host: str) -> bool:
    """Stale: its lease ran out, or its holder is a process of this host that no longer exists."""
    try:
        expires = datetime.fromisoformat(holder["expires_at"].replace("Z", "+00:00"))
    except ValueError:
        return True  # an unparseable time cannot be renewed either
    if expires < at:
        return True
    return holder["host"] == host and not _process_exists(holder["pid"])


class LakeLock:
    """A lock we hold: renews itself every lease/4 on a daemon thread until released or lost."""

    def __init__(self, store: _FolderStore | _S3Store, info: dict, etag: str, lease_s: float, now: Callable):
        self.info = info
        self._store = store
        self._etag = etag
        self._lease_s = lease_s
        self._now = now
        self._failure: LakeLockedError | None = None
        self._released = False
        self._mutex = threading.Lock()
        self._timer: threading.Timer | None = None
        self._schedule()

    def _schedule(self) -> None:
        with self._mutex:
            if self._released:
                return
            self._timer = threading.Timer(self._lease_s / 4, self._renew)
            self._timer.daemon = True  # a forgotten lock must not keep the job alive; its lease runs out instead
            self._timer.start()

    def _renew(self) -> None:
        renewed = {**self.info, "expires_at": _iso(self._now() + timedelta(seconds=self._lease_s))}
        try:
            etag = self._store.replace_if_match(encode_lock(renewed), self._etag)
        except Exception as error:
            # Renewal stops here: the lease may run out, so the holder must not publish any more.
            self._failure = LakeLockedError(f"the lake lock could not be renewed ({error}): stop before publishing")
            return
        if etag is None:
            try:
                current = self._store.get()
            except Exception:
                current = None  # the error names no holder then, but still stops the publish
            self._failure = _lost_error(current, self.info["token"])
            return
        self.info, self._etag = renewed, etag
        self._schedule()

    def assert_held(self) -> None:
        """Raises LakeLockedError unless the lock is still ours: call it before publishing."""
        if self._released:
            raise LakeLockedError("the lake lock was already released")
        if self._failure is not None:
            raise self._failure
        current = self._store.get()
        holder = decode_lock(current[0]) if current else None
        if holder is None or holder["token"] != self.info["token"]:
            raise _lost_error(current, self.info["token"])

    def release(self) -> None:
        """Stops renewing and deletes the lock if it is still ours; calling it again does nothing."""
        with self._mutex:
            if self._released:
                return
            self._released = True
            timer = self._timer
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()  # a renewal in flight: its etag is the one to delete
        if self._failure is None:
            self._store.delete_if_match(self._etag)

    def __enter__(self) -> LakeLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _lost_error(current: tuple[bytes, str] | None, token: str) -> LakeLockedError:
    holder = decode_lock(current[0]) if current else None
    if current is None:
        to = ": the lock file was removed"
    elif holder is None:
        to = ": the lock file was overwritten"
    else:
        to = "" if holder["token"] == token else f" to {_describe(holder)}"
    return LakeLockedError(f"the lake lock was lost{to}: stop before publishing")


def acquire_lake_lock(
    lake_root: str,
    owner: str,
    wait_s: float = 60,
    lease_s: float = 120,
    s3_client: Any = None,
    *,
    now: Callable[[], datetime] | None = None,
    host: str | None = None,
    pid: int | None = None,
    poll_s: float = 0.25,
    on_wait: Callable[[dict], None] | None = None,
) -> LakeLock:
    """Takes the lock of the lake at `lake_root` (a folder path, `file:///abs/path` or `s3://bucket/prefix`),
    waiting up to `wait_s` for a holder; raises LakeLockedError naming the holder when it does not finish in time.
    `now` (returning aware datetimes), `host` and `pid` default to the real clock, this host and this process."""
    store = _store_for(lake_root, s3_client)
    clock = now or (lambda: datetime.now(UTC))
    host = host or socket.gethostname()
    pid = os.getpid() if pid is None else pid
    token = str(uuid.uuid4())
    # The deadline runs on the real clock: a test clock moved into the future must not end the wait.
    deadline = time.monotonic() + wait_s
    waiting = False
    while True:
        at = clock()
        info = {
            "version": 1,
            "token": token,
            "owner": owner,
            "host": host,
            "pid": pid,
            "acquired_at": _iso(at),
            "expires_at": _iso(at + timedelta(seconds=lease_s)),
        }
        etag = store.create_if_absent(encode_lock(info))
        if etag is not None:
            return LakeLock(store, info, etag, lease_s, clock)
        current = store.get()
        if current is None:
            continue  # released between our create and read: try again now
        holder = decode_lock(current[0])
        # Our own create can be answered "exists" when a retried request follows one that landed.
        if holder is not None and holder["token"] == token:
            return LakeLock(store, holder, current[1], lease_s, clock)
        if holder is None or _is_stale(holder, clock(), host):
            # Whatever the answer, look again: either we removed it, or someone else changed it first.
            store.delete_if_match(current[1])
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise LakeLockedError(
                f"lake locked by {_describe(holder)}; waited {_seconds(wait_s)} s: wait for it to finish and re-run, "
                f"or raise the lock wait; a crashed holder's lock is taken over after {holder['expires_at']}"
            )
        if not waiting:
            waiting = True
            if on_wait is not None:
                on_wait(holder)
        time.sleep(min(left, poll_s * (0.5 + random.random())))
