"""One local SparkSession for the whole test run (2 cores: keep it small)."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

import transform


@pytest.fixture(scope="session")
def spark():
    session = (
        SparkSession.builder.master("local[2]")
        .appName("glue-scripts-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    transform.configure(session)
    yield session
    session.stop()
