import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parquetReadObjects } from "hyparquet";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  vi,
} from "vitest";
import { localLake } from "../../core/src/lake/index.ts";
import { acquireLakeLock } from "../../core/src/lake/lock.ts";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { type FakeYahoo, startFakeYahoo } from "../../core/test/fake-yahoo.ts";
import { runB3, runB3Process } from "./run-b3.ts";

let lake: string;
let yahoo: FakeYahoo;
beforeAll(async () => {
  yahoo = await startFakeYahoo({ replayDir: FIXTURES });
});
afterAll(() => yahoo.close());
beforeEach(async () => {
  lake = await mkdtemp(join(tmpdir(), "b3-cli-"));
});
afterEach(() => rm(lake, { recursive: true, force: true }));

const b3 = (argv: string[], env: NodeJS.ProcessEnv = {}, fetchImpl?: typeof fetch) =>
  runB3(argv, { env, fetch: fetchImpl ?? yahoo.fetch, now: new Date("2018-01-10T12:00:00Z") });

/** `b3 extract` of the run date 2018-01-10 for `tickers` into `lakeArg`, then any further flags. */
const extractDay = (tickers: string, lakeArg: string, ...more: string[]) =>
  b3(["extract", "--date", "2018-01-10", "--tickers", tickers, "--lake", lakeArg, ...more]);

const files = async (dir: string) => (await readdir(dir, { recursive: true })).map(String).sort();

async function rawRows(lakeDir: string, date: string) {
  const bytes = await readFile(join(lakeDir, `raw/ingestion_date=${date}/stocks_data.parquet`));
  return parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  });
}

