import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
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
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { type FakeYahoo, startFakeYahoo } from "../../core/test/fake-yahoo.ts";
import { runB3 } from "./run-b3.ts";

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

const files = async (dir: string) => (await readdir(dir, { recursive: true })).map(String).sort();

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
    expect(out.stdout).toMatch(/PETR4\.SA\s*│ ok\s*│ 123\s*│ 2019-12-30 │ 2020-06-30/);
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
    expect(rows.at(-1)).toMatchObject({ ticker: "ITUB4.SA" });
    expect(rows.at(-1)?.trade_date).toEqual(new Date("2020-06-30T00:00:00Z"));
  });

  it("defaults: run date today in São Paulo, six months back, B3_TICKERS, B3_LAKE", async () => {
    const out = await b3(["extract", "--json"], { B3_TICKERS: "PETR4.SA", B3_LAKE: lake });
    const report = JSON.parse(out.stdout);
    expect(report.window).toMatchObject({
      runDate: "2018-01-10",
      from: "2017-07-09",
      to: "2018-01-09",
    });
    expect(report.outcomes).toEqual([expect.objectContaining({ ticker: "PETR4.SA", rows: 16 })]);
    expect(out.code).toBe(0);
  });

  it("an unknown ticker: exit 3, the others written, the error names ticker, cause and action", async () => {
    const out = await b3([
      "extract",
      "--date",
      "2018-01-10",
      "--tickers",
      "PETR4.SA,ZZZZ3.SA",
      "--lake",
      lake,
    ]);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain(
      "error: ZZZZ3.SA: Yahoo has no data for this symbol (it may be delisted or mistyped)",
    );
    expect(out.stdout).toContain("what to do: check the symbol on finance.yahoo.com");
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
    expect(out.stdout).toContain(
      "error: TOTS3.SA, LWSA3.SA, POSI3.SA, INTB3.SA, WEGE3.SA: Yahoo unreachable (ENOTFOUND query2.finance.yahoo.com)",
    );
    expect(out.stdout).toContain("to run offline use --replay DIR");
    expect(out.stdout).toContain("nothing written: no ticker succeeded");
    expect(await files(lake)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    [["--date", "2026-02-30"], /--date "2026-02-30" is not a valid date: use YYYY-MM-DD/],
    [["--date", "yesterday"], /--date "yesterday" is not a valid date/],
    [["--from", "2026/01/01"], /--from "2026\/01\/01" is not a valid date/],
    [
      ["--date", "2026-01-10", "--from", "2026-01-10"],
      /--from 2026-01-10 is after the last day of the window \(2026-01-09/,
    ],
    [["--tickers", ","], /--tickers is empty/],
    [["--tickers", "PETR4.SA,../etc"], /--tickers has invalid symbol\(s\) "..\/ETC"/],
    [["--concurrency", "0"], /--concurrency "0" is not a positive whole number/],
    [["--lake", "s3://"], /--lake .*the bucket name is missing/],
    [["--bogus"], /Unknown option '--bogus'/],
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
    expect(extract.stdout).toMatch(/--replay DIR/);
    const none = await b3([]);
    expect(none.code).toBe(2);
    const unknown = await b3(["nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
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
  const extractTo = (lakeUri: string) =>
    b3(["extract", "--date", "2018-01-10", "--tickers", "PETR4.SA", "--lake", lakeUri]);

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
