/** Test helpers that derive chart bodies from the recorded fixtures (so prices stay real). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("./fixtures/yahoo", import.meta.url));

export interface ChartBody {
  chart: {
    result: Array<{
      meta: Record<string, unknown>;
      timestamp?: number[];
      indicators: {
        quote: Array<Record<string, Array<number | null>>>;
        adjclose?: Array<Record<string, Array<number | null>>>;
      };
    }>;
    error: null;
  };
}

export function loadBody(symbol: string): ChartBody {
  return JSON.parse(readFileSync(`${FIXTURES}/${symbol}.json`, "utf8"));
}

/** The recorded body with its symbol renamed (benchmarks and tests need many symbols). */
export function bodyAs(symbol: string, template: ChartBody): ChartBody {
  const body = structuredClone(template);
  const [result] = body.chart.result;
  if (result) result.meta = { ...result.meta, symbol };
  return body;
}
