// Cold module init of one bundle (or of some packages, imported one after the other), in a fresh
// process: the time from process start (Node's performance.timeOrigin) to the module having
// evaluated, and the import alone. Plain .mjs on purpose: no TypeScript stripping in the measured
// path, as on Lambda.
const beforeImport = performance.now();
for (const specifier of process.argv.slice(2)) await import(specifier);
const evaluated = performance.now();
const cpu = process.cpuUsage();

// After the measurement: which CommonJS files the import loaded (the external AWS SDK is CommonJS).
const { createRequire } = await import("node:module");
const { statSync } = await import("node:fs");
const cjsFiles = Object.keys(createRequire(import.meta.url).cache);
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
