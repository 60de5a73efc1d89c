"""Glue job (Glue 6.0, Spark 4.1): the B3 lake's raw files -> refined + aggregated, crash-safely.

    transform.py --raw_path <uri of raw/ingestion_date=D/stocks_data.parquet> --lake_root <uri of the lake>
                 [--lock_wait SECONDS] [--lake_lock take|held] [--phase_timings [true|false]]

Glue adds arguments of its own (--JOB_NAME, --TempDir, ...): unknown ones are ignored. The same file
runs locally with pyspark: `python transform.py --raw_path file:///... --lake_root file:///...`.

The transform rules are not in this file: they are the SQL files `sql/NN_<view>.sql`, the same ones
the local twin runs in DuckDB. The lake contract (one truth over every raw file, one writer, a
crash-safe publish) is docs/LAKE-INTEGRITY.md. A run:

    parse args -> read + validate the run's raw file (before touching the lake)
      -> take the lake lock (unless the caller holds it) and keep it to the end
      -> recovery: finish an interrupted publish (journal) or remove unpublished staging
      -> list every raw file, read _transform_state.json: raw_input, raw_all, raw_pending,
         raw_files (the ingestion date of each file of raw_all)
      -> run the SQL files in order, each result registered as a view; refined_history is read
         (only the candidate partitions) right before the first file that needs it;
         refined_rows and aggregated_rows are staged under <lake>/_transform_staging/<run id>/
      -> write _transform_journal.json (the commit point), then apply it: move the staged files
         in, delete the replaced ones and the emptied partitions, write the state, delete the
         journal and the staging folder
      -> print a JSON run summary on stdout

Nothing under refined/ or aggregated/ is touched before the journal is written, so bad input (or
any failure while computing) leaves the tables as they were; after it, any later run completes the
publish from the journal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

try:  # present on Glue only
    from awsglue.context import GlueContext
    from awsglue.job import Job
except ImportError:
    GlueContext = None
    Job = None


def tables_json_candidates() -> list[Path]:
    """Where the lake's table declarations (tables.json) are looked for, in order: the repository's
    copy (packages/core/src/lake), then next to this script or in the working directory, where
    Glue's --extra-files puts it."""
    here = Path(__file__).resolve().parent
    return [
        here.parent / "packages" / "core" / "src" / "lake" / "tables.json",
        here / "tables.json",
        Path.cwd() / "tables.json",
    ]


def load_tables() -> dict:
    """The three tables as declared once for every consumer (catalog, DuckDB, Trino, this job)."""
    for candidate in tables_json_candidates():
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    searched = ", ".join(str(c) for c in tables_json_candidates())
    raise FileNotFoundError(f"tables.json not found; looked in: {searched}. On Glue, list it in --extra-files.")


# Spark's type, and how the Parquet column is described in errors, for each declared (Glue) type.
SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "date": T.DateType(),
    "double": T.DoubleType(),
    "bigint": T.LongType(),
    "int": T.IntegerType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
}
PARQUET_TYPES = {
    "string": "BYTE_ARRAY STRING",
    "date": "INT32 DATE",
    "double": "DOUBLE",
    "bigint": "INT64",
    "int": "INT32",
    "boolean": "BOOLEAN",
    "timestamp": "INT64 TIMESTAMP with isAdjustedToUTC=true",
}


def spark_schema(table: dict, with_partition: bool = True) -> T.StructType:
    """A declared table as Spark reads it; the date partition column last, as the files' folders give it."""
    fields = [T.StructField(c["name"], SPARK_TYPES[c["type"]]) for c in table["columns"]]
    if with_partition and "datePartition" in table:
        fields.append(T.StructField(table["datePartition"], T.DateType()))
    return T.StructType(fields)


TABLES = load_tables()

# The raw file: column -> (Spark type, what the Parquet column must be).
RAW_COLUMNS: dict[str, tuple[T.DataType, str]] = {
    c["name"]: (SPARK_TYPES[c["type"]], PARQUET_TYPES[c["type"]]) for c in TABLES["raw_stocks"]["columns"]
}
RAW_SCHEMA = spark_schema(TABLES["raw_stocks"], with_partition=False)

# refined: the seed's Athena columns, then ours; data_pregao is the partition column.
REFINED_SCHEMA = spark_schema(TABLES["refined_stocks"])
PARTITION_COLUMN = TABLES["refined_stocks"]["datePartition"]
PARTITION_FOLDER = re.compile(rf"^{PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})$")

AGGREGATED_SCHEMA = spark_schema(TABLES["aggregated_stocks"])

# The SQL contract (docs/LAKE-INTEGRITY.md): every NN_<view>.sql runs in file-name order and its
# result is registered as <view>; these are the views this script reads or needs.
SQL_FILE_PATTERN = re.compile(r"^\d\d_([a-z0-9_]+)\.sql$")
REQUIRED_VIEWS = (
    "raw_classified",
    "raw_counts",
    "refined_all",
    "candidate_partitions",
    "partitions_written",
    "refined_rows",
    "aggregated_rows",
    "run_totals",
)
EMPTY_HISTORY_SQL = "empty_refined_history.sql"
# Views later files read again are computed once and registered as their result, so that later
# queries see a plain scan instead of the view's plan: the large ones written to the run's staging
# folder and read back, the small ones (a list of dates) collected. (Spark 4.1.1 mixes up the CTEs
# of a view reached twice in one query, e.g. `answers` of raw_classified resolved to another file's
# `pending_keys`, failing with MISSING_ATTRIBUTES.RESOLVED_ATTRIBUTE_MISSING_FROM_INPUT or
# CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE; a scan has no CTE left to mix up.)
MATERIALIZED_VIEWS = ("raw_classified", "refined_all")
COLLECTED_VIEWS = ("candidate_partitions", "partitions_written")

