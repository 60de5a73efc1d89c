/** `b3 report`: one self-contained HTML page about a local lake (charts of close, MA7 and volume per ticker, monthly aggregates, rows dropped, gaps), optionally opened in a browser. */
import { mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "@b3/core/errors";
import { writeFileAtomic } from "@b3/core/lake";
import { type LakeReport, ReportError, readLakeReport } from "@b3/core/report";
import { type CliIo, EXIT } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { LAKE_DEFAULT } from "../defaults.ts";
import { FLAGS, optional, text, toggle } from "../flags.ts";
import { lakeLocation, localLakeRoot, requireLakeFolder } from "../lake-arg.ts";
import { openInBrowser } from "../report/open-in-browser.ts";
import { readPageAssets } from "../report/page-assets.ts";
import { renderReportHtml } from "../report/report-html.ts";

/** The page's name in the lake folder when --out is not given. */
export const REPORT_FILE = "report.html";

export const report = defineCommand({
  name: "report",
  summary: "one self-contained HTML page: charts per ticker, monthly aggregates, drops, gaps",
  description:
    "Writes one HTML file, readable offline, about a local lake: per ticker a chart of close and " +
    "MA7 (media_movel_7d) with volume bars, the last close, its monthly aggregates, raw rows dropped " +
    "per reason and sessions missing from its history. Prints the file's path.",
  flags: {
    lake: { ...FLAGS.lake, value: "PATH", help: `the local lake (default: ${LAKE_DEFAULT})` },
    out: optional({
      value: "FILE",
      help: `where to write the page (default: ${REPORT_FILE} in the lake folder); its folder is created if need be`,
      parse: nonEmpty,
    }),
    tickers: {
      ...FLAGS.tickers,
      help: "tickers to show, comma-separated (default: every ticker in the lake)",
      env: undefined,
    },
    open: toggle(
      "open the page in a browser: $BROWSER, else xdg-open (Linux), open (macOS), start (Windows)",
    ),
  },
  notes:
    "Exit codes: 0 written (a failed --open is a warning); 1 nothing written (no sessions in the " +
    "lake, cannot write); 2 usage error (no lake there, a bad flag).\n" +
    "Example: npx b3 report --lake .lake/demo --open",
  async run(values, io) {
    const lakeRoot = localLakeRoot(
      lakeLocation(values.lake, io),
      "b3 report reads local lakes only: copy the S3 lake to a folder first (aws s3 sync)",
    );
    const out = resolve(io.cwd, values.out ?? join(lakeRoot, REPORT_FILE));
    if (isDirectory(out)) {
      throw new UsageError("InvalidValue", `--out ${out} is a folder`, {
        remedy: `name a file, e.g. --out ${join(out, REPORT_FILE)}`,
      });
    }
    requireLakeFolder(lakeRoot, io);
    const data = await readLakeReport(lakeRoot, { tickers: values.tickers });
    if (data.absentTickers.length > 0) {
      throw new UsageError(
        "InvalidValue",
        `--tickers: ${data.absentTickers.join(", ")} not in the lake at ${lakeRoot}`,
        { remedy: `name tickers the lake holds: ${data.lakeTickers.join(", ")}` },
      );
    }
    const html = renderReportHtml(data, { generatedAt: io.now(), assets: readPageAssets() });
    writePage(out, html);
    io.stdout.write(`${out}\n`);
    io.stderr.write(`${describe(data)}; ${Math.round(Buffer.byteLength(html) / 1024)} KB\n`);
    if (values.open) await open(out, io);
    return EXIT.ok;
  },
});

function nonEmpty(value: string, flag: string): string {
  if (value.trim() === "") throw new UsageError("MissingValue", `${flag} is empty`);
  return text(value);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Writes the page whole or not at all (temporary file, rename). */
function writePage(out: string, html: string): void {
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomic(out, html);
  } catch (error) {
    throw new ReportError("WriteFailed", `cannot write ${out}: ${(error as Error).message}`, {
      remedy: "write it to a file in a folder you may write to",
      cause: error,
    });
  }
}

/** One line for stderr: what the page shows. */
function describe(data: LakeReport): string {
  const gaps = data.tickers.reduce((n, t) => n + t.missingSessions.length, 0);
  return (
    `report of ${data.tickers.length} ticker(s), sessions ${data.market.first} → ${data.market.last}, ` +
    `${gaps} missing session(s), ${data.weekdaysWithoutSession.length} weekday(s) without any session`
  );
}

async function open(file: string, io: CliIo): Promise<void> {
  try {
    const command = await openInBrowser(file, { env: io.env });
    io.stderr.write(`opened with ${command}\n`);
  } catch (error) {
    io.stderr.write(
      `warning: could not open the report (${(error as Error).message})\n` +
        "  what to do: open the file yourself, or set BROWSER to a browser command\n",
    );
  }
}
