import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LakeError } from "../src/lake/errors.ts";
import { localLake } from "../src/lake/local-lake.ts";
import type { LakeStorage } from "../src/lake/storage.ts";
import { lakeErrorOf } from "./lake-error-of.ts";

let root: string;
let lake: LakeStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "b3-local-lake-"));
  lake = localLake(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, temporary ones included, relative to `dir`. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("localLake", () => {
  it("writes bytes under the root and reads the same bytes back", async () => {
    const key = "raw/ingestion_date=2026-01-02/stocks_data.parquet";
    const body = Uint8Array.from({ length: 256 }, (_, i) => i);

    await lake.put(key, body);

    expect(await lake.get(key)).toEqual(body);
    expect(lake.root).toBe(root);
    expect(lake.uri(key)).toBe(
      join(root, "raw", "ingestion_date=2026-01-02", "stocks_data.parquet"),
    );
    expect(await allFiles(root)).toEqual([
      join("raw", "ingestion_date=2026-01-02", "stocks_data.parquet"),
    ]);
  });

  it("replaces a file whole when the same key is written again", async () => {
    await lake.put("aggregated/part-0.parquet", new TextEncoder().encode("first version, longer"));
    await lake.put("aggregated/part-0.parquet", new TextEncoder().encode("second"));
    expect(new TextDecoder().decode(await lake.get("aggregated/part-0.parquet"))).toBe("second");
  });

  it("lists the keys under a prefix, sorted, with / separators and without hidden files", async () => {
    for (const date of ["2026-01-05", "2026-01-02", "2026-01-04"]) {
      await lake.put(`raw/ingestion_date=${date}/stocks_data.parquet`, new Uint8Array([1]));
    }
    await lake.put("refined/data_pregao=2026-01-02/part-0.parquet", new Uint8Array([1]));
    await lake.put("rawish.txt", new Uint8Array([1]));
    await writeFile(join(root, "raw", ".leftover.tmp"), "x");

    expect(await lake.list("raw/")).toEqual([
      "raw/ingestion_date=2026-01-02/stocks_data.parquet",
      "raw/ingestion_date=2026-01-04/stocks_data.parquet",
      "raw/ingestion_date=2026-01-05/stocks_data.parquet",
    ]);
    expect(await lake.list("raw/ingestion_date=2026-01-0")).toHaveLength(3);
    expect(await lake.list("raw")).toHaveLength(4);
    expect(await lake.list("")).toHaveLength(5);
    expect(await lake.list("aggregated/")).toEqual([]);
  });

  it("reports a missing key as NotFound", async () => {
    const error = await lakeErrorOf(lake.get("raw/ingestion_date=2026-01-02/stocks_data.parquet"));
    expect(error.code).toBe("NotFound");
    expect(error.key).toBe("raw/ingestion_date=2026-01-02/stocks_data.parquet");
  });

  it("rejects keys that point outside the root, writing nothing", async () => {
    const escaping = ["../outside.parquet", "raw/../../outside.parquet", "/etc/b3.parquet"];
    for (const key of escaping) {
      expect(() => lake.uri(key)).toThrow(LakeError);
      const error = await lakeErrorOf(lake.put(key, new Uint8Array([1])));
      expect(error.code).toBe("InvalidLocation");
      expect(error.message).toContain("outside the lake");
      expect((await lakeErrorOf(lake.get(key))).code).toBe("InvalidLocation");
    }
    expect(await readdir(join(root, ".."))).not.toContain("outside.parquet");
  });

  it("leaves neither the file nor a temporary file behind when the final rename fails", async () => {
    // A non-empty folder where the file should go: the temporary file is written, then rename fails (also as root).
    const key = "raw/ingestion_date=2026-01-02/stocks_data.parquet";
    await mkdir(join(root, key), { recursive: true });
    await writeFile(join(root, key, "occupant"), "x");

    const error = await lakeErrorOf(lake.put(key, new Uint8Array([1, 2, 3])));

    expect(error.code).toBe("WriteFailed");
    expect(error.key).toBe(key);
    expect(error.message).toContain(join(root, key));
    expect(await allFiles(root)).toEqual([join(key, "occupant")]);
  });

  it("leaves nothing behind when a parent of the key is a regular file", async () => {
    await lake.put("raw/not-a-folder", new Uint8Array([1]));

    const error = await lakeErrorOf(
      lake.put("raw/not-a-folder/stocks_data.parquet", new Uint8Array([1])),
    );

    expect(error.code).toBe("WriteFailed");
    expect(await allFiles(root)).toEqual([join("raw", "not-a-folder")]);
  });
});
