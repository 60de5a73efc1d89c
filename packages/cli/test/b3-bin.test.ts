/** `npx b3` after `npm ci`: the workspace's bin runs the command on the project's Node 22 whatever Node the shell finds first, with stdout holding only data. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { tempFolder } from "../../core/test/temp-folder.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = `${REPO}node_modules/.bin/b3`;
const VERSION = (await import(`${REPO}package.json`, { with: { type: "json" } })).default.version;
// The machine's own Node when there is one (it may be older than the project's), else this one.
const PATH = existsSync("/usr/bin/node")
  ? "/usr/bin:/bin"
  : `${dirname(process.execPath)}:/usr/bin:/bin`;

const root = tempFolder("b3-bin-");

const b3 = (args: string[]) =>
  execFileSync(BIN, args, { env: { PATH, HOME: process.env.HOME }, encoding: "utf8" });

describe("the b3 bin", () => {
  it("is linked into node_modules/.bin and prints the version", () => {
    expect(b3(["--version"])).toBe(`${VERSION}\n`);
  });

  it("pipes clean CSV: the query's data on stdout, nothing else", () => {
    const lake = join(root.path, "lake");
    b3([
      "run",
      "--date",
      "2020-07-01",
      "--tickers",
      "PETR4.SA",
      "--replay",
      FIXTURES,
      "--lake",
      lake,
    ]);
    const csv = b3([
      "query",
      "--lake",
      lake,
      "--format",
      "csv",
      "SELECT nome_acao, count(*) AS n FROM refined_stocks GROUP BY 1",
    ]);
    expect(csv).toBe("nome_acao,n\r\nPETR4.SA,123\r\n"); // RFC 4180 line ends
  }, 60_000);
});
