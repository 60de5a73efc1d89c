"""Glue job (Glue 6.0, Spark 4.1): one raw file of the B3 lake -> refined + aggregated.

    transform.py --raw_path <uri of raw/ingestion_date=D/stocks_data.parquet> --lake_root <uri of the lake>

Glue adds arguments of its own (--JOB_NAME, --TempDir, ...): unknown ones are ignored. The same file
runs locally with pyspark: `python transform.py --raw_path file:///... --lake_root file:///...`.

The transform rules (DESIGN §5) are not in this file: they are the SQL files `sql/NN_<view>.sql`,
the same ones the local twin runs in DuckDB. This script reads and validates the input, runs the
SQL, stages the results, then publishes them:

    parse args -> read + validate raw -> read refined history
      -> run the SQL files in order, each result registered as a view; refined_rows and
         aggregated_rows are staged under <lake>/_transform_staging/<run id>/ as they come
      -> publish: refined (dynamic partition overwrite on data_pregao), aggregated (full overwrite)
      -> delete the staging folder, print a JSON run summary on stdout

Nothing under refined/ or aggregated/ is touched before everything has been computed and written
to staging, so bad input (or any failure while computing) leaves the lake as it was.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections.abc import Callable
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

# The raw table of DESIGN §4: column -> (Spark type, what the Parquet column must be).
RAW_COLUMNS: dict[str, tuple[T.DataType, str]] = {
    "ticker": (T.StringType(), "BYTE_ARRAY STRING"),
    "trade_date": (T.DateType(), "INT32 DATE"),
    "open": (T.DoubleType(), "DOUBLE"),
    "high": (T.DoubleType(), "DOUBLE"),
    "low": (T.DoubleType(), "DOUBLE"),
    "close": (T.DoubleType(), "DOUBLE"),
    "adj_close": (T.DoubleType(), "DOUBLE"),
    "volume": (T.LongType(), "INT64"),
    "ingested_at": (T.TimestampType(), "INT64 TIMESTAMP with isAdjustedToUTC=true"),
}

# refined (DESIGN §4): the seed's Athena columns, then ours; data_pregao is the partition column.
REFINED_SCHEMA = T.StructType(
    [
        T.StructField("nome_acao", T.StringType()),
        T.StructField("abertura", T.DoubleType()),
        T.StructField("fechamento", T.DoubleType()),
        T.StructField("max", T.DoubleType()),
        T.StructField("min", T.DoubleType()),
        T.StructField("volume_negociado", T.LongType()),
        T.StructField("media_movel_7d", T.DoubleType()),
        T.StructField("lag_1d", T.DoubleType()),
        T.StructField("lag_2d", T.DoubleType()),
        T.StructField("lag_3d", T.DoubleType()),
        T.StructField("fechamento_ajustado", T.DoubleType()),
        T.StructField("data_pregao", T.DateType()),
    ]
)
PARTITION_COLUMN = "data_pregao"

AGGREGATED_SCHEMA = T.StructType(
    [
        T.StructField("nome_acao", T.StringType()),
        T.StructField("mes_referencia", T.DateType()),
        T.StructField("volume_total", T.LongType()),
        T.StructField("preco_medio_fechamento", T.DoubleType()),
        T.StructField("dias_pregao", T.IntegerType()),
        T.StructField("mes_fechado", T.BooleanType()),
    ]
)

# The SQL contract (glue-scripts/sql/README.md): every NN_<view>.sql runs in file-name order and
# its result is registered as <view>; these are the views this script reads.
SQL_FILE_PATTERN = re.compile(r"^\d\d_([a-z0-9_]+)\.sql$")
REQUIRED_VIEWS = (
    "raw_classified",
    "raw_counts",
    "refined_rows",
    "refined_all",
    "aggregated_rows",
    "run_totals",
)
EMPTY_HISTORY_SQL = "empty_refined_history.sql"
STAGING_FOLDER = "_transform_staging"  # "_" prefix: Spark, Hive and Athena readers skip it


class TransformInputError(Exception):
    """The input cannot be transformed; nothing was written."""


# --------------------------------------------------------------------------------------- arguments


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="transform.py",
        description="B3 raw quotes of one run date -> refined + aggregated (DESIGN §5).",
        allow_abbrev=False,
    )
    parser.add_argument("--raw_path", required=True, help="URI of the raw Parquet file")
    parser.add_argument("--lake_root", required=True, help="URI of the lake root (holds refined/, aggregated/)")
    parser.add_argument("--JOB_NAME", default="transform_job", help=argparse.SUPPRESS)  # set by Glue
    args, _glue_arguments = parser.parse_known_args(argv)
    args.lake_root = args.lake_root.rstrip("/")
    return args


# ----------------------------------------------------------------------------------------- session


def configure(spark: SparkSession) -> None:
    """Session settings the job depends on, set the same way on Glue and locally."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "true")  # Spark 4's default; fail on bad casts, never NULL them
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
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
        raise TransformInputError(
            f"raw file {raw_path} does not have the raw schema (DESIGN §4): " + "; ".join(problems)
        )


def read_raw(spark: SparkSession, raw_path: str) -> DataFrame:
    """The raw file, checked: it exists, is Parquet, has the raw schema, and holds rows."""
    fs, path = _hadoop_path(spark, raw_path)
    if not fs.exists(path) and unquote(raw_path) != raw_path:
        # A key copied from an S3 event notification arrives URL-encoded (= as %3D).
        decoded = unquote(raw_path)
        fs, path = _hadoop_path(spark, decoded)
        if fs.exists(path):
            raw_path = decoded
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