# Files at the lake root; the "_" prefix makes Spark, Hive, Athena and DuckDB globs skip them.
STAGING_FOLDER = "_transform_staging"
JOURNAL_FILE = "_transform_journal.json"
STATE_FILE = "_transform_state.json"
RAW_GLOB = "raw/ingestion_date=*/stocks_data.parquet"
INGESTION_DATE = re.compile(r"ingestion_date(?:=|%3D)(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


class TransformInputError(Exception):
    """The input cannot be transformed; nothing was written."""


class PublishError(Exception):
    """A journal cannot be applied (its staged files are gone); the lake is left as it is."""


# ------------------------------------------------------------------------------------ fault points
#
# Crash tests stop the job at a named point instead of sleeping and killing it. The variable and
# the names are shared with the TypeScript side (packages/core/src/lake/fault-points.ts):
#   B3_FAULT=<point>      the first time <point> is reached the process kills itself (SIGKILL,
#                         like kill -9: no cleanup, no lock release, no finally blocks)
#   B3_FAULT=<point>:<n>  the n-th time instead
# B3_FAULT_MODE=raise (Python only) raises InjectedFault instead, so that tests can crash a run
# inside a shared SparkSession; it is a BaseException, which no cleanup path here catches.
#
# Points: stage:after-refined (refined staged, aggregated not), publish:before-journal,
# publish:after-journal, publish:step (after every move or delete of the publish),
# publish:after-state, publish:after-journal-removed.

FAULT_ENV = "B3_FAULT"
FAULT_MODE_ENV = "B3_FAULT_MODE"
fault_hits: dict[str, int] = {}  # point -> times reached in this process since the last reset


class InjectedFault(BaseException):
    """Raised at a fault point when B3_FAULT_MODE=raise."""


def fault_point(point: str) -> None:
    fault_hits[point] = fault_hits.get(point, 0) + 1
    wanted = os.environ.get(FAULT_ENV)
    if not wanted or not wanted.startswith(point):
        return
    rest = wanted[len(point) :]
    if rest and not re.fullmatch(r":\d+", rest):
        return
    if fault_hits[point] != (int(rest[1:]) if rest else 1):
        return
    if os.environ.get(FAULT_MODE_ENV) == "raise":
        raise InjectedFault(wanted)
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------------------------- phase timings
#
# Opt-in (--phase_timings, or B3_PHASE_TIMINGS=1): the run's wall-clock time split into phases,
# written to stderr as one JSON line {"phase_timings": {...}} when the job ends. The bench prices a
# daily Glue run from it (bench/glue). A step nested in another is counted once, in its own phase:
#   startup  process start -> SparkSession ready (Python and pyspark imports, the JVM, the session)
#   read     the eager reads: checking the run's raw file, the lake lock and recovery, listing the
#            raw files and the state, checking pending raw files, listing the history partitions
#   compute  the SQL files, with the lazy reads they trigger (every raw file, the history rows),
#            the views written to staging and read back, and the run summary
#   write    staging refined_rows and aggregated_rows, the journal and the publish
# "other" is what no step covers (total minus the four); "total" is process start -> job done.

PHASE_TIMINGS_ENV = "B3_PHASE_TIMINGS"
PHASES = ("startup", "read", "compute", "write")


def process_start_time() -> float:
    """When this process started, in epoch seconds: from /proc on Linux (Glue's driver runs on
    Linux), to the clock tick; elsewhere, now."""
    try:
        stat = Path("/proc/self/stat").read_text()
        # Field 22 is the start time in clock ticks since boot; the command name (field 2) may hold
        # spaces, so fields are counted from the last ")".
        started_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - (uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()


class PhaseTimer:
    """Wall-clock seconds of a run's steps, each in one of PHASES; does nothing when disabled."""

    def __init__(self, enabled: bool = False, origin: float | None = None):
        self.enabled = enabled
        self.origin = time.time() if origin is None else origin
        self.steps: list[dict] = []  # {"phase", "step", "seconds"} in the order the steps ended
        self._open: list[list[float]] = []  # per open step: [started, seconds of nested steps]

    @contextmanager
    def step(self, phase: str, name: str) -> Iterator[None]:
        """Times the block as `name` in `phase`, minus the steps timed inside it."""
        if not self.enabled:
            yield
            return
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)}")
        self._open.append([time.time(), 0.0])
        try:
            yield
        finally:
            started, nested = self._open.pop()
            elapsed = time.time() - started
            if self._open:
                self._open[-1][1] += elapsed
            self.steps.append({"phase": phase, "step": name, "seconds": elapsed - nested})

    def since_start(self, phase: str, name: str) -> None:
        """Records the time from process start to now as one step (the start-up)."""
        if self.enabled:
            self.steps.append({"phase": phase, "step": name, "seconds": time.time() - self.origin})

    def report(self) -> dict:
        total = time.time() - self.origin
        phases = {phase: sum(s["seconds"] for s in self.steps if s["phase"] == phase) for phase in PHASES}
        phases["other"] = total - sum(phases.values())
        phases["total"] = total
        rounded = {name: round(seconds, 3) for name, seconds in phases.items()}
        steps = [{**s, "seconds": round(s["seconds"], 3)} for s in self.steps]
        return {"phase_timings": {"unit": "s", "phases": rounded, "steps": steps}}

    def emit(self) -> None:
        """The report as one JSON line on stderr (stdout carries the run summary only)."""
        if self.enabled:
            print(json.dumps(self.report()), file=sys.stderr, flush=True)


