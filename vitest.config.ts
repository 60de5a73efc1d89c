import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    globalSetup: ["packages/core/test/moto-server.ts", "packages/cli/test/trino-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
