/** A local HTTP server playing Yahoo's v8 chart endpoint for tests and benchmarks: recorded bodies served with replay semantics, optional latency, and scripted misbehaviour per symbol. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chartBodyWithinPeriod, periodOf, replayFetch } from "../src/extract/replay-fetch.ts";

/** What the server does for one request: a status with a body, garbage, or no answer at all. */
export type Misbehaviour =
  | { status: number; body?: string; contentType?: string }
  | { hang: true }
  | { json: unknown };

// Captured at load: tests may replace globalThis.fetch with this server's own fetch.
const realFetch = globalThis.fetch;

export interface FakeYahooOptions {
  /** Folder of recorded bodies (`<SYMBOL>.json`). */
  replayDir: string;
  /** Delay before each answer, in ms. */
  latencyMs?: number;
  /** Per symbol, answers used up one per request before the recorded body is served. */
  script?: Record<string, Misbehaviour[]>;
  /** Per symbol, a chart body generated on the fly (benchmarks: hundreds of symbols from one recording). */
  body?: (symbol: string) => unknown;
}

export interface FakeYahoo {
  url: string;
  /** A fetch that sends yahoo-finance2's requests to this server instead of Yahoo. */
  fetch: typeof fetch;
  /** Symbols requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeYahoo(options: FakeYahooOptions): Promise<FakeYahoo> {
  const { latencyMs = 0, script = {} } = options;
  const replay = replayFetch(options.replayDir);
  const requests: string[] = [];
  const pending = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake-yahoo");
    const symbol = decodeURIComponent(
      /\/v8\/finance\/chart\/([^/?]+)/.exec(url.pathname)?.[1] ?? "",
    );
    requests.push(symbol);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const next = script[symbol]?.shift();
    if (next && "hang" in next) {
      pending.add(res);
      return; // never answers; the client's timeout must fire
    }
    if (next && "status" in next) {
      res.writeHead(next.status, { "content-type": next.contentType ?? "text/plain" });
      res.end(next.body ?? "");
      return;
    }
    let response: Response;
    if (next && "json" in next) {
      response = Response.json(next.json);
    } else if (options.body) {
      // Generated bodies get the same period filtering as recorded ones.
      const { period1, period2 } = periodOf(url);
      response = Response.json(chartBodyWithinPeriod(options.body(symbol), period1, period2));
    } else {
      response = await replay(`https://query2.finance.yahoo.com${url.pathname}${url.search}`);
    }
    res.writeHead(response.status, { "content-type": "application/json" });
    res.end(await response.text());
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    fetch: fetchVia(base),
    close: async () => {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fetch that sends every request to `base` instead, keeping its path and query (Yahoo → a local fake). */
export function fetchVia(base: string): typeof fetch {
  return (input, init) => {
    const original = new URL(input instanceof Request ? input.url : String(input));
    return realFetch(`${base}${original.pathname}${original.search}`, init);
  };
}