describe("b3 extract", () => {
  it("--replay writes the raw file of the run date and prints a summary (exit 0)", async () => {
    const out = await b3([
      "extract",
      "--date",
      "2020-07-01",
      "--tickers",
      "petr4.sa,ITUB4.SA",
      "--lake",
      lake,
      "--replay",
      FIXTURES,
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("window 2019-12-30 → 2020-06-30 (run date 2020-07-01)");
    // Numbers right-aligned, a rule under the header.
    expect(out.stdout).toMatch(/ ticker\s+│ status │ sessions │ first\s+│ last\s+│ attempts\n─+┼/);
    expect(out.stdout).toMatch(/ PETR4\.SA │ ok\s+│\s+123 │ 2019-12-30 │ 2020-06-30 │\s+1\n/);
    expect(out.stdout).toContain(
      `wrote 246 rows to ${lake}/raw/ingestion_date=2020-07-01/stocks_data.parquet`,
    );
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(join(lake, "raw/ingestion_date=2020-07-01/stocks_data.parquet"));
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer,
    });
    // Sorted by ticker, then trade date.
    expect(rows[0]).toMatchObject({ ticker: "ITUB4.SA" });
    expect(rows.at(-1)).toMatchObject({ ticker: "PETR4.SA" });
    expect(rows.at(-1)?.trade_date).toEqual(new Date("2020-06-30T00:00:00Z"));
  });

  it("re-extracting a date merges: the earlier rows stay, the summary says how many", async () => {
    const at = (now: string, tickers: string) =>
      runB3(["extract", "--date", "2018-01-10", "--tickers", tickers, "--lake", lake], {
        fetch: yahoo.fetch,
        now: new Date(now),
      });
    expect((await at("2018-01-10T09:00:00Z", "PETR4.SA,ITUB4.SA")).code).toBe(0);
    const again = await at("2018-01-10T15:00:00Z", "PETR4.SA");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `wrote 16 rows to ${lake}/raw/ingestion_date=2018-01-10/stocks_data.parquet, kept 32 rows of earlier extracts`,
    );
    expect(await rawRows(lake, "2018-01-10")).toHaveLength(48);
  });

  it("a corrupt earlier raw file is replaced, with a warning on stderr naming it", async () => {
    const raw = join(lake, "raw/ingestion_date=2018-01-10/stocks_data.parquet");
    await mkdir(dirname(raw), { recursive: true });
    await writeFile(raw, "PAR1 not really");
    const out = await extractDay("PETR4.SA", lake, "--json");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ replaced_corrupt: raw, rows_written: 16 });
    expect(out.stderr).toContain(
      `warning: ${raw} could not be read; it was replaced by this run's rows`,
    );
    expect(await rawRows(lake, "2018-01-10")).toHaveLength(16);
  });

  it("a recorded body of another symbol: that ticker fails, the others are written (exit 3)", async () => {
    const replay = await mkdtemp(join(tmpdir(), "b3-replay-"));
    try {
      await copyFile(join(FIXTURES, "PETR4.SA.json"), join(replay, "PETR4.SA.json"));
      await copyFile(join(FIXTURES, "PETR4.SA.json"), join(replay, "ITUB4.SA.json"));
      const out = await extractDay("PETR4.SA,ITUB4.SA", lake, "--replay", replay);
      expect(out.code).toBe(3);
      expect(out.stderr).toContain(
        "error: ITUB4.SA: Yahoo answered with the chart of PETR4.SA when asked for ITUB4.SA",
      );
      expect(new Set((await rawRows(lake, "2018-01-10")).map((r) => r.ticker))).toEqual(
        new Set(["PETR4.SA"]),
      );
    } finally {
      await rm(replay, { recursive: true, force: true });
    }
  });

  it("--json: stdout is the report alone, even when yahoo-finance2 prints (a child process)", async () => {
    const replay = await mkdtemp(join(tmpdir(), "b3-replay-"));
    try {
      // A meta that is not an object makes yahoo-finance2's own validator console.log the schema.
      const body = JSON.parse(await readFile(join(FIXTURES, "PETR4.SA.json"), "utf8"));
      body.chart.result[0].meta = 5;
      await writeFile(join(replay, "PETR4.SA.json"), JSON.stringify(body));
      await copyFile(join(FIXTURES, "ITUB4.SA.json"), join(replay, "ITUB4.SA.json"));
      const argv = ["--date", "2020-07-01", "--tickers", "PETR4.SA,ITUB4.SA", "--lake", lake];
      const child = await runB3Process(["extract", "--json", "--replay", replay, ...argv], {
        env: {},
      });
      expect(child.code).toBe(3);
      const report = JSON.parse(child.stdout);
      expect(report.outcomes[0]).toMatchObject({ ticker: "PETR4.SA", kind: "invalid_response" });
      expect(child.stderr).toContain("schemaPath");
      // In-process, the same output reaches the command's stderr.
      const inProcess = await b3(["extract", "--json", "--replay", replay, ...argv]);
      expect(JSON.parse(inProcess.stdout).status).toBe("partial");
      expect(inProcess.stderr).toContain("ChartMeta");
    } finally {
      await rm(replay, { recursive: true, force: true });
    }
  });

  it("another writer holds the lake lock: waits --lock-wait seconds, then exit 1 naming it", async () => {
    const held = await acquireLakeLock(localLake(lake), { owner: "transform of 2018-01-09" });
    try {
      const out = await extractDay("PETR4.SA", lake, "--lock-wait", "0.2");
      expect(out.code).toBe(1);
      expect(out.stderr).toContain("waiting for the lake lock, held by transform of 2018-01-09");
      expect(out.stderr).toMatch(
        /error: lake locked by transform of 2018-01-09 on host .*; waited 0\.2 s/,
      );
      expect(out.stderr).toContain("nothing was written");
      expect(await files(lake)).toEqual(["_lake.lock"]);
    } finally {
      await held.release();
    }
  });

  it("defaults: run date today in São Paulo, six months back, B3_TICKERS, B3_LAKE", async () => {
    const out = await b3(["extract", "--json"], { B3_TICKERS: "PETR4.SA", B3_LAKE: lake });
    const report = JSON.parse(out.stdout);
    expect(report.window).toMatchObject({
      run_date: "2018-01-10",
      from: "2017-07-09",
      to: "2018-01-09",
    });
    expect(report.outcomes).toEqual([expect.objectContaining({ ticker: "PETR4.SA", rows: 16 })]);
    expect(out.code).toBe(0);
  });

  it("on a terminal, progress on stderr shows each ticker and each retry; stdout is unchanged", async () => {
    const flaky = await startFakeYahoo({
      replayDir: FIXTURES,
      script: { "PETR4.SA": [{ status: 503, body: "busy" }] },
    });
    try {
      const argv = ["extract", "--tickers", "PETR4.SA,ITUB4.SA", "--lake", lake];
      const out = await runB3(argv, {
        fetch: flaky.fetch,
        now: new Date("2018-01-10T12:00:00Z"),
        ttyStderr: true,
      });
      expect(out.code).toBe(0);
      // Coloured, since stderr is a terminal.
      expect(out.stderr).toContain("\x1b[33m↻\x1b[39m");
      const progress = stripVTControlCharacters(out.stderr);
      expect(progress).toContain("extracting 2 ticker(s), 2017-07-09 → 2018-01-09, into");
      expect(progress).toContain(
        "↻ PETR4.SA attempt 1 failed (Yahoo answered HTTP 503); retrying\n",
      );
      expect(progress).toContain("✓ PETR4.SA 16 sessions\n");
      expect(progress).toContain("✓ ITUB4.SA 16 sessions\n");
      expect(out.stdout).toMatch(/ PETR4\.SA │ ok\s+│\s+16 │ .* │\s+2\n/);
      expect(out.stdout).not.toContain("↻");
    } finally {
      await flaky.close();
    }
  });

  it("an unknown ticker: exit 3, the others written, the error names ticker, cause and action", async () => {
    const out = await extractDay("PETR4.SA,ZZZZ3.SA", lake);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain(
      "error: ZZZZ3.SA: Yahoo has no data for this symbol (it may be delisted or mistyped)",
    );
    expect(out.stderr).toContain("what to do: check the symbol on finance.yahoo.com");
    expect(await files(lake)).toContain("raw/ingestion_date=2018-01-10/stocks_data.parquet");
  });

  it("Yahoo unreachable: exit 1, one clear message, nothing written, and fast", async () => {
    const started = Date.now();
    const out = await b3(["extract", "--lake", lake], {}, async () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("getaddrinfo ENOTFOUND query2.finance.yahoo.com"), {
          code: "ENOTFOUND",
          hostname: "query2.finance.yahoo.com",
        }),
      });
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      "error: TOTS3.SA, LWSA3.SA, POSI3.SA, INTB3.SA, WEGE3.SA: Yahoo unreachable (ENOTFOUND query2.finance.yahoo.com)",
    );
    expect(out.stderr).toContain(
      "what to do: check the network connection or proxy; to run offline, replay recorded chart bodies (--replay)",
    );
    expect(out.stdout).toContain("nothing written: no ticker succeeded");
    expect(await files(lake)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    [
      ["--date", "2026-02-30"],
      /--date "2026-02-30" is not a valid date\n {2}what to do: use YYYY-MM-DD/,
    ],
    [["--date", "yesterday"], /--date "yesterday" is not a valid date/],
    [["--from", "2026/01/01"], /--from "2026\/01\/01" is not a valid date/],
    [
      ["--date", "2026-01-10", "--from", "2026-01-10"],
      /window start 2026-01-10 is after the last day of the window \(2026-01-09, the day before the run date 2026-01-10\)\n {2}what to do: choose an earlier window start or a later run date \(--from, --date\)/,
    ],
    [["--tickers", ","], /--tickers is empty/],
    [["--tickers", "PETR4.SA,../etc"], /--tickers has invalid symbol\(s\) "..\/ETC"/],
    [["--concurrency", "0"], /--concurrency "0" is not a positive whole number/],
    [["--lock-wait=-1"], /--lock-wait "-1" is not a number of seconds/],
    [["--lock-wait", "soon"], /--lock-wait "soon" is not a number of seconds/],
    [["--lake", "s3://"], /--lake .*the bucket name is missing/],
    [["--bogus"], /unknown option '--bogus'/],
    [["--samples", "5"], /unknown option '--samples'/],
    [["--timeout", "1.5"], /--timeout "1.5" is not a positive whole number/],
  ])("usage error %j: exit 2 with the cause, nothing written", async (flags, message) => {
    const out = await b3(["extract", "--lake", lake, ...flags]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain("--help");
    expect(await files(lake)).toEqual([]);
  });

  it("B3_TICKERS that is malformed names the variable", async () => {
    const out = await b3(["extract", "--lake", lake], { B3_TICKERS: "PETR4.SA;VALE3.SA" });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/B3_TICKERS has invalid symbol/);
  });

  it("--help on every command and at the top", async () => {
    const top = await b3(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Commands:\n\s+extract/);
    const extract = await b3(["extract", "--help"]);
    expect(extract.code).toBe(0);
    expect(extract.stdout).toMatch(/--replay <DIR>/);
    const none = await b3([]);
    expect(none.code).toBe(2);
    const unknown = await b3(["nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nope'");
  });
});

