/** What the local engine registers instead of a shared SQL file's text when every raw file of the lake is pending: the same result without work whose answer is then known. */

/**
 * candidate_partitions when every raw file of the lake is pending (a first run, or a lake whose
 * state was lost): every session is then a pending key, so the sessions following a key all lie on
 * own dates and 04's result is its own dates alone. Equal to what 04 gives, without its windows
 * over the whole table twice.
 */
export const OWN_PARTITIONS_ONLY =
  "SELECT DISTINCT data_pregao, TRUE AS is_own FROM raw_classified WHERE is_pending";

/** 01's closing lines: each merged key marked in_run and is_pending by joining the keys of raw_input and raw_pending. */
const KEY_MARK_JOINS =
  /r\.ticker IS NOT NULL AS in_run,\s*p\.ticker IS NOT NULL AS is_pending\s*FROM merged AS m\s*LEFT JOIN run_keys AS r ON [^\n]*\n\s*LEFT JOIN pending_keys AS p ON [^\n]*\s*$/;

/**
 * raw_classified when the lake's only raw file is the run's own and it is pending (a first run on
 * an empty lake): every key is then in raw_input and in raw_pending, so both marks are TRUE and
 * 01's two joins over every key are left out. Null when 01's text no longer ends with those joins
 * (the file then runs as written).
 */
export function withKeysAllInRun(text: string): string | null {
  if (!KEY_MARK_JOINS.test(text)) return null;
  return text.replace(KEY_MARK_JOINS, "TRUE AS in_run,\n  TRUE AS is_pending\nFROM merged AS m\n");
}