NO_TIMER = PhaseTimer(enabled=False)


def _flag(value: str) -> bool:
    """A switch given as a value, as Glue passes every job argument: true/false, 1/0, yes/no, on/off."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


# --------------------------------------------------------------------------------------- arguments


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="transform.py",
        description="B3 raw quotes -> refined + aggregated, under the lake lock (docs/LAKE-INTEGRITY.md).",
        allow_abbrev=False,
    )
    parser.add_argument("--raw_path", required=True, help="URI of the run's raw Parquet file")
    parser.add_argument("--lake_root", required=True, help="URI of the lake root (holds raw/, refined/, aggregated/)")
    parser.add_argument(
        "--lock_wait",
        type=float,
        default=60.0,
        help="seconds to wait for a lake lock another writer holds (default 60)",
    )
    parser.add_argument(
        "--lake_lock",
        choices=("take", "held"),
        default="take",
        help="take: acquire the lake lock (default); held: the caller already holds it for this run",
    )
    parser.add_argument(
        "--phase_timings",
        "--phase-timings",
        dest="phase_timings",
        type=_flag,
        nargs="?",
        const=True,
        default=None,
        help=f"write the run's phase durations to stderr as one JSON line (default: ${PHASE_TIMINGS_ENV} == 1)",
    )
    parser.add_argument("--JOB_NAME", default="transform_job", help=argparse.SUPPRESS)  # set by Glue
    args, _glue_arguments = parser.parse_known_args(argv)
    if args.phase_timings is None:
        args.phase_timings = os.environ.get(PHASE_TIMINGS_ENV, "").strip().lower() in ("1", "true")
    args.lake_root = args.lake_root.rstrip("/")
    if args.lock_wait < 0:
        parser.error("--lock_wait must be >= 0")
    return args


# ----------------------------------------------------------------------------------------- session


def configure(spark: SparkSession) -> None:
    """Session settings the job depends on, set the same way on Glue and locally."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "true")  # Spark 4's default; fail on bad casts, never NULL them
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")  # never INT96
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop.set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")  # no _SUCCESS in the lake
    # No .crc side files in a local lake (the local FileSystem writes them by default).
    local_fs = spark._jvm.org.apache.hadoop.fs.FileSystem.getLocal(hadoop)
    local_fs.setWriteChecksum(False)


