import { describe, expect, it } from "vitest";
import { jobError, sparkFailureCause } from "../src/transform/spark-failure.ts";

const banner = [
  "WARNING: Using incubator modules: jdk.incubator.vector",
  "Using Spark's default log4j profile: org/apache/spark/log4j2-defaults.properties",
  "26/12/06 15:40:01 WARN NativeCodeLoader: Unable to load native-hadoop library for your platform... using builtin-java classes where applicable",
  'Setting default log level to "WARN".',
  "To adjust logging level use sc.setLogLevel(newLevel). For SparkR, use setLogLevel(newLevel).",
];

describe("why a Spark job failed", () => {
  it("is the job's own line when it expected the failure", () => {
    const stderr = [...banner, "transform: raw file x.parquet has no rows", ""].join("\n");
    expect(jobError(stderr)).toBe("raw file x.parquet has no rows");
  });

  it("is the last Python exception, not the log4j banner, when it did not", () => {
    const stderr = [
      ...banner,
      "Traceback (most recent call last):",
      '  File "/repo/glue-scripts/transform.py", line 950, in <module>',
      "    exit_code = main()",
      "pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `fechamento` cannot be resolved.",
      "26/12/06 15:40:09 WARN ShutdownHookManager: cleanup",
      "",
    ].join("\n");
    expect(jobError(stderr)).toBeUndefined();
    expect(sparkFailureCause(stderr)).toBe(
      "pyspark.errors.exceptions.captured.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `fechamento` cannot be resolved.",
    );
  });

  it("is the last lines that are not chatter when there is no traceback, and nothing when all is chatter", () => {
    const stderr = [...banner, "Error: JAVA_HOME is not set", ""].join("\n");
    expect(sparkFailureCause(stderr)).toBe("Error: JAVA_HOME is not set");
    expect(sparkFailureCause(banner.join("\n"))).toBeUndefined();
  });
});
