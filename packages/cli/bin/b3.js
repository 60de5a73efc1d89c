#!/usr/bin/env node
/**
 * The `b3` executable (`npx b3 …`): runs src/b3.ts on the project's own Node 22 (the `node`
 * package, which runs TypeScript as it is), whatever Node the shell found first.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const node = createRequire(import.meta.url).resolve("node/bin/node");
const entry = fileURLToPath(new URL("../src/b3.ts", import.meta.url));
const run = spawnSync(node, [entry, ...process.argv.slice(2)], { stdio: "inherit" });
if (run.error) {
  process.stderr.write(`b3: cannot start ${node}: ${run.error.message}; run npm ci first\n`);
  process.exit(1);
}
process.exit(run.status ?? 128 + (constants.signals[run.signal] ?? 0));
