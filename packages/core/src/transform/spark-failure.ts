/** Why a Spark job failed, found in its stderr: the job's own "transform:" line, else the last Python exception, else the last lines that are not Spark's log chatter. */

/** Lines Spark and the JVM print on every run, which never say what went wrong. */
const CHATTER = [
  /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} (WARN|INFO)\b/,
  /^Using Spark's default log4j profile/,
  /^Setting default log level to/,
  /^To adjust logging level use/,
  /^WARNING: /,
  /^\s*$/,
];

/** A Python exception's last line: `ValueError: …`, `pyspark.errors.exceptions.captured.AnalysisException: …`. */
const EXCEPTION_LINE = /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Fault)\b:?/;

/** The job's own words about a failure it expected (bad input, a held lock): its "transform: …" line. */
export function jobError(stderr: string): string | undefined {
  return stderr
    .split("\n")
    .find((l) => l.startsWith("transform: "))
    ?.slice("transform: ".length);
}

/** The cause of a failure the job did not expect: the last Python exception, else the last lines that are not log chatter. */
export function sparkFailureCause(stderr: string): string | undefined {
  const lines = stderr.split("\n");
  const traceback = lines.lastIndexOf("Traceback (most recent call last):");
  if (traceback !== -1) {
    const exception = lines
      .slice(traceback + 1)
      .filter((l) => EXCEPTION_LINE.test(l))
      .at(-1);
    if (exception !== undefined) return exception.trim();
  }
  const words = lines.filter((l) => !CHATTER.some((re) => re.test(l)));
  return words.length === 0 ? undefined : words.slice(-3).join("\n");
}
