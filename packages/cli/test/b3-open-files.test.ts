/** Any size of run under a low open-files limit: a backfill of 5,000 sessions of one ticker (5,000 partitions) transforms under `ulimit -n 256`. */
import { spawnSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addDays, type RawRow } from "@b3/core/extract";
import { encodeRawParquet, rawKey } from "@b3/core/lake";
import { queryLake } from "@b3/core/query";
import { describe, expect, it } from "vitest";
import { tempFolder } from "../../core/test/temp-folder.ts";

const B3 = fileURLToPath(new URL("../src/b3.ts", import.meta.url));
// Twenty times the descriptor limit: a writer holding one file per partition fails long before the end.
const SESSIONS = 5_000;

const lake = tempFolder("b3-open-files-");

/** One bar a day from 1880-01-01 on, prices walking by cents. */
function backfill(): RawRow[] {
  const ingested = new Date("2026-01-01T09:00:00Z");
  return Array.from({ length: SESSIONS }, (_, i) => {
    const close = 20 + ((i * 37) % 1000) / 100;
    return {
      ticker: "LONG3.SA",
      trade_date: addDays("1880-01-01", i),
      open: close - 0.05,
      high: close + 0.1,
      low: close - 0.1,
      close,
      adj_close: close,
      volume: 1000 + i,
      ingested_at: ingested,
    };
  });
}

describe("b3 transform under ulimit -n 256", () => {
  it("writes 5,000 partitions of one ticker without running out of file descriptors", async () => {
    const date = addDays("1880-01-01", SESSIONS);
    const raw = join(lake.path, rawKey(date));
    await mkdir(join(raw, ".."), { recursive: true });
    await writeFile(raw, encodeRawParquet(backfill()));
    const run = spawnSync(
      "bash",
      [
        "-c",
        'ulimit -n 256 && exec "$0" "$@"',
        process.execPath,
        B3,
        "transform",
        "--date",
        date,
        "--lake",
        lake.path,
        "--json",
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    expect(run.stderr).not.toMatch(/Too many open files/);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      sessions: SESSIONS,
      partitions_written: SESSIONS,
      refined_rows_total: SESSIONS,
      first_partition: "1880-01-01",
      last_partition: addDays("1880-01-01", SESSIONS - 1),
    });
    expect((await readdir(join(lake.path, "refined"))).length).toBe(SESSIONS);
    const tail = await queryLake(
      lake.path,
      "SELECT count(*), count(media_movel_7d), max(data_pregao) FROM refined_stocks",
    );
    expect(tail.rows).toEqual([[SESSIONS, SESSIONS - 6, addDays("1880-01-01", SESSIONS - 1)]]);
  }, 240_000);
});
