"""Helpers shared by the tests and the golden generator: Yahoo fixture bars, raw files, lake reads."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import reference_model
from pyspark.sql import SparkSession
from pyspark.sql import types as T

import transform

GLUE_SCRIPTS = Path(__file__).resolve().parents[1]
REPO_ROOT = GLUE_SCRIPTS.parent
# Real Yahoo v8 chart bodies (see its README); the extract tests replay the same files.
YAHOO_FIXTURES = Path(os.environ.get("B3_YAHOO_FIXTURES", REPO_ROOT / "packages/core/test/fixtures/yahoo"))
GOLDEN = Path(__file__).resolve().parent / "golden"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

# The raw table as the extract writes it, from the one table definition: non-nullable columns
# become REQUIRED Parquet columns.
RAW_SCHEMA = T.StructType(
    [
        T.StructField(c["name"], transform.SPARK_TYPES[c["type"]], nullable=c["nullable"])
        for c in transform.TABLES["raw_stocks"]["columns"]
    ]
)
RAW_COLUMN_NAMES = [f.name for f in RAW_SCHEMA.fields]


def run_script(
    args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """transform.py run as a script, the way Glue starts it, with `args` and `env` on top of this
    process's environment; its output captured as text."""
    return subprocess.run(
        [sys.executable, transform.__file__, *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def yahoo_bars(symbol: str, first: date, last: date, ingested_at: datetime) -> list[dict]:
    """Raw rows of `symbol` with trade_date in [first, last], as extract writes them.

    trade_date is the bar timestamp's date in America/Sao_Paulo; bars whose prices are all null
    are left out (extract drops them).
    """
    body = json.loads((YAHOO_FIXTURES / f"{symbol}.json").read_text())
    result = body["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    adjclose = result["indicators"]["adjclose"][0]["adjclose"]
    rows = []
    for i, ts in enumerate(result["timestamp"]):
        trade_date = datetime.fromtimestamp(ts, SAO_PAULO).date()
        if not first <= trade_date <= last:
            continue
        # JSON numbers without a fraction ("16") arrive as int: the raw columns are DOUBLE
        prices = [None if quote[k][i] is None else float(quote[k][i]) for k in ("open", "high", "low", "close")]
        if all(p is None for p in prices):
            continue
        volume = quote["volume"][i]
        rows.append(
            {
                "ticker": symbol,
                "trade_date": trade_date,
                "open": prices[0],
                "high": prices[1],
                "low": prices[2],
                "close": prices[3],
                "adj_close": None if adjclose[i] is None else float(adjclose[i]),
                "volume": None if volume is None else int(volume),
                "ingested_at": ingested_at,
            }
        )
    return rows


def uri(path: Path) -> str:
    """file:// URI of a local path, unencoded (Hadoop paths take "=" literally, not as %3D)."""
    return f"file://{path.resolve()}"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write_raw_parquet(spark: SparkSession, rows: list[dict], target: Path, schema: T.StructType = RAW_SCHEMA) -> Path:
    """Writes `rows` (in this order) as the single Parquet file `target`."""
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    names = [f.name for f in schema.fields]
    frame = spark.createDataFrame([tuple(r[n] for n in names) for r in rows], schema)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        frame.coalesce(1).write.parquet(uri(out))
        (part,) = out.glob("part-*.parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(part, target)
    return target


def raw_file(lake: Path, ingestion_date: str) -> Path:
    return lake / "raw" / f"ingestion_date={ingestion_date}" / "stocks_data.parquet"


def place_golden_raw(lake: Path, ingestion_date: str = "2018-01-11") -> Path:
    """Copies the golden raw file into `lake` as the raw file of `ingestion_date`; returns its path."""
    raw = raw_file(lake, ingestion_date)
    raw.parent.mkdir(parents=True)
    shutil.copy(GOLDEN / "stocks_data.parquet", raw)
    return raw


def parquet_schema(spark: SparkSession, file: Path) -> str:
    """The Parquet message schema in a file's footer (physical types, repetition, logical types)."""
    jvm = spark._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    input_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
        jvm.org.apache.hadoop.fs.Path(uri(file)), conf
    )
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(input_file)
    try:
        return str(reader.getFooter().getFileMetaData().getSchema().toString())
    finally:
        reader.close()


def read_refined(spark: SparkSession, lake: Path) -> list[dict]:
    """Every refined row, ordered by (data_pregao, nome_acao)."""
    frame = spark.read.schema(transform.REFINED_SCHEMA).parquet(uri(lake / "refined"))
    return [r.asDict() for r in frame.orderBy("data_pregao", "nome_acao").collect()]


def read_aggregated(spark: SparkSession, lake: Path) -> list[dict]:
    """Every aggregated row, ordered by (nome_acao, mes_referencia)."""
    frame = spark.read.schema(transform.AGGREGATED_SCHEMA).parquet(uri(lake / "aggregated"))
    return [r.asDict() for r in frame.orderBy("nome_acao", "mes_referencia").collect()]


def lake_snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """relative path -> (size, mtime_ns, sha256) of every file and folder under root."""
    snapshot = {}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        snapshot[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, digest)
    return snapshot


# Types of the expected-file columns (CSV holds text; empty means NULL).
_COLUMN_TYPES = {
    "nome_acao": str,
    "drop_reason": str,
    "data_pregao": date.fromisoformat,
    "mes_referencia": date.fromisoformat,
    "volume_negociado": int,
    "volume_total": int,
    "dias_pregao": int,
    "row_count": int,
    "mes_fechado": lambda text: {"true": True, "false": False}[text],
    "mes_completo": lambda text: {"true": True, "false": False}[text],
}


def load_expected(name: str) -> list[dict]:
    """Rows of golden/<name>.csv with typed values (doubles for every column not listed above)."""
    with (GOLDEN / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return [
            {k: None if v == "" else _COLUMN_TYPES.get(k, float)(v) for k, v in row.items()}
            for row in csv.DictReader(f)
        ]


def assert_rows_match(actual: list[dict], expected: list[dict], rel_tol: float = 1e-9) -> None:
    """Same rows in the same order, value by value; doubles within rel_tol (0 = bit for bit)."""
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert list(a) == list(e), f"row {i}: columns {list(a)}, expected {list(e)}"
        for column, want in e.items():
            got = a[column]
            if isinstance(want, float) and isinstance(got, float):
                ok = got == want if rel_tol == 0 else math.isclose(got, want, rel_tol=rel_tol, abs_tol=0.0)
            else:
                ok = got == want and type(got) is type(want)
            where = f"row {i} ({e.get('nome_acao')}, {e.get('data_pregao', e.get('mes_referencia'))})"
            assert ok, f"{where}: {column} = {got!r}, expected {want!r}"


def read_raw_rows(spark: SparkSession, *files: Path) -> list[dict]:
    """Every row of raw files, as dicts shaped like the raw table."""
    frame = spark.read.schema(RAW_SCHEMA).parquet(*[uri(f) for f in files])
    return [r.asDict() for r in frame.collect()]


def model_tables(spark: SparkSession, *files: Path) -> tuple[list[dict], list[dict]]:
    """(refined, aggregated) worked out by the plain-Python model over raw files of the lake layout
    (raw/ingestion_date=D/stocks_data.parquet: D comes from the folder name)."""
    raw_rows = read_raw_rows(spark, *files)
    sessions, _ = reference_model.classify(raw_rows)
    refined = reference_model.refined(sessions)
    dates = [date.fromisoformat(f.parent.name.removeprefix("ingestion_date=")) for f in files]
    return refined, reference_model.aggregated(refined, raw_rows, dates)


def table_digests(lake: Path) -> dict[str, list[str]]:
    """Folder of refined/ or aggregated/ -> sorted sha256 of its files: the tables' content,
    independent of file names (Spark writes the same bytes for the same rows)."""
    digests: dict[str, list[str]] = {}
    for folder in [lake / "aggregated", *sorted((lake / "refined").glob("data_pregao=*"))]:
        if folder.is_dir():
            key = str(folder.relative_to(lake))
            digests[key] = sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in folder.iterdir())
    return digests


def tables_snapshot(lake: Path) -> dict[str, tuple[int, int, str]]:
    """lake_snapshot of refined/, aggregated/ and the state file only (names, sizes, mtimes, bytes)."""
    return {
        path: entry
        for path, entry in lake_snapshot(lake).items()
        if path.split("/")[0] in ("refined", "aggregated", "_transform_state.json")
    }


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def identity(file: Path) -> str:
    """A raw file's identity in the state: byte size and whole-millisecond mtime."""
    stat = file.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns // 1_000_000}"
