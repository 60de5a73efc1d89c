/** Encodes raw rows as Parquet in exactly the raw table schema (DATE, INT64, UTC TIMESTAMP(MICROS), SNAPPY). */

import type { SchemaElement } from "hyparquet-writer";
import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import { epochDay } from "../extract/calendar.ts";
import type { RawRow } from "../extract/daily-bars.ts";

const double = (name: string): SchemaElement => ({
  name,
  type: "DOUBLE",
  repetition_type: "OPTIONAL",
});

/** The raw table's Parquet schema; shared by the writer and by the tests that read files back. */
export const RAW_SCHEMA: SchemaElement[] = [
  { name: "schema", num_children: 9 },
  {
    name: "ticker",
    type: "BYTE_ARRAY",
    converted_type: "UTF8",
    logical_type: { type: "STRING" },
    repetition_type: "REQUIRED",
  },
  {
    name: "trade_date",
    type: "INT32",
    converted_type: "DATE",
    logical_type: { type: "DATE" },
    repetition_type: "REQUIRED",
  },
  double("open"),
  double("high"),
  double("low"),
  double("close"),
  double("adj_close"),
  { name: "volume", type: "INT64", repetition_type: "OPTIONAL" },
  {
    name: "ingested_at",
    type: "INT64",
    converted_type: "TIMESTAMP_MICROS",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
    repetition_type: "REQUIRED",
  },
];

/** Parquet bytes of `rows` (which must be non-empty: an empty raw file is never written). */
export function encodeRawParquet(rows: readonly RawRow[]): Uint8Array {
  if (rows.length === 0) throw new Error("encodeRawParquet: no rows to write");
  const column = <T>(name: string, pick: (row: RawRow) => T): ColumnSource => ({
    name,
    data: rows.map(pick) as ColumnSource["data"],
  });
  const buffer = parquetWriteBuffer({
    schema: RAW_SCHEMA,
    codec: "SNAPPY",
    rowGroupSize: 100_000,
    createdBy: "b3-pipeline extract (hyparquet-writer)",
    columnData: [
      column("ticker", (r) => r.ticker),
      column("trade_date", (r) => epochDay(r.trade_date)),
      column("open", (r) => r.open),
      column("high", (r) => r.high),
      column("low", (r) => r.low),
      column("close", (r) => r.close),
      column("adj_close", (r) => r.adj_close),
      column("volume", (r) => (r.volume === null ? null : BigInt(r.volume))),
      column("ingested_at", (r) => r.ingested_at),
    ],
  });
  return new Uint8Array(buffer);
}
