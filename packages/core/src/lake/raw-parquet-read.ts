/** Decodes a raw Parquet file back into raw rows, whoever wrote it. */
import { parquetReadObjects } from "hyparquet";
import type { RawRow } from "../extract/daily-bars.ts";
import { RawFileError } from "./errors.ts";

export async function decodeRawParquet(bytes: Uint8Array): Promise<RawRow[]> {
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  let records: Record<string, unknown>[];
  try {
    records = await parquetReadObjects({ file });
  } catch (cause) {
    throw new RawFileError(
      "NotParquet",
      `not a readable Parquet file: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return records.map((r, i) => {
    // The key columns must be there: a row without them would merge into the wrong place.
    const { ticker, trade_date, ingested_at } = r;
    if (typeof ticker !== "string" || ticker === "") throw badRow(i, "ticker", ticker);
    if (!isDate(trade_date)) throw badRow(i, "trade_date", trade_date);
    if (!isDate(ingested_at)) throw badRow(i, "ingested_at", ingested_at);
    return {
      ticker,
      trade_date: trade_date.toISOString().slice(0, 10),
      open: numberOrNull(r.open),
      high: numberOrNull(r.high),
      low: numberOrNull(r.low),
      close: numberOrNull(r.close),
      adj_close: numberOrNull(r.adj_close),
      volume: r.volume === null || r.volume === undefined ? null : Number(r.volume),
      ingested_at,
    };
  });
}

const isDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());

function badRow(index: number, column: string, value: unknown): RawFileError {
  const what = value === undefined ? "is missing" : `is ${JSON.stringify(String(value))}`;
  return new RawFileError("NotRaw", `not a raw file: column ${column} of row ${index + 1} ${what}`);
}

const numberOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);