describe("b3 extract --lake s3://", () => {
  const client = () =>
    new S3Client({
      endpoint: inject("motoEndpoint"),
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
  beforeEach(() => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", inject("motoEndpoint"));
    vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
    vi.stubEnv("AWS_REGION", "us-east-1");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const extractTo = (lakeUri: string) => extractDay("PETR4.SA", lakeUri);

  it("writes the raw object into the bucket", async () => {
    await client().send(new CreateBucketCommand({ Bucket: "cli-lake" }));
    const out = await extractTo("s3://cli-lake");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "wrote 16 rows to s3://cli-lake/raw/ingestion_date=2018-01-10/stocks_data.parquet",
    );
  });

  it("a bucket that does not exist: exit 1, the bucket named, nothing half-written", async () => {
    const out = await extractTo("s3://no-such-lake");
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/no-such-lake/);
    expect(out.stderr).toContain("nothing was written");
  });

  it("S3 stores the raw file but the answer is lost: says it may or may not be written, and a re-run merges", async () => {
    await client().send(new CreateBucketCommand({ Bucket: "lossy-lake" }));
    const proxy = await startLossyProxy(inject("motoEndpoint"));
    try {
      vi.stubEnv("AWS_ENDPOINT_URL_S3", proxy.url);
      const out = await extractTo("s3://lossy-lake");
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(
        /error: cannot write s3:\/\/lossy-lake\/raw\/ingestion_date=2018-01-10\/stocks_data\.parquet: .*ECONNRESET.*; the raw file may or may not have been written; re-run the date \(safe: it merges\)/,
      );
      expect(`${out.stdout}${out.stderr}`).not.toMatch(/nothing (was )?written/);
      expect(proxy.dropped).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
    // S3 did store it.
    const stored = await client().send(
      new GetObjectCommand({
        Bucket: "lossy-lake",
        Key: "raw/ingestion_date=2018-01-10/stocks_data.parquet",
      }),
    );
    const bytes = await stored.Body?.transformToByteArray();
    expect(await parquetReadObjects({ file: bytes?.buffer as ArrayBuffer })).toHaveLength(16);
    // The re-run merges into it, without storing the same version twice.
    vi.stubEnv("AWS_ENDPOINT_URL_S3", inject("motoEndpoint"));
    const again = await extractDay("PETR4.SA", "s3://lossy-lake", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows_written: 16, rows_kept: 0 });
  });

  it("S3 unreachable when the file is written: exit 1 with the cause, quickly", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9"); // the discard port: nothing listens
    const started = Date.now();
    const out = await extractTo("s3://cli-lake");
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/ECONNREFUSED/);
    expect(out.stderr).toContain("nothing was written");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

/**
 * An HTTP proxy in front of S3 that forwards every request, but answers a PUT under raw/ by
 * closing the connection once S3 has stored it: a write whose answer was lost.
 */
async function startLossyProxy(target: string) {
  let dropped = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([name]) => !["host", "connection", "expect"].includes(name),
      ),
    ) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (req.method === "PUT" && req.url?.includes("/raw/")) {
      dropped++;
      req.socket.destroy();
      return;
    }
    const passed: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!/^(content-encoding|transfer-encoding|connection)$/.test(name)) passed[name] = value;
    });
    res.writeHead(answer.status, passed);
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get dropped() {
      return dropped;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
