/** Encodes raw rows as Parquet in exactly the raw table schema (DATE, INT64, UTC TIMESTAMP(MICROS), SNAPPY). */

import type { SchemaElement } from "hyparquet-writer";
import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import { epochDay } from "../extract/calendar.ts";
import type { RawRow } from "../extract/daily-bars.ts";
import { type LakeType, RAW_STOCKS } from "./tables.ts";

/** The Parquet physical and logical type of each lake type the raw table uses. */
const PARQUET_TYPES: Partial<Record<LakeType, Omit<SchemaElement, "name" | "repetition_type">>> = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
  date: { type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } },
  double: { type: "DOUBLE" },
  bigint: { type: "INT64" },
  timestamp: {
    type: "INT64",
    converted_type: "TIMESTAMP_MICROS",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
  },
};

/** The raw table's Parquet schema, from its declaration; shared by the writer and by the tests that read files back. */
export const RAW_SCHEMA: SchemaElement[] = [
  { name: "schema", num_children: RAW_STOCKS.columns.length },
  ...RAW_STOCKS.columns.map((column): SchemaElement => {
    const parquet = PARQUET_TYPES[column.type];
    if (parquet === undefined)
      throw new Error(`raw column ${column.name}: no Parquet type for ${column.type}`);
    return {
      name: column.name,
      ...parquet,
      repetition_type: column.nullable ? "OPTIONAL" : "REQUIRED",
    };
  }),
];

/** Parquet bytes of `rows` (which must be non-empty: an empty raw file is never written). */
export function encodeRawParquet(rows: readonly RawRow[]): Uint8Array {
  if (rows.length === 0) throw new Error("encodeRawParquet: no rows to write");
  const cell = (type: LakeType, value: RawRow[keyof RawRow]) => {
    if (value === null) return null;
    if (type === "date") return epochDay(value as string);
    if (type === "bigint") return BigInt(value as number);
    return value;
  };
  const buffer = parquetWriteBuffer({
    schema: RAW_SCHEMA,
    codec: "SNAPPY",
    rowGroupSize: 100_000,
    createdBy: "b3-pipeline extract (hyparquet-writer)",
    columnData: RAW_STOCKS.columns.map(
      (c): ColumnSource => ({
        name: c.name,
        data: rows.map((r) => cell(c.type, r[c.name as keyof RawRow])) as ColumnSource["data"],
      }),
    ),
  });
  return new Uint8Array(buffer);
}