def read_refined_history(spark: SparkSession, lake_root: str, empty_history_sql: str) -> DataFrame:
    """The refined table as it is now; data_pregao comes from the folder names, typed DATE.

    Every *.parquet file of a partition folder is read, whoever wrote it (Spark's part-* files or
    DuckDB's data_N.parquet). An explicit schema means no inference from folder names or files.
    """
    refined_path = f"{lake_root}/refined"
    fs, path = _hadoop_path(spark, refined_path)
    if not fs.exists(path):
        return spark.sql(empty_history_sql)
    return spark.read.schema(REFINED_SCHEMA).option("pathGlobFilter", "*.parquet").parquet(refined_path)


# -------------------------------------------------------------------------------------- transform


def transform(
    spark: SparkSession,
    raw: DataFrame,
    history: DataFrame,
    statements: list[tuple[str, str]],
    materialize: Callable[[str, DataFrame], DataFrame] | None = None,
) -> dict[str, DataFrame]:
    """Runs the SQL files over raw_input + refined_history; returns every view by name.

    Each file's result is registered as its view before the next file runs. `materialize(view,
    frame)` may replace a result by an equivalent one (the job stages refined_rows and
    aggregated_rows to files and reads them back); without it every view stays lazy.
    """
    raw.createOrReplaceTempView("raw_input")
    history.createOrReplaceTempView("refined_history")
    views: dict[str, DataFrame] = {}
    for view, text in statements:
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


# ------------------------------------------------------------------------------------------ write


def publish(spark: SparkSession, staging: str, lake_root: str) -> None:
    """Replaces the touched refined partitions, then the aggregated table, from the staged files.

    What is and is not atomic:
    - Each staged dataset is complete before this runs, so a failure here can never publish rows
      that were not computed, and everything upstream (reading refined history) is finished.
    - refined: Spark's dynamic partition overwrite writes the new partitions under
      refined/.spark-staging-<job>/ and, at job commit, for each partition deletes the old folder
      and renames the new one in. On a local disk each rename is atomic; on S3 a "rename" is a copy
      then a delete, so a reader (Athena) may briefly see a partition missing or half-copied, and a
      crash during commit can leave some partitions new and others old. Re-running the same raw
      repairs that: the output is a function of the raw and the untouched history.
    - aggregated: a full overwrite deletes the old files first, then commits the new ones; a
      reader can see an empty table for the duration of the write. It is recomputed from all of
      refined on every run, so a re-run repairs it too.
    """
    (
        spark.read.schema(REFINED_SCHEMA)
        .parquet(f"{staging}/refined_rows")
        .repartition(PARTITION_COLUMN)  # one task, hence one file, per partition
        .sortWithinPartitions(PARTITION_COLUMN, "nome_acao")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(PARTITION_COLUMN)
        .parquet(f"{lake_root}/refined")
    )
    (
        spark.read.schema(AGGREGATED_SCHEMA)
        .parquet(f"{staging}/aggregated_rows")
        .repartition(1)
        .sortWithinPartitions("nome_acao", "mes_referencia")
        .write.mode("overwrite")
        .parquet(f"{lake_root}/aggregated")
    )


def run(spark: SparkSession, raw_path: str, lake_root: str, sql_dir: Path | None = None) -> dict:
    """The whole job on an existing session; returns the run summary."""
    lake_root = lake_root.rstrip("/")
    statements, empty_history_sql = load_sql(sql_dir)
    raw = read_raw(spark, raw_path)
    history = read_refined_history(spark, lake_root, empty_history_sql)
    staging = f"{lake_root}/{STAGING_FOLDER}/{uuid.uuid4().hex}"
    staged_schemas = {"refined_rows": REFINED_SCHEMA, "aggregated_rows": AGGREGATED_SCHEMA}
    summary = {"raw_path": raw_path, "lake_root": lake_root}

    def check_and_stage(view: str, frame: DataFrame) -> DataFrame:
        if view == "raw_counts":
            # Refuse a raw file without a single session before anything is written (so
            # refined_rows is never empty below).
            summary.update(summarize_raw(frame.collect()))
            if summary["sessions"] == 0:
                raise TransformInputError(
                    f"raw file {raw_path} has {summary['raw_rows']} rows but no session to write "
                    f"(dropped: {json.dumps(summary['dropped'])})"
                )
        if view in staged_schemas:
            # Written to staging and read back: computed once, and what follows (later files,
            # publishing) no longer depends on the refined files that publishing replaces.
            # (It also keeps Spark 4.1.1's InlineCTE from failing with CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE
            # when one query reaches refined_rows' CTEs through two views.)
            frame.write.parquet(f"{staging}/{view}")
            return spark.read.schema(staged_schemas[view]).parquet(f"{staging}/{view}")
        return frame

    try:
        views = transform(spark, raw, history, statements, materialize=check_and_stage)
        summary.update(summarize_totals(views["run_totals"]))
        # Everything is computed and staged: only now is the lake itself written.
        publish(spark, staging, lake_root)
    finally:
        fs, path = _hadoop_path(spark, staging)
        fs.delete(path, True)
        parent = path.getParent()  # <lake>/_transform_staging: removed once no run uses it
        if fs.exists(parent) and len(fs.listStatus(parent)) == 0:
            fs.delete(parent, False)
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spark, job = start_session(args.JOB_NAME)
    try:
        summary = run(spark, args.raw_path, args.lake_root)
    except TransformInputError as error:
        print(f"transform: {error}", file=sys.stderr)
        if job is not None:
            raise  # Glue reports the exception message as the job run's error
        return 1
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