def start_session(job_name: str) -> tuple[SparkSession, object | None]:
    """(spark, Glue job or None)."""
    if GlueContext is not None:
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        job = Job(glue_context)
        job.init(job_name, {"JOB_NAME": job_name})
        spark = glue_context.spark_session
    else:
        job = None
        spark = (
            SparkSession.builder.appName("b3-transform")
            .master("local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
    configure(spark)
    return spark, job


# ------------------------------------------------------------------------------------------ files


def _hadoop_path(spark: SparkSession, uri: str):
    """(FileSystem, Path) of a URI, through the same Hadoop layer Spark reads and writes with."""
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def _cause(error: BaseException) -> str:
    """What went wrong, in one line: the root cause of a JVM error, without the stack trace."""
    java = getattr(error, "java_exception", None)  # py4j's Py4JJavaError wraps Spark's exception chain
    if java is not None:
        while java.getCause() is not None:
            java = java.getCause()
        text = str(java.getMessage() or java.toString())
    else:
        text = str(error)
    lines = text.strip().splitlines()
    return lines[0][:500] if lines else type(error).__name__


class Lake:
    """The lake root through Hadoop's FileSystem API, so that the same steps run on file://, s3://
    and s3a:// alike. Paths are relative to the root ("refined/data_pregao=2020-07-01")."""

    def __init__(self, spark: SparkSession, root: str):
        self.root = root.rstrip("/")
        self._jvm = spark._jvm
        self.fs, self._root_path = _hadoop_path(spark, self.root)

    def path(self, relative: str):
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.root}/{relative}") if relative else self._root_path

    def uri(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(relative)))

    def is_dir(self, relative: str) -> bool:
        path = self.path(relative)
        return bool(self.fs.exists(path) and self.fs.getFileStatus(path).isDirectory())

    def children(self, relative: str) -> list[tuple[str, bool]]:
        """(name, is a folder) of what a folder holds, sorted; [] when it does not exist."""
        path = self.path(relative)
        if not self.fs.exists(path):
            return []
        return sorted((s.getPath().getName(), bool(s.isDirectory())) for s in self.fs.listStatus(path))

    def delete(self, relative: str) -> bool:
        """Deletes a file or a folder with everything in it; False when there was nothing."""
        path = self.path(relative)
        return bool(self.fs.exists(path) and self.fs.delete(path, True))

    def mkdirs(self, relative: str) -> None:
        self.fs.mkdirs(self.path(relative))

    def move(self, source: str, target: str) -> None:
        """Moves a file onto `target`, replacing a file of that name: one rename on a local disk
        (atomic, the old file replaced in the same step); on S3 a copy, then a delete of the source,
        and an existing target is deleted first (S3A renames only onto a free name)."""
        if self.fs.rename(self.path(source), self.path(target)):
            return
        if self.exists(target) and self.delete(target) and self.fs.rename(self.path(source), self.path(target)):
            return
        raise PublishError(f"could not move {self.uri(source)} to {self.uri(target)}")

    def read_text(self, relative: str) -> str | None:
        path = self.path(relative)
        if not self.fs.exists(path):
            return None
        stream = self.fs.open(path)
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)).decode("utf-8")
        finally:
            stream.close()

    def write_text(self, relative: str, text: str) -> None:
        """Writes a file whole or not at all: a temporary file in the staging folder (which recovery
        cleans), then one rename (on S3 one copy, itself atomic)."""
        temporary = f"{STAGING_FOLDER}/.{uuid.uuid4().hex}.tmp"
        stream = self.fs.create(self.path(temporary), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        if not self.fs.rename(self.path(temporary), self.path(relative)):
            # S3 refuses to rename onto an existing object; the journal covers the moment between
            # the delete and the rename (the state is written again by recovery).
            self.delete(relative)
            self.move(temporary, relative)

    def remove_staging_folder_if_empty(self) -> None:
        if self.is_dir(STAGING_FOLDER) and not self.children(STAGING_FOLDER):
            self.fs.delete(self.path(STAGING_FOLDER), False)


def _json_text(value: dict) -> str:
    """JSON as the TypeScript side writes it (JSON.stringify, then a newline), so either side can
    read, and compare, what the other wrote."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n"


def sql_dir_candidates() -> list[Path]:
    """Where the SQL files are looked for, in order.

    Locally (and when Glue keeps the layout) they are in sql/ next to this script. Glue's
    --extra-files copies each listed S3 object, flattened, into the working directory of the
    script on the driver, so the script's own folder and the working directory come next.
    """
    here = Path(__file__).resolve().parent
    return [here / "sql", here, Path.cwd() / "sql", Path.cwd()]


def load_sql(directory: Path | None = None) -> tuple[list[tuple[str, str]], str]:
    """([(view, SELECT text)] in file-name order, the empty refined history SELECT)."""
    for candidate in [directory] if directory else sql_dir_candidates():
        files = sorted(p for p in candidate.glob("*.sql") if SQL_FILE_PATTERN.match(p.name))
        views = [SQL_FILE_PATTERN.match(p.name).group(1) for p in files]
        if set(REQUIRED_VIEWS) <= set(views) and (candidate / EMPTY_HISTORY_SQL).is_file():
            statements = [(view, p.read_text(encoding="utf-8")) for view, p in zip(views, files, strict=True)]
            return statements, (candidate / EMPTY_HISTORY_SQL).read_text(encoding="utf-8")
    searched = ", ".join(str(c) for c in ([directory] if directory else sql_dir_candidates()))
    raise FileNotFoundError(
        f"transform SQL files not found (need NN_<view>.sql for {', '.join(REQUIRED_VIEWS)} and "
        f"{EMPTY_HISTORY_SQL}); looked in: {searched}. On Glue, list them in --extra-files."
    )


# ------------------------------------------------------------------------------------------ input


def check_raw_schema(schema: T.StructType, raw_path: str) -> None:
    actual = {field.name: field.dataType for field in schema.fields}
    problems = []
    for name, (expected, parquet) in RAW_COLUMNS.items():
        if name not in actual:
            problems.append(f"column '{name}' is missing (expected {expected.simpleString()}, Parquet {parquet})")
        elif actual[name] != expected:
            found, wanted = actual[name].simpleString(), expected.simpleString()
            problems.append(f"column '{name}' is {found}, expected {wanted} (Parquet {parquet})")
    if problems:
        raise TransformInputError(f"raw file {raw_path} does not have the raw schema: " + "; ".join(problems))


def resolve_raw_path(spark: SparkSession, raw_path: str) -> str:
    """The raw URI as given or, when only its decoded form exists, decoded: a key copied from an
    S3 event notification arrives URL-encoded (= as %3D)."""
    fs, path = _hadoop_path(spark, raw_path)
    if not fs.exists(path) and unquote(raw_path) != raw_path:
        decoded = unquote(raw_path)
        fs, path = _hadoop_path(spark, decoded)
        if fs.exists(path):
            return decoded
    return raw_path


def read_raw(spark: SparkSession, raw_path: str) -> DataFrame:
    """The raw file, checked: it exists, is Parquet, has the raw schema, and holds rows."""
    raw_path = resolve_raw_path(spark, raw_path)
    fs, path = _hadoop_path(spark, raw_path)
    if not fs.exists(path):
        raise TransformInputError(f"raw file not found: {raw_path}")
    status = fs.getFileStatus(path)
    if status.isFile() and status.getLen() == 0:
        raise TransformInputError(f"raw file {raw_path} is empty (0 bytes), not a Parquet file")
    try:
        raw = spark.read.parquet(raw_path)
    except Exception as error:  # any engine error here means the file is unreadable
        raise TransformInputError(f"cannot read raw file {raw_path} as Parquet: {_cause(error)}") from error
    check_raw_schema(raw.schema, raw_path)
    raw = raw.select(*RAW_COLUMNS)
    try:
        # Decodes every column of every page, so a corrupt page fails here rather than mid-write.
        counts = raw.agg(F.count(F.lit(1)).alias("rows"), *[F.count(c) for c in RAW_COLUMNS]).first()
    except Exception as error:
        raise TransformInputError(f"cannot read raw file {raw_path} as Parquet: {_cause(error)}") from error
    if counts["rows"] == 0:
        raise TransformInputError(f"raw file {raw_path} has no rows")
    return raw


class RawFile:
    """A raw file of the lake: its key (lake-relative path), URI and identity (`<size>:<mtime ms>`)."""

    def __init__(self, key: str, uri: str, identity: str):
        self.key, self.uri, self.identity = key, uri, identity

    def __repr__(self) -> str:
        return f"RawFile({self.key!r}, {self.identity!r})"


def list_raw_files(lake: Lake) -> list[RawFile]:
    """Every raw/ingestion_date=*/stocks_data.parquet of the lake, sorted by key."""
    statuses = lake.fs.globStatus(lake.path(RAW_GLOB)) or []
    files = []
    for status in statuses:
        if not status.isFile():
            continue
        path = status.getPath()
        key = f"raw/{path.getParent().getName()}/{path.getName()}"
        # Hadoop's FileStatus: the byte length and the modification time in whole milliseconds,
        # the identity the TypeScript side computes from stat (size, floor(mtimeMs)).
        files.append(RawFile(key, lake.uri(key), f"{status.getLen()}:{status.getModificationTime()}"))
    return sorted(files, key=lambda f: f.key)


def read_state(lake: Lake) -> dict:
    """The content of _transform_state.json: which raw files (key -> identity) refined reflects.

    An unreadable state only costs time, never correctness: every raw file is then pending, and
    applying every file again gives the same tables.
    """
    text = lake.read_text(STATE_FILE)
    if text is None:
        return {"version": 1, "applied": {}}
    try:
        state = json.loads(text)
        applied = state["applied"]
        if not isinstance(applied, dict):
            raise TypeError("applied is not an object")
    except (ValueError, KeyError, TypeError) as error:
        print(f"recovery: {lake.uri(STATE_FILE)} is not readable ({error}): every raw file is applied", file=sys.stderr)
        return {"version": 1, "applied": {}}
    if state.get("version") != 1:
        raise TransformInputError(
            f"{lake.uri(STATE_FILE)} has version {state.get('version')!r}, this job knows version 1"
        )
    return {"version": 1, "applied": {str(k): str(v) for k, v in applied.items()}}


def _footer_schema(spark: SparkSession, uri: str) -> T.StructType:
    """The Spark schema of a Parquet file from its footer alone (no Spark job)."""
    jvm = spark._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    input_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(jvm.org.apache.hadoop.fs.Path(uri), conf)
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(input_file)
    try:
        message = reader.getFooter().getFileMetaData().getSchema()
    finally:
        reader.close()
    converter = jvm.org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter(
        spark._jsparkSession.sessionState().conf()
    )
    return T.StructType.fromJson(json.loads(converter.convert(message).json()))


def _read_raw_files(spark: SparkSession, uris: list[str]) -> DataFrame:
    """The rows of raw files, read with the raw schema (no inference, no partition columns)."""
    if not uris:
        return spark.createDataFrame([], RAW_SCHEMA)
    return spark.read.schema(RAW_SCHEMA).parquet(*uris).select(*RAW_COLUMNS)


def raw_files_frame(spark: SparkSession, uris: list[str]) -> DataFrame:
    """raw_files: one row per raw file, the ingestion date its folder names (NULL when none)."""
    dates = []
    for file_uri in uris:
        match = INGESTION_DATE.search(file_uri)
        dates.append((date.fromisoformat(match.group(1)) if match else None,))
    return spark.createDataFrame(dates, T.StructType([T.StructField("ingestion_date", T.DateType())]))


def check_raw_files(spark: SparkSession, files: list[RawFile]) -> None:
    """Every file is a readable Parquet file with the raw schema, or TransformInputError names it."""
    for file in files:
        fs, path = _hadoop_path(spark, file.uri)
        if fs.getFileStatus(path).getLen() == 0:
            raise TransformInputError(f"raw file {file.uri} is empty (0 bytes), not a Parquet file")
        try:
            schema = _footer_schema(spark, file.uri)
        except Exception as error:
            raise TransformInputError(f"cannot read raw file {file.uri} as Parquet: {_cause(error)}") from error
        check_raw_schema(schema, file.uri)
    if not files:
        return

    def decode(uris: list[str]) -> None:
        # Decodes every column of every page (a corrupt page fails here, before anything is written).
        _read_raw_files(spark, uris).agg(*[F.count(c) for c in RAW_COLUMNS]).first()

    try:
        decode([f.uri for f in files])  # one job for all of them
    except Exception as error:
        for file in files:  # find the culprit only when there is one
            try:
                decode([file.uri])
            except Exception as file_error:
                raise TransformInputError(
                    f"cannot read raw file {file.uri} as Parquet: {_cause(file_error)}"
                ) from file_error
        raise TransformInputError(f"cannot read the raw files: {_cause(error)}") from error


def read_refined_history(spark: SparkSession, lake: Lake, dates: list[str], empty_history_sql: str) -> DataFrame:
    """The refined partitions of `dates` as the lake holds them; data_pregao comes from the folder
    names, typed DATE. Only those folders are listed and read: a run compares nothing else, and
    reading the whole table would grow with every year of history.

    Every *.parquet file of a partition folder is read, whoever wrote it (Spark's part-* files or
    DuckDB's data_N.parquet). An explicit schema means no inference from folder names or files.
    """
    wanted = {f"data_pregao={d}" for d in dates}
    folders = [name for name, is_dir in lake.children("refined") if is_dir and name in wanted]
    if not folders:
        return spark.sql(empty_history_sql)
    return (
        spark.read.schema(REFINED_SCHEMA)
        .option("basePath", lake.uri("refined"))
        .option("pathGlobFilter", "*.parquet")
        .parquet(*[lake.uri(f"refined/{name}") for name in folders])
        .where(F.col(PARTITION_COLUMN).isin(*[F.lit(d).cast("date") for d in dates]))
    )


# -------------------------------------------------------------------------------------- transform


def _reads(text: str, view: str) -> bool:
    """Whether a SQL file reads a view (comments, which name views freely, left out)."""
    return re.search(rf"\b{view}\b", re.sub(r"--[^\n]*", "", text)) is not None


def transform(
    spark: SparkSession,
    inputs: dict[str, DataFrame],
    statements: list[tuple[str, str]],
    materialize: Callable[[str, DataFrame], DataFrame] | None = None,
    late_inputs: dict[str, Callable[[], DataFrame]] | None = None,
) -> dict[str, DataFrame]:
    """Runs the SQL files over the input views; returns every view by name.

    `inputs` are registered first. Each `late_inputs[name]()` is called and registered right
    before the first file that reads `name` (it may read the views registered so far). Each file's
    result is registered as its view before the next file runs; `materialize(view, frame)` may
    replace a result by an equivalent one (the job writes some to staging and reads them back); without it every
    view stays lazy.
    """
    for name, frame in inputs.items():
        frame.createOrReplaceTempView(name)
    pending_inputs = dict(late_inputs or {})
    views: dict[str, DataFrame] = {}
    for view, text in statements:
        for name in [n for n in pending_inputs if _reads(text, n)]:
            pending_inputs.pop(name)().createOrReplaceTempView(name)
        frame = spark.sql(text)
        if materialize is not None:
            frame = materialize(view, frame)
        frame.createOrReplaceTempView(view)
        views[view] = frame
    return views


def summarize_raw(raw_counts: list) -> dict:
    """Run summary, raw side: rows, sessions per ticker, drops per reason (from raw_counts)."""
    dropped: dict[str, int] = {}
    sessions_per_ticker: dict[str, int] = {}
    for row in raw_counts:
        if row["drop_reason"] is None:
            sessions_per_ticker[row["nome_acao"]] = row["row_count"]
        else:
            dropped[row["drop_reason"]] = dropped.get(row["drop_reason"], 0) + row["row_count"]
    return {
        "raw_rows": sum(row["row_count"] for row in raw_counts),
        "sessions": sum(sessions_per_ticker.values()),
        "sessions_per_ticker": sessions_per_ticker,
        "dropped": dict(sorted(dropped.items())),
    }


def summarize_totals(run_totals: DataFrame) -> dict:
    """Run summary, table side: partitions written, rows, newest session (from run_totals)."""
    totals = run_totals.first().asDict()
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in totals.items()}


# ---------------------------------------------------------------------------------------- publish


def with_schema(spark: SparkSession, frame: DataFrame, schema: T.StructType) -> DataFrame:
    """The same rows typed with `schema` (same column types; nullability may differ), without a
    Spark job: the frame's rows are handed to the JVM's createDataFrame as they are."""
    jschema = spark._jsparkSession.parseDataType(schema.json())
    return DataFrame(spark._jsparkSession.createDataFrame(frame._jdf.toJavaRDD(), jschema), spark)


def _parquet_files(lake: Lake, folder: str) -> list[str]:
    return [name for name, is_dir in lake.children(folder) if not is_dir and name.endswith(".parquet")]


def stage(spark: SparkSession, lake: Lake, staging: str, view: str, frame: DataFrame) -> DataFrame:
    """Writes refined_rows (one folder per partition, one file per folder) or aggregated_rows (one
    file) under the run's staging folder, and returns them read back from there: computed once, and
    what follows (later files, the publish) no longer depends on the files the publish replaces,
    nor on the plans behind these views (see MATERIALIZED_VIEWS)."""
    if view == "refined_rows":
        target = f"{staging}/refined"
        (
            frame.repartition(PARTITION_COLUMN)  # one task, hence one file, per partition
            .sortWithinPartitions(PARTITION_COLUMN, "nome_acao")
            .write.partitionBy(PARTITION_COLUMN)
            .parquet(lake.uri(target))
        )
        fault_point("stage:after-refined")
        if not any(is_dir for _, is_dir in lake.children(target)):
            return spark.createDataFrame([], REFINED_SCHEMA)  # no partition with a row
        return spark.read.schema(REFINED_SCHEMA).parquet(lake.uri(target))
    # aggregated_rows' counts are NOT NULL in Spark's eyes, which would make them REQUIRED columns;
    # the table's files have every column OPTIONAL, as Athena's DDL and DuckDB's files have them.
    target = f"{staging}/aggregated"
    with_schema(spark, frame, AGGREGATED_SCHEMA).repartition(1).sortWithinPartitions(
        "nome_acao", "mes_referencia"
    ).write.parquet(lake.uri(target))
    return spark.read.schema(AGGREGATED_SCHEMA).parquet(lake.uri(target))


def build_journal(lake: Lake, run_id: str, staging: str, written: list[str], state: dict) -> dict:
    """The journal of a staged run (docs/LAKE-INTEGRITY.md, method move-files): per target folder
    the new file names, the written partitions left without a row, and the state to record."""
    staged = {
        name: _parquet_files(lake, f"{staging}/refined/{name}")
        for name, is_dir in lake.children(f"{staging}/refined")
        if is_dir and PARTITION_FOLDER.match(name)
    }
    files = {f"refined/{p}": staged[p] for p in sorted(staged)}
    files["aggregated"] = _parquet_files(lake, f"{staging}/aggregated")
    return {
        "version": 1,
        "run_id": run_id,
        "method": "move-files",
        "staging": staging,
        "files": files,
        "delete_partitions": sorted(f"data_pregao={d}" for d in written if f"data_pregao={d}" not in staged),
        "state": state,
    }


def apply_journal(lake: Lake, journal: dict) -> None:
    """Completes a publish from its journal (whichever engine wrote it: both publish file by
    file). Every step checks what is already done, so running it again after a crash at any point
    (the next run's recovery does) finishes the same publish.

    Folder by folder in the journal's order: every staged file still present is moved onto the
    file of that name, then the folder's files the journal does not list are deleted; then each
    emptied partition is deleted whole. What a reader sees meanwhile: each file is whole (a rename
    on a disk, a single copy on S3); a file replacing one of the same name (the local engine's
    data_0.parquet) is old or new at every instant on a disk; new files next to differently named
    old ones (every file this job writes has a new name) show both, the day's rows twice, from
    the move to the delete, and after a crash until the next run's recovery.
    """
    if journal.get("method") != "move-files":
        raise PublishError(f"{lake.uri(JOURNAL_FILE)}: unknown publish method {journal.get('method')!r}")
    staging = journal["staging"]
    for folder, names in journal["files"].items():
        lake.mkdirs(folder)
        for name in names:
            staged, target = f"{staging}/{folder}/{name}", f"{folder}/{name}"
            if lake.exists(staged):  # else moved before the crash
                lake.move(staged, target)
                fault_point("publish:step")
            elif not lake.exists(target):
                raise PublishError(
                    f"cannot complete the publish of {lake.uri(JOURNAL_FILE)}: {lake.uri(staged)} is gone "
                    f"and {lake.uri(target)} was never written"
                )
        keep = set(names)
        for name, _ in lake.children(folder):
            if name not in keep:
                lake.delete(f"{folder}/{name}")
                fault_point("publish:step")
    for partition in journal["delete_partitions"]:
        if lake.delete(f"refined/{partition}"):
            fault_point("publish:step")
    lake.write_text(STATE_FILE, _json_text(journal["state"]))
    fault_point("publish:after-state")
    lake.delete(JOURNAL_FILE)
    fault_point("publish:after-journal-removed")
    lake.delete(staging)
    lake.remove_staging_folder_if_empty()


def recover(spark: SparkSession, lake_root: str) -> str:
    """Brings the lake back to a consistent state after an interrupted run; call it holding the
    lake lock. A journal means the publish was committed: it is completed (rolled forward). No
    journal means nothing of the staged outputs reached the tables: staging is deleted.

    Returns "completed", "cleaned" or "clean", as the TypeScript side's recoverLake does.
    """
    lake = Lake(spark, lake_root)
    text = lake.read_text(JOURNAL_FILE)
    if text is not None:
        try:
            journal = json.loads(text)
        except ValueError as error:  # written whole by a rename, so only a foreign hand breaks it
            raise PublishError(f"{lake.uri(JOURNAL_FILE)} is not a readable journal: {error}") from error
        print(
            f"recovery: completing the publish of run {journal.get('run_id')} ({lake.uri(JOURNAL_FILE)})",
            file=sys.stderr,
        )
        apply_journal(lake, journal)
        lake.delete(STAGING_FOLDER)
        return "completed"
    if not lake.exists(STAGING_FOLDER):
        return "clean"
    print(f"recovery: deleting unpublished staging {lake.uri(STAGING_FOLDER)}", file=sys.stderr)
    lake.delete(STAGING_FOLDER)
    return "cleaned"


# ------------------------------------------------------------------------------------------- lock


class _HeldByCaller:
    """The lock when the caller holds it for this run (`--lake_lock held`): nothing to do here."""

    def assert_held(self) -> None:
        pass

    def release(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        pass


def _lake_lock_module():
    """lake_lock.py: on Glue on the import path (--extra-py-files); locally next to this script,
    which is on the path when it runs as a script, and added here when it is imported."""
    try:
        import lake_lock
    except ImportError:
        here = str(Path(__file__).resolve().parent)
        if here not in sys.path:
            sys.path.append(here)
        import lake_lock
    return lake_lock


def lock_owner(raw_path: str) -> str:
    match = INGESTION_DATE.search(raw_path)
    return f"transform of {match.group(1) if match else raw_path}"


def take_lock(lake_root: str, raw_path: str, lake_lock: str, lock_wait: float):
    if lake_lock == "held":
        return _HeldByCaller()
    module = _lake_lock_module()
    return module.acquire_lake_lock(lake_root, lock_owner(raw_path), wait_s=lock_wait)


def recover_lake(spark: SparkSession, lake_root: str, lock_wait: float = 60.0, owner: str = "recovery") -> str:
    """recover() under the lake lock, for a caller that runs no transform."""
    with _lake_lock_module().acquire_lake_lock(lake_root.rstrip("/"), owner, wait_s=lock_wait):
        return recover(spark, lake_root)


# -------------------------------------------------------------------------------------------- run


def run(
    spark: SparkSession,
    raw_path: str,
    lake_root: str,
    sql_dir: Path | None = None,
    *,
    lake_lock: str = "take",
    lock_wait: float = 60.0,
    timer: PhaseTimer = NO_TIMER,
) -> dict:
    """The whole job on an existing session; returns the run summary. `timer` times its phases."""
    fault_hits.clear()
    lake_root = lake_root.rstrip("/")
    with timer.step("read", "check the run's raw file"):
        statements, empty_history_sql = load_sql(sql_dir)
        raw_path = resolve_raw_path(spark, raw_path)
        # The run's own file is validated before the lake is touched (no lock, no recovery): bad
        # input leaves the lake exactly as it was.
        read_raw(spark, raw_path)
    with timer.step("read", "take the lake lock"):
        held = take_lock(lake_root, raw_path, lake_lock, lock_wait)
    with held as lock:
        with timer.step("read", "recovery"):
            recover(spark, lake_root)
        return _run_locked(spark, raw_path, lake_root, statements, empty_history_sql, lock, timer)


def _run_locked(spark, raw_path, lake_root, statements, empty_history_sql, lock, timer=NO_TIMER) -> dict:
    lake = Lake(spark, lake_root)
    run_id = uuid.uuid4().hex
    staging = f"{STAGING_FOLDER}/{run_id}"
    summary = {"raw_path": raw_path, "lake_root": lake_root}

    # The raw files: every one of the lake (raw_all), and those the tables do not reflect yet.
    with timer.step("read", "list the raw files and the state; check pending raw files"):
        files = list_raw_files(lake)
        fs, own_path = _hadoop_path(spark, raw_path)
        own_uri = str(fs.makeQualified(own_path))
        own = next((f for f in files if str(lake.fs.makeQualified(lake.path(f.key))) == own_uri), None)
        applied = read_state(lake)["applied"]
        pending = [f for f in files if f is not own and applied.get(f.key) != f.identity]
        # A file whose identity is in the state was checked when it was applied; a pending one is
        # checked now (the run's own file was, above), and an unreadable one names itself.
        check_raw_files(spark, pending)
        own_uris = [raw_path]
        all_uris = [f.uri for f in files if f is not own] + own_uris
        new_state = {
            "version": 1,
            "applied": dict(
                sorted({**applied, **{f.key: f.identity for f in [*pending, *([own] if own else [])]}}.items())
            ),
        }
        inputs = {
            "raw_input": _read_raw_files(spark, own_uris),
            "raw_all": _read_raw_files(spark, all_uris),
            "raw_pending": _read_raw_files(spark, [*own_uris, *[f.uri for f in pending]]),
            "raw_files": raw_files_frame(spark, all_uris),
        }

    journal_written = False

    collected: dict[str, list] = {}

    def history() -> DataFrame:
        if "candidate_partitions" not in collected:
            raise RuntimeError("the SQL files read refined_history before candidate_partitions is computed")
        dates = [r[PARTITION_COLUMN].isoformat() for r in collected["candidate_partitions"]]
        with timer.step("read", "list the history partitions"):
            return read_refined_history(spark, lake, dates, empty_history_sql)

    def check_and_stage(view: str, frame: DataFrame) -> DataFrame:
        phase = "write" if view in ("refined_rows", "aggregated_rows") else "compute"
        with timer.step(phase, f"view {view}"):
            return stage_view(view, frame)

    def stage_view(view: str, frame: DataFrame) -> DataFrame:
        if view == "raw_counts":
            # Refuse a raw file without a single session before anything is written.
            summary.update(summarize_raw(frame.collect()))
            if summary["sessions"] == 0:
                raise TransformInputError(
                    f"raw file {raw_path} has {summary['raw_rows']} rows but no session to write "
                    f"(dropped: {json.dumps(summary['dropped'])})"
                )
        if view in ("refined_rows", "aggregated_rows"):
            return stage(spark, lake, staging, view, frame)
        if view in COLLECTED_VIEWS:
            collected[view] = frame.collect()
            return spark.createDataFrame(collected[view], frame.schema)
        if view in MATERIALIZED_VIEWS:
            target = lake.uri(f"{staging}/views/{view}")
            frame.write.parquet(target)
            # Read back with every column nullable, as the tables' files have them.
            schema = T.StructType([T.StructField(f.name, f.dataType) for f in frame.schema.fields])
            return spark.read.schema(schema).parquet(target)
        return frame

    try:
        with timer.step("compute", "the SQL files"):
            views = transform(
                spark, inputs, statements, materialize=check_and_stage, late_inputs={"refined_history": history}
            )
        with timer.step("compute", "run summary"):
            summary.update(summarize_totals(views["run_totals"]))
        with timer.step("write", "journal and publish"):
            written = [r[PARTITION_COLUMN].isoformat() for r in collected["partitions_written"]]
            journal = build_journal(lake, run_id, staging, written, new_state)
            # Everything is computed and staged. The journal is the commit point: written only
            # while the lock is still ours, and from then on the publish completes, now or at recovery.
            fault_point("publish:before-journal")
            lock.assert_held()
            lake.write_text(JOURNAL_FILE, _json_text(journal))
            journal_written = True
            fault_point("publish:after-journal")
            apply_journal(lake, journal)
    except Exception:
        if not journal_written:  # nothing was published: this run's staging is garbage
            lake.delete(staging)
            lake.remove_staging_folder_if_empty()
        raise
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    timer = PhaseTimer(args.phase_timings, origin=process_start_time())
    spark, job = start_session(args.JOB_NAME)
    timer.since_start("startup", "process start to SparkSession ready")
    try:
        summary = run(
            spark, args.raw_path, args.lake_root, lake_lock=args.lake_lock, lock_wait=args.lock_wait, timer=timer
        )
    except Exception as error:
        # lake_lock.py is imported only when the lock is taken here: its error is known by name.
        locked = type(error).__name__ == "LakeLockedError"
        if not (isinstance(error, TransformInputError | PublishError) or locked):
            raise
        print(f"transform: {error}", file=sys.stderr)
        if job is not None:
            raise  # Glue reports the exception message as the job run's error
        return 1
    finally:
        timer.emit()  # after a failure too: how far the run got
    print(json.dumps(summary))
    if job is not None:
        job.commit()
    else:
        spark.stop()
    return 0


if __name__ == "__main__":
    exit_code = main()
    if exit_code:
        sys.exit(exit_code)
