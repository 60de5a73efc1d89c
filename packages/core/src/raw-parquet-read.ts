/** Decodes a raw Parquet file (DESIGN §4) back into raw rows, whoever wrote it. */
import { parquetReadObjects } from "hyparquet";
import type { RawRow } from "./daily-bars.ts";

export async function decodeRawParquet(bytes: Uint8Array): Promise<RawRow[]> {
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const records = await parquetReadObjects({ file });
  return records.map((r) => ({
    ticker: String(r.ticker),
    trade_date: (r.trade_date as Date).toISOString().slice(0, 10),
    open: numberOrNull(r.open),
    high: numberOrNull(r.high),
    low: numberOrNull(r.low),
    close: numberOrNull(r.close),
    adj_close: numberOrNull(r.adj_close),
    volume: r.volume === null || r.volume === undefined ? null : Number(r.volume),
    ingested_at: r.ingested_at as Date,
  }));
}

const numberOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);
