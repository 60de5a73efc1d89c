/** Crash-safe publish of a transform into a folder lake: a journal written before the first rename, steps that can be redone, and recovery that completes an interrupted publish or removes unpublished staging. */
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { faultPoint } from "./fault-points.ts";
import { localLake } from "./local-lake.ts";
import { acquireLakeLock, type LakeLock } from "./lock.ts";

export const STAGING_FOLDER = "_transform_staging";
export const JOURNAL_FILE = "_transform_journal.json";
export const STATE_FILE = "_transform_state.json";

/** Which raw files (lake-relative key → identity) the refined table already reflects. */
export interface TransformState {
  version: 1;
  applied: Record<string, string>;
}

export interface PublishJournal {
  version: 1;
  run_id: string;
  /** Both engines publish file by file: a staged file replaces the target file of the same name in one rename (or, on S3, one copy). */
  method: "move-files";
  /** Lake-relative staging folder of the run. */
  staging: string;
  /** Lake-relative target folders (`refined/data_pregao=D`, `aggregated`) → the file names they hold once published, staged at `<staging>/<folder>/<name>`. */
  files: Record<string, string[]>;
  /** `data_pregao=D` folders that no longer hold any row: removed. */
  delete_partitions: string[];
  /** The state to record once everything is in place. */
  state: TransformState;
}

/** The identity of a raw file for the state: byte size and whole-millisecond modification time. */
export function fileIdentity(path: string): string {
  const stat = statSync(path);
  return `${stat.size}:${Math.floor(stat.mtimeMs)}`;
}

export function readState(lakeRoot: string): TransformState {
  const path = join(lakeRoot, STATE_FILE);
  if (!existsSync(path)) return { version: 1, applied: {} };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as TransformState;
  return { version: 1, applied: parsed.applied ?? {} };
}

/** Writes `text` to `path` whole or not at all (temporary file, fsync, rename); a failed write leaves no temporary file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    writeFileSync(tmp, text);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Records the journal, then applies it. The journal is the commit point: from then on the publish completes, now or at recovery. */
export function publishStaged(lakeRoot: string, journal: PublishJournal): void {
  faultPoint("publish:before-journal");
  writeFileAtomic(join(lakeRoot, JOURNAL_FILE), `${JSON.stringify(journal)}\n`);
  faultPoint("publish:after-journal");
  applyJournal(lakeRoot, journal);
}

/**
 * Completes an interrupted publish (a journal is there) or removes staging that was never
 * published (no journal). Call it holding the lake lock, before reading the lake. Returns what it
 * did, for the caller's log.
 */
export function recoverLake(lakeRoot: string): "completed" | "cleaned" | "clean" {
  const journalPath = join(lakeRoot, JOURNAL_FILE);
  if (existsSync(journalPath)) {
    applyJournal(lakeRoot, JSON.parse(readFileSync(journalPath, "utf8")) as PublishJournal);
    return "completed";
  }
  const staging = join(lakeRoot, STAGING_FOLDER);
  if (!existsSync(staging)) return "clean";
  rmSync(staging, { recursive: true, force: true });
  return "cleaned";
}

/**
 * Runs `work` as the folder lake's one writer: holding the lake lock, after completing or undoing
 * whatever publish a crashed writer left. Every local transform engine goes through here.
 */
export async function asLakeWriter<T>(
  lakeRoot: string,
  options: { owner: string; lockWaitMs?: number | undefined },
  work: (lock: LakeLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireLakeLock(localLake(lakeRoot), {
    owner: options.owner,
    ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }),
  });
  try {
    recoverLake(lakeRoot);
    return await work(lock);
  } finally {
    await lock.release();
  }
}

/** True when the lake holds an interrupted publish or staging leftovers (a cheap check, no lock needed). */
export function needsRecovery(lakeRoot: string): boolean {
  return existsSync(join(lakeRoot, JOURNAL_FILE)) || existsSync(join(lakeRoot, STAGING_FOLDER));
}

/**
 * Every step checks what is already done, so running this again after a crash at any point
 * finishes the same publish. A staged file replaces the target file of the same name in one
 * rename: a partition whose files keep their names (every partition this engine writes) is old or
 * new at every instant, never missing or mixed; a folder the lake does not hold yet moves in
 * whole. Files of the folder the publish does not list (another engine's names) are removed after
 * the new ones are in.
 */
function applyJournal(lakeRoot: string, journal: PublishJournal): void {
  const staging = join(lakeRoot, journal.staging);
  // A table the lake does not hold yet (a first run) moves in whole, every partition at once.
  const tablesMovedWhole = new Set<string>();
  for (const table of new Set(Object.keys(journal.files).map(tableOf))) {
    if (existsSync(join(lakeRoot, table)) || !existsSync(join(staging, table))) continue;
    renameSync(join(staging, table), join(lakeRoot, table));
    faultPoint("publish:step");
    tablesMovedWhole.add(table);
  }
  for (const [folder, names] of Object.entries(journal.files)) {
    if (tablesMovedWhole.has(tableOf(folder))) continue;
    const target = join(lakeRoot, folder);
    const stagedFolder = join(staging, folder);
    if (!existsSync(target) && existsSync(stagedFolder)) {
      // A folder the lake does not hold yet (a new partition) moves in whole: one rename instead
      // of a folder made and a rename per file, and a reader sees it complete or not at all. It
      // then holds what the engine staged there, the files listed (engines stage nothing else),
      // so there is nothing left to move or remove.
      mkdirSync(dirname(target), { recursive: true });
      renameSync(stagedFolder, target);
      faultPoint("publish:step");
      continue;
    }
    mkdirSync(target, { recursive: true });
    for (const name of names) {
      const staged = join(staging, folder, name);
      if (!existsSync(staged)) continue; // moved before the crash
      renameSync(staged, join(target, name));
      faultPoint("publish:step");
    }
    const keep = new Set(names);
    for (const name of readdirSync(target)) {
      if (keep.has(name)) continue;
      rmSync(join(target, name), { recursive: true, force: true });
      faultPoint("publish:step");
    }
  }
  for (const partition of journal.delete_partitions) {
    const target = join(lakeRoot, "refined", partition);
    if (!existsSync(target)) continue;
    rmSync(target, { recursive: true, force: true });
    faultPoint("publish:step");
  }
  writeFileAtomic(join(lakeRoot, STATE_FILE), `${JSON.stringify(journal.state)}\n`);
  faultPoint("publish:after-state");
  rmSync(join(lakeRoot, JOURNAL_FILE), { force: true });
  faultPoint("publish:after-journal-removed");
  rmSync(join(lakeRoot, STAGING_FOLDER), { recursive: true, force: true });
}

/** The table a journal folder belongs to: `refined` for `refined/data_pregao=D`. */
const tableOf = (folder: string): string => folder.split("/")[0] ?? folder;

/** The files each staged folder holds: the journal's `files`, read from what the writers put under `staging`. */
export function stagedFiles(lakeRoot: string, stagingKey: string): Record<string, string[]> {
  const staging = join(lakeRoot, stagingKey);
  const files: Record<string, string[]> = {};
  const list = (folder: string) =>
    readdirSync(join(staging, folder))
      .filter((f) => f.endsWith(".parquet"))
      .sort();
  if (existsSync(join(staging, "refined"))) {
    for (const partition of readdirSync(join(staging, "refined")).sort()) {
      files[`refined/${partition}`] = list(`refined/${partition}`);
    }
  }
  files.aggregated = list("aggregated");
  return files;
}
