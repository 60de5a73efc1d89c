/** Replay's own words for a symbol without a recording: the replay answers Yahoo's 404, as Yahoo would, and this names the missing file and the recordings there are. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ExtractReport } from "./extract.ts";

/** Rewrites each not-found outcome of a replayed run whose recording is missing in `dir` to name the file and list the recordings there. */
export function explainReplayMisses(report: ExtractReport, dir: string): void {
  const recorded = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith(".json"))
        .map((name) => name.slice(0, -".json".length))
        .sort()
    : [];
  const have =
    recorded.length === 0
      ? `${dir} holds no recording`
      : `it has ${recorded.slice(0, 12).join(", ")}${recorded.length > 12 ? ` and ${recorded.length - 12} more` : ""}`;
  for (const outcome of report.outcomes) {
    if (outcome.status !== "failed" || outcome.kind !== "not_found") continue;
    const file = join(dir, `${outcome.ticker}.json`);
    if (existsSync(file)) continue;
    outcome.reason = `no replay file ${file}; ${have}`;
    outcome.remedy = "choose tickers that have a recording, or record this one's chart body there";
    outcome.settings = ["tickers", "replay"];
  }
}
