/** A `fetch` that answers Yahoo's v8 chart requests from recorded bodies in a folder (`DIR/<SYMBOL>.json`), served the way Yahoo would: only bars inside period1/period2, and Yahoo's 404 body for a symbol without a file. */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";

export const YAHOO_NOT_FOUND_BODY = {
  chart: {
    result: null,
    error: { code: "Not Found", description: "No data found, symbol may be delisted" },
  },
};

const CHART_PATH = /\/v8\/finance\/chart\/([^/?]+)/;

export function replayFetch(dir: string): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const symbol = CHART_PATH.exec(url.pathname)?.[1];
    if (symbol === undefined) return json(YAHOO_NOT_FOUND_BODY, 404);
    const decoded = decodeURIComponent(symbol);
    let text: string;
    try {
      text = await readFile(join(dir, `${basename(decoded)}.json`), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        return json(YAHOO_NOT_FOUND_BODY, 404);
      throw error;
    }
    const { period1, period2 } = periodOf(url);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // Serve unreadable recordings as they are: the parser's error path is part of what replay exercises.
      return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
    }
    return json(chartBodyWithinPeriod(body, period1, period2), 200);
  };
}

/** A chart body with only the bars whose timestamp t satisfies period1 <= t < period2 (in every indicator array), as Yahoo answers a period query. */
export function chartBodyWithinPeriod(body: unknown, period1: number, period2: number): unknown {
  const result = (body as { chart?: { result?: unknown[] } })?.chart?.result?.[0] as
    | ChartBody
    | undefined;
  if (!result || !Array.isArray(result.timestamp)) return body;
  const keep = result.timestamp.map((t) => typeof t === "number" && t >= period1 && t < period2);
  const filter = <T>(values: T[] | undefined) => values?.filter((_, i) => keep[i]);
  const filtered: ChartBody = { ...result, timestamp: filter(result.timestamp) };
  if (result.indicators) {
    filtered.indicators = Object.fromEntries(
      Object.entries(result.indicators).map(([name, series]) => [
        name,
        series.map((columns) =>
          Object.fromEntries(
            Object.entries(columns).map(([k, v]) => [k, Array.isArray(v) ? filter(v) : v]),
          ),
        ),
      ]),
    );
  }
  // Yahoo leaves out `timestamp` (and sends an empty quote) when no bar falls in the period.
  if (filtered.timestamp?.length === 0) {
    delete filtered.timestamp;
    filtered.indicators = { quote: [{}], adjclose: [{}] };
  }
  return { ...(body as object), chart: { result: [filtered], error: null } };
}

interface ChartBody {
  timestamp?: unknown[];
  indicators?: Record<string, Record<string, unknown>[]>;
  [key: string]: unknown;
}

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The period1/period2 (unix seconds) of a chart request URL; unbounded when absent. */
export function periodOf(url: URL): { period1: number; period2: number } {
  const read = (name: string, fallback: number) => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : Number(value);
  };
  return {
    period1: read("period1", Number.NEGATIVE_INFINITY),
    period2: read("period2", Number.POSITIVE_INFINITY),
  };
}
