// Cold module init of one bundle (or of some packages, imported one after the other), in a fresh
// process: the time from process start (Node's performance.timeOrigin) to the module having
// evaluated, and the import alone. Plain .mjs on purpose: no TypeScript stripping in the measured
// path, as on Lambda.
// "require:NAME" loads a package with require() instead, as core loads the AWS SDK (s3-lake.ts).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const beforeImport = performance.now();
for (const specifier of process.argv.slice(2)) {
  if (specifier.startsWith("require:")) require(specifier.slice("require:".length));
  else await import(specifier);
}
const evaluated = performance.now();
const cpu = process.cpuUsage();

// After the measurement: which CommonJS files the import loaded (the external AWS SDK is CommonJS).
const { statSync } = await import("node:fs");
const cjsFiles = Object.keys(require.cache);
const cjsBytes = cjsFiles.reduce((sum, file) => sum + statSync(file).size, 0);

process.stdout.write(
  `${JSON.stringify({
    sinceProcessStartMs: evaluated,
    importMs: evaluated - beforeImport,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cjsFiles: cjsFiles.length,
    cjsBytes,
    maxRssKiB: process.resourceUsage().maxRSS,
  })}\n`,
);
