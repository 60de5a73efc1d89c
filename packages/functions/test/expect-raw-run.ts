/** The outcome both extract handler tests expect from B3_TICKERS=PETR4.SA,VALE3.SA on 2020-07-01: the summary, and the raw object read back from S3 with hyparquet. */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parquetReadObjects } from "hyparquet";
import { expect } from "vitest";

export const RAW_KEY = "raw/ingestion_date=2020-07-01/stocks_data.parquet";

export async function expectPetrValeRun(summary: unknown, s3: S3Client, bucket: string) {
  expect(summary).toMatchObject({
    rowsWritten: 246,
    tickersOk: ["PETR4.SA", "VALE3.SA"],
    location: `s3://${bucket}/${RAW_KEY}`,
  });
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: RAW_KEY }));
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) throw new Error(`s3://${bucket}/${RAW_KEY} has no body`);
  const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer });
  expect(rows).toHaveLength(246);
  expect(new Set(rows.map((r) => r.ticker))).toEqual(new Set(["PETR4.SA", "VALE3.SA"]));
  expect(rows[0]).toMatchObject({ ticker: "PETR4.SA" });
}
