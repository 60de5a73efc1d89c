/**
 * Many tickers: the production extract for N synthetic symbols against a local fake Yahoo that
 * answers after a fixed latency, in a child process so its peak memory can be measured alone
 * (the fake server runs here, in the parent, and is not counted).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractWindow, localDate } from "@b3/core";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import {
  bodyAs,
  type ChartBody,
  FIXTURES,
  loadBody,
} from "../../packages/core/test/chart-bodies.ts";
import { startFakeYahoo } from "../../packages/core/test/fake-yahoo.ts";

const CHILD = fileURLToPath(new URL("./many-tickers-child.ts", import.meta.url));

export interface ManyTickersOptions {
  tickers: number;
  latencyMs: number;
  /** Recorded body every synthetic symbol is served (renamed). */
  template: string;
  /** A run date whose 6-month window the recording covers. */
  runDate: string;
}

export const MANY_TICKERS_DEFAULTS: ManyTickersOptions = {
  tickers: 400,
  latencyMs: 50,
  template: "PETR4.SA",
  runDate: "2020-07-01",
};

/** What the child process reports (one JSON line). */
export interface ChildReport {
  /** Loading @b3/core and its dependencies (TypeScript stripped by Node). */
  loadedMs: number;
  /** extractToLake alone: downloads, validation, Parquet encoding, atomic write. */
  extractMs: number;
  /** Until the last ticker's outcome. */
  downloadsMs: number;
  /** The rest: Parquet encoding and the atomic write. */
  writeMs: number;
  rowsWritten: number;
  rowsPerTicker: { min: number; max: number };
  tickersOk: number;
  tickersFailed: number;
  failures: string[];
  attempts: number;
  exitCode: number;
  location: string | null;
  maxRssAfterLoadKiB: number;
  maxRssKiB: number;
}

export interface ManyTickersRun extends ChildReport {
  /** Spawn → exit of the child, as the parent saw it (includes Node start-up and module loading). */
  processWallMs: number;
  /** What the fake server saw. */
  requestsServed: number;
  /** Read back from the written file. */
  fileRows: number;
  fileBytes: number;
  distinctTickersInFile: number;
  /** Rows every ticker should have: the recording's sessions inside the window. */
  expectedRowsPerTicker: number;
}

export function syntheticTickers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `T${String(i + 1).padStart(4, "0")}.SA`);
}

export async function runManyTickers(options: ManyTickersOptions): Promise<ManyTickersRun> {
  const template = loadBody(options.template);
  const fake = await startFakeYahoo({
    replayDir: FIXTURES,
    latencyMs: options.latencyMs,
    body: (symbol) => bodyAs(symbol, template),
  });
  const lakeDir = mkdtempSync(join(tmpdir(), "b3-bench-lake-"));
  try {
    const tickers = syntheticTickers(options.tickers);
    const config = { fakeYahooUrl: fake.url, lakeDir, runDate: options.runDate, tickers };
    const { stdout, wallMs } = await runChild([CHILD, JSON.stringify(config)]);
    const child = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as ChildReport;
    if (!child.location) {
      throw new Error(`the extract wrote nothing: ${child.failures.join("; ")}`);
    }
    const bytes = readFileSync(child.location);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = await parquetReadObjects({ file, columns: ["ticker"] });
    return {
      ...child,
      processWallMs: wallMs,
      requestsServed: fake.requests.length,
      fileRows: Number(parquetMetadata(file).num_rows),
      fileBytes: bytes.byteLength,
      distinctTickersInFile: new Set(rows.map((r) => r.ticker)).size,
      expectedRowsPerTicker: sessionsInWindow(template, options.runDate),
    };
  } finally {
    await fake.close();
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

function runChild(args: string[]): Promise<{ stdout: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    // Async spawn: the fake server in this process must keep answering while the child runs.
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve({ stdout, wallMs });
      else reject(new Error(`many-tickers child exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** Distinct exchange-local dates of the recording inside the run date's window with any price. */
function sessionsInWindow(body: ChartBody, runDate: string): number {
  const window = extractWindow({ runDate });
  const [result] = body.chart.result;
  const quote = result?.indicators.quote[0] ?? {};
  const dates = new Set<string>();
  (result?.timestamp ?? []).forEach((t, i) => {
    const date = localDate(new Date(t * 1000));
    const priced = ["open", "high", "low", "close"].some((k) => quote[k]?.[i] != null);
    if (priced && date >= window.from && date <= window.to) dates.add(date);
  });
  return dates.size;
}
