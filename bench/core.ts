/**
 * Everything the bench takes from the product and from its test support, in one place: when core's
 * files move, only these lines change. Commands run as child processes are named here by path.
 */
import { join } from "node:path";
import { REPO_ROOT } from "./lib.ts";

export { extractToLake } from "../packages/core/src/extract/extract.ts";
export { extractWindow } from "../packages/core/src/extract/window.ts";
export { createChartClient } from "../packages/core/src/extract/yahoo-chart.ts";
export { rawKey } from "../packages/core/src/lake/layout.ts";
export { localLake } from "../packages/core/src/lake/local-lake.ts";
export { sqlString } from "../packages/core/src/sql-string.ts";
export { bodyAs, FIXTURES, loadBody } from "../packages/core/test/chart-bodies.ts";
export { fetchVia, startFakeYahoo } from "../packages/core/test/fake-yahoo.ts";

/** The `b3` command, run as `npm run b3` runs it. */
export const B3_CLI = join(REPO_ROOT, "packages/cli/src/b3.ts");
/** The extract Lambda's entry point, bundled as SST bundles it. */
export const EXTRACT_HANDLER = join(REPO_ROOT, "packages/functions/src/extract.ts");
