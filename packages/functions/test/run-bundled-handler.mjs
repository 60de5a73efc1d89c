// Runs a bundled Lambda handler once in this fresh process, as the Lambda runtime would: imports the
// bundle, calls `handler()`, prints its result as JSON. Before that, sends Yahoo's requests to the
// local fake at FAKE_YAHOO_URL and sets the clock to TEST_NOW (the recorded bodies are from 2020).
//   node run-bundled-handler.mjs <bundle.mjs>
import { fetchVia } from "../../core/test/fake-yahoo.ts";

const fixedNow = Date.parse(process.env.TEST_NOW);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length > 0 ? args : [fixedNow]));
  }
  static now() {
    return fixedNow;
  }
};
globalThis.fetch = fetchVia(process.env.FAKE_YAHOO_URL);
const { handler } = await import(process.argv[2]);
process.stdout.write(`${JSON.stringify(await handler())}\n`);
