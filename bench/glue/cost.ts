/**
 * The Glue bill of one job run from its duration: DPUs × billed seconds × the price per DPU-hour,
 * billed per second with a 1-minute minimum. The prices are us-east-1 list prices (docs/DEPLOY.md
 * cites the pages); the deployed job is infra/transform.ts: G.1X × 2 workers, execution class FLEX.
 */

/** US dollars per DPU-hour of a Spark job (us-east-1). */
export const PRICE_PER_DPU_HOUR = { standard: 0.44, flex: 0.29 } as const;
/** Glue 2.0 and later bill a job run per second, with this minimum. */
export const MINIMUM_BILLED_SECONDS = 60;
/** DPUs of one worker of each type (a G.1X worker is 4 vCPU and 16 GB: 1 DPU). */
export const DPU_PER_WORKER = { "G.1X": 1, "G.2X": 2 } as const;
export const RUNS_PER_MONTH = 30;

export interface GlueRun {
  workerType: keyof typeof DPU_PER_WORKER;
  workers: number;
  executionClass: keyof typeof PRICE_PER_DPU_HOUR;
  /** How long the job runs, in seconds. */
  seconds: number;
}

export interface GlueCost {
  label: string;
  billedSeconds: number;
  dpuSeconds: number;
  perRun: number;
  perMonth: number;
  note: string;
}

/** The bill of one run: whole seconds, at least the minimum, times the DPUs, at the class's price. */
export function glueRunCost(run: GlueRun, label: string): GlueCost {
  if (!(run.seconds >= 0) || !Number.isFinite(run.seconds)) {
    throw new Error(`a run's duration must be a finite number of seconds >= 0, got ${run.seconds}`);
  }
  const billedSeconds = Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(run.seconds));
  const dpuSeconds = billedSeconds * run.workers * DPU_PER_WORKER[run.workerType];
  const perRun = (dpuSeconds / 3600) * PRICE_PER_DPU_HOUR[run.executionClass];
  return {
    label,
    billedSeconds,
    dpuSeconds,
    perRun,
    perMonth: perRun * RUNS_PER_MONTH,
    note: `$${PRICE_PER_DPU_HOUR.flex} per DPU-hour Flex, $${PRICE_PER_DPU_HOUR.standard} standard, G.1X = 1 DPU per worker`,
  };
}

/**
 * The deployed configuration and its alternatives for a job that takes `jobSeconds` on Glue: the
 * same seconds on Standard, the floor the 1-minute minimum sets, and twice the time (S3 is slower
 * than a local disk for the many small files a run writes, so the local figure is a lower bound).
 */
export function glueCosts(jobSeconds: number): GlueCost[] {
  const deployed = { workerType: "G.1X", workers: 2, executionClass: "flex" } as const;
  return [
    glueRunCost({ ...deployed, seconds: jobSeconds }, "G.1X × 2, Flex (deployed)"),
    glueRunCost(
      { ...deployed, executionClass: "standard", seconds: jobSeconds },
      "G.1X × 2, Standard",
    ),
    glueRunCost({ ...deployed, seconds: 2 * jobSeconds }, "G.1X × 2, Flex, twice as long on Glue"),
    glueRunCost({ ...deployed, seconds: 0 }, "G.1X × 2, Flex, a job under the 1-minute minimum"),
  ];
}
