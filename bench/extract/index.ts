/** Extract: the Lambda bundle's size, its cold module init, and 400 tickers against a slow fake Yahoo. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { deflateRawSync } from "node:zlib";
import { build } from "esbuild";
import {
  LAMBDA_EXTERNAL,
  sstNodeBuildOptions,
} from "../../packages/functions/build/lambda-bundle.ts";
import { bodyAs, EXTRACT_HANDLER, FIXTURES, loadBody, startFakeYahoo } from "../core.ts";
import { fmt, MB, mb, measure, median, percentile, REPO_ROOT, SCRATCH, table } from "../lib.ts";

export interface ExtractOptions {
  coldRuns: number;
  tickerRuns: number;
  log: (line: string) => void;
}

const TICKERS = 400;
const LATENCY_MS = 50;
/** A run date whose 6-month window the recorded PETR4.SA body covers. */
const RUN_DATE = "2020-07-01";
const CHILD = join(REPO_ROOT, "bench/extract/many-tickers-child.ts");

/** What the handler's module scope reads at import, as on Lambda. */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/tmp",
  AWS_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_NAME: "b3_extract_function_bench",
  SST_RESOURCE_App: JSON.stringify({ name: "b3-pipeline", stage: "bench" }),
  SST_RESOURCE_DataLake: JSON.stringify({ name: "b3-bench-datalake", type: "sst.aws.Bucket" }),
};

// A fresh process that loads the modules and reports the time since the process started. Plain
// JavaScript, so no TypeScript stripping is in the measured path, as on Lambda; "require:NAME" loads
// a package by require(), as core loads the AWS SDK.
const COLD_RUNNER = `
import { createRequire } from "node:module";
const require = createRequire(process.cwd() + "/");
const before = performance.now();
for (const m of process.argv.slice(1)) m.startsWith("require:") ? require(m.slice(8)) : await import(m);
const done = performance.now();
const cpu = process.cpuUsage();
console.log(JSON.stringify({ sinceStartMs: done, importMs: done - before, cpuMs: (cpu.user + cpu.system) / 1000 }));`;

function coldInit(modules: string[]): { sinceStartMs: number; importMs: number; cpuMs: number } {
  const child = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", COLD_RUNNER, ...modules],
    {
      cwd: REPO_ROOT,
      env: LAMBDA_ENV,
      encoding: "utf8",
    },
  );
  if (child.status !== 0) throw new Error(`cold init of ${modules} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "");
}

export async function extractBench({ coldRuns, tickerRuns, log }: ExtractOptions): Promise<string> {
  log("extract: bundling the handler as SST does");
  mkdirSync(join(SCRATCH, "extract"), { recursive: true });
  const outfile = join(SCRATCH, "extract", "extract.mjs");
  const { metafile } = await build(
    sstNodeBuildOptions({ entry: EXTRACT_HANDLER, outfile, external: LAMBDA_EXTERNAL }),
  );
  const code = readFileSync(outfile);
  const byPackage = new Map<string, number>();
  const inputs = metafile.outputs[relative(REPO_ROOT, outfile)]?.inputs ?? {};
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? "ours";
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  const sdkInside = [...byPackage.keys()].filter((p) => /^@(aws-sdk|smithy)\//.test(p));
  if (sdkInside.length > 0) throw new Error(`the bundle contains ${sdkInside}: it must stay out`);
  const largest = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6);

  log(`extract: cold module init, ${coldRuns} fresh processes each`);
  const cold = { bundle: [] as number[], sdk: [] as number[], cpu: [] as number[] };
  // Interleaved, so load from anything else on the machine falls on both alike.
  for (let i = 0; i < coldRuns; i++) {
    const run = coldInit([pathToFileURL(outfile).href]);
    cold.bundle.push(run.sinceStartMs);
    cold.cpu.push(run.cpuMs);
    cold.sdk.push(coldInit(["require:@aws-sdk/client-s3"]).sinceStartMs);
  }

  log(`extract: ${TICKERS} tickers at ${LATENCY_MS} ms latency, ${tickerRuns} run(s)`);
  const template = loadBody("PETR4.SA");
  const fake = await startFakeYahoo({
    replayDir: FIXTURES,
    latencyMs: LATENCY_MS,
    body: (symbol) => bodyAs(symbol, template),
  });
  const many = [];
  let rowsWritten = 0;
  try {
    for (let i = 0; i < tickerRuns; i++) {
      const lake = mkdtempSync(join(tmpdir(), "b3-bench-lake-"));
      const run = await measure(process.execPath, [CHILD, fake.url, lake, RUN_DATE, `${TICKERS}`]);
      rmSync(lake, { recursive: true, force: true });
      const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
      const [fewest, most] = report.rowsPerTicker;
      // A cheap check that the run did the whole job; what the rows hold is the tests' business.
      if (report.failed.length > 0 || fewest === 0 || fewest !== most) {
        throw new Error(`the many-tickers extract went wrong: ${JSON.stringify(report)}`);
      }
      rowsWritten = report.rowsWritten;
      log(`  run ${i + 1}: ${fmt(run.wallMs / 1000, 2)} s, ${mb(run.peakBytes)}`);
      many.push(run);
    }
  } finally {
    await fake.close();
  }

  const ms = (values: number[]) =>
    `${fmt(median(values), 0)} / ${fmt(percentile(values, 90), 0)} ms`;
  const s = (values: number[]) =>
    `${fmt(median(values) / 1000, 2)} / ${fmt(Math.max(...values) / 1000, 2)} s`;
  const walls = many.map((r) => r.wallMs);
  return [
    "## Extract",
    "",
    table(
      ["figure", "measured", "target"],
      [
        [
          "bundle size, AWS SDK left to the runtime",
          `${fmt(code.length / MB, 3)} MB (${fmt(deflateRawSync(code).length / MB, 3)} MB deflated)`,
          "≤ 1.0 MB",
        ],
        [`cold module init, median / p90 of ${coldRuns}`, ms(cold.bundle), "≤ 200 ms"],
        ["of which `@aws-sdk/client-s3` alone (by `require()`)", ms(cold.sdk), ""],
        ["cold module init, CPU (user + sys), median / p90", ms(cold.cpu), ""],
        [
          `${TICKERS} tickers at ${LATENCY_MS} ms, wall, median / worst of ${tickerRuns}`,
          s(walls),
          "< 10 s",
        ],
        [
          `${TICKERS} tickers, CPU (user + sys), median`,
          `${fmt(median(many.map((r) => r.cpuMs)) / 1000, 2)} s`,
          "",
        ],
        [
          `${TICKERS} tickers, peak RSS, worst`,
          mb(Math.max(...many.map((r) => r.peakBytes))),
          "< 300 MB",
        ],
      ],
    ),
    "",
    `Largest packages in the bundle (bytes of minified output): ${largest.map(([p, b]) => `${p} ${fmt(b / 1000, 0)} kB`).join(", ")}. ` +
      `Each many-tickers run wrote ${fmt(rowsWritten, 0)} rows (${TICKERS} tickers, all ok).`,
  ].join("\n");
}
