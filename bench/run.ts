/**
 * `npm run bench`: the extract and transform benchmarks (and, when asked, the Glue job's daily run),
 * printed as Markdown on stdout (progress on stderr); with --write, also into the generated blocks
 * of docs/BENCHMARKS.md.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { extractBench } from "./extract/index.ts";
import { glueBench } from "./glue/index.ts";
import { loadLine, machineLine, REPO_ROOT, writeSection } from "./lib.ts";
import { transformBench } from "./transform/index.ts";

// Each flag once: the parser's options and the help are both made from this table.
const FLAGS = {
  only: {
    type: "string",
    arg: "PART",
    help: "extract | transform | glue (default: extract and transform; glue runs Spark, so only when asked)",
  },
  runs: {
    type: "string",
    default: "5",
    help: "transform rounds: pairs of DuckDB with each other engine",
  },
  peer: {
    type: "string",
    multiple: true,
    arg: "PATH",
    help: "a Python peer, run as `python PATH RAW_PARQUET OUT_DIR` (repeatable)",
  },
  "spark-runs": {
    type: "string",
    default: "0",
    help: "rounds that also run local Spark (slow: a JVM per run)",
  },
  "daily-runs": { type: "string", default: "3", help: "daily runs into the 1M-row lake" },
  scale: {
    type: "boolean",
    help: "also the scale runs: 20 years × 400 tickers, 2,000 tickers × 6 months (minutes)",
  },
  "cold-runs": { type: "string", default: "10", help: "fresh processes for the cold module init" },
  "ticker-runs": { type: "string", default: "3", help: "runs of the 400-ticker extract" },
  "glue-runs": {
    type: "string",
    default: "3",
    help: "glue: timed runs of the Glue job (a JVM each)",
  },
  "history-days": {
    type: "string",
    default: "365",
    help: "glue: daily runs already in the lake before the timed one",
  },
  write: { type: "boolean", help: "also rewrite the figures in docs/BENCHMARKS.md" },
  help: { type: "boolean", help: "show this help" },
} as const;

const { values } = parseArgs({ options: FLAGS });
if (values.help) {
  const lines = Object.entries(FLAGS).map(([name, flag]) => {
    const arg = "arg" in flag ? flag.arg : "N";
    const shown = `--${name}${flag.type === "string" ? ` ${arg}` : ""}`.padEnd(18);
    return `  ${shown} ${flag.help}${"default" in flag ? ` (default ${flag.default})` : ""}`;
  });
  console.log(`Usage: npm run bench -- [flags]\n\n${lines.join("\n")}`);
  process.exit(0);
}
const count = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${values[name]}`);
    process.exit(2);
  }
  return n;
};
const parts = values.only ? [values.only] : ["extract", "transform"];
if (parts.some((p) => !["extract", "transform", "glue"].includes(p))) {
  console.error(`--only must be extract, transform or glue, got ${values.only}`);
  process.exit(2);
}
const log = (line: string) => console.error(line);

for (const part of parts) {
  const started = new Date().toISOString().slice(0, 16).replace("T", " ");
  const loadBefore = loadLine();
  const body =
    part === "extract"
      ? await extractBench({
          coldRuns: Math.max(1, count("cold-runs")),
          tickerRuns: Math.max(1, count("ticker-runs")),
          log,
        })
      : part === "glue"
        ? await glueBench({
            runs: Math.max(1, count("glue-runs")),
            historyDays: Math.max(1, count("history-days")),
            log,
          })
        : await transformBench({
            runs: Math.max(1, count("runs")),
            sparkRuns: count("spark-runs"),
            dailyRuns: Math.max(1, count("daily-runs")),
            peers: values.peer ?? [],
            scale: values.scale === true,
            log,
          });
  // The part's heading first, then the context its figures were taken in.
  const [heading, ...rest] = body.split("\n");
  const section = [
    heading,
    "",
    `Measured ${started} UTC on ${machineLine()}; load average (1 / 5 / 15 min) ${loadBefore} at the start, ${loadLine()} at the end.`,
    ...rest,
  ].join("\n");
  console.log(`\n${section}\n`);
  if (values.write) writeSection(join(REPO_ROOT, "docs", "BENCHMARKS.md"), part, section);
}
