/// <reference path="./.sst/platform/config.d.ts" />

/**
 * b3-pipeline on AWS. Infra lives in ./infra, one module per concern; see docs/DEPLOY.md.
 * Permanent stages (prod) keep their data: buckets are retained on removal and `sst remove`
 * refuses to run.
 */
export default $config({
  app(input) {
    const permanent = input?.stage === "prod";
    return {
      name: "b3-pipeline",
      home: "aws",
      removal: permanent ? "retain" : "remove",
      protect: permanent,
      // One region for laptops and CI alike, so both deploy (and keep state for) the same stack.
      // Change it only before the first deploy of a stage.
      providers: { aws: { region: "us-east-1" } },
    };
  },
  async run() {
    const { outputs } = await import("./infra");
    return outputs;
  },
});
