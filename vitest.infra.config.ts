import { defineConfig } from "vitest/config";

/**
 * Infra unit tests: synthesize the SST app under Pulumi mocks (infra/test/synth.ts).
 * `forks` because SST's run() calls process.chdir, and each file gets its own Pulumi runtime.
 * Needs `.sst/platform` (scripts/ensure-sst.sh installs it offline).
 */
export default defineConfig({
  test: {
    include: ["infra/test/**/*.test.ts"],
    pool: "forks",
    setupFiles: ["infra/test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
