/**
 * The local Trino's life cycle (start, reuse, idle stop, stop, a dead supervisor's leftovers), with a
 * stand-in for Java that answers Trino's /v1/info on the port the configuration gives it: what is
 * tested is the supervision, not Trino (b3-query-trino.test.ts runs the real one).
 */
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAlive } from "../src/lake/lock.ts";
import { TrinoSetupError } from "../src/query/errors.ts";
import {
  ensureTrinoServer,
  readTrinoState,
  runningTrino,
  stopTrinoServer,
  touchTrino,
} from "../src/query/trino-server.ts";

/** Reads the port from -Dconfig, answers like a started Trino, logs its arguments, exits on SIGTERM. */
const FAKE_JAVA = `
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_JAVA_LOG, JSON.stringify(args) + "\\n");
if (process.env.FAKE_JAVA_FAIL) { console.error("Error: could not start (fake)"); process.exit(3); }
const config = readFileSync(args.find((a) => a.startsWith("-Dconfig=")).slice(9), "utf8");
const port = Number(/http-server.http.port=(\\d+)/.exec(config)[1]);
createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(req.url === "/v1/query" ? "[]" : JSON.stringify({ starting: false }));
}).listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

let work: string;
let runDir: string;
let installDir: string;
let java: string;
let javaLog: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "b3-trino-server-"));
  runDir = join(work, "run");
  installDir = join(work, "trino-server-476");
  mkdirSync(join(installDir, "plugin", "hive"), { recursive: true });
  javaLog = join(work, "java.log");
  writeFileSync(join(work, "fake-java.mjs"), FAKE_JAVA);
  java = join(work, "java");
  writeFileSync(
    java,
    `#!/bin/sh\nFAKE_JAVA_LOG='${javaLog}' exec '${process.execPath}' '${join(work, "fake-java.mjs")}' "$@"\n`,
  );
  chmodSync(java, 0o755);
});

afterEach(async () => {
  await stopTrinoServer(runDir);
  await rm(work, { recursive: true, force: true });
});

const javaStarts = () =>
  readFileSync(javaLog, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as string[]);

describe("ensureTrinoServer", () => {
  it("starts one server on a loopback port with the configuration written, then reuses it", async () => {
    const notices: string[] = [];
    const options = { installDir, runDir, java, onStart: (m: string) => notices.push(m) };
    const first = await ensureTrinoServer(options);
    expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
    expect(isAlive(first.pid) && isAlive(first.javaPid)).toBe(true);
    expect(notices).toEqual([expect.stringMatching(/^starting Trino 476 \(2G heap; log: /)]);

    const again = await ensureTrinoServer(options);
    expect(again).toEqual(first);
    expect(notices).toHaveLength(1);
    expect(javaStarts()).toHaveLength(1);

    const args = javaStarts()[0] ?? [];
    expect(args).toEqual(
      expect.arrayContaining([
        "-Xmx2G",
        "-Duser.timezone=UTC",
        "-Dnode.bind-ip=127.0.0.1",
        "io.trino.server.TrinoServer",
      ]),
    );
    const hive = readFileSync(join(runDir, "etc", "catalog", "hive.properties"), "utf8");
    expect(hive).toContain("hive.metastore=file\n");
    expect(hive).toContain(`hive.metastore.catalog.dir=local://${join(runDir, "metastore")}\n`);
    expect(hive).toContain("fs.native-local.enabled=true\n");
    expect(hive).toContain("hive.partition-projection-enabled=true\n");
    expect(hive).toContain("hive.ignore-absent-partitions=true\n");
    expect(hive).toContain("hive.timestamp-precision=MILLISECONDS\n");
    const config = readFileSync(join(runDir, "etc", "config.properties"), "utf8");
    expect(config).toContain(`http-server.http.port=${first.port}\n`);
    expect(readlinkSync(join(runDir, "plugins", "hive"))).toBe(join(installDir, "plugin", "hive"));
  });

  it("two clients at once start one server", async () => {
    const options = { installDir, runDir, java };
    const [a, b] = await Promise.all([ensureTrinoServer(options), ensureTrinoServer(options)]);
    expect(a).toEqual(b);
    expect(javaStarts()).toHaveLength(1);
  });

  it("stops by itself after the idle time, counted from the last use", async () => {
    const state = await ensureTrinoServer({ installDir, runDir, java, idleTimeoutMs: 1_500 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    touchTrino(runDir);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await runningTrino(runDir)).toEqual(state);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && isAlive(state.pid)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(isAlive(state.pid)).toBe(false);
    expect(isAlive(state.javaPid)).toBe(false);
    expect(readTrinoState(runDir)).toBeUndefined();
    expect(readFileSync(join(runDir, "server.log"), "utf8")).toMatch(
      /stopping Trino: idle for \d+ s/,
    );
  });

  it("stopTrinoServer stops Java and the supervisor; false when nothing runs", async () => {
    const state = await ensureTrinoServer({ installDir, runDir, java });
    expect(await stopTrinoServer(runDir)).toBe(true);
    expect(isAlive(state.pid) || isAlive(state.javaPid)).toBe(false);
    expect(readTrinoState(runDir)).toBeUndefined();
    expect(await stopTrinoServer(runDir)).toBe(false);
  });

  it("replaces a server whose supervisor was killed, stopping its Java", async () => {
    const old = await ensureTrinoServer({ installDir, runDir, java });
    process.kill(old.pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(old.javaPid)).toBe(true);
    const fresh = await ensureTrinoServer({ installDir, runDir, java });
    expect(fresh.pid).not.toBe(old.pid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(old.javaPid)).toBe(false);
  });

  it("a Java that fails to start: the error shows the end of the log", async () => {
    writeFileSync(java, readFileSync(java, "utf8").replace("exec", "FAKE_JAVA_FAIL=1 exec"));
    const started = ensureTrinoServer({ installDir, runDir, java, startTimeoutMs: 20_000 });
    await expect(started).rejects.toThrow(TrinoSetupError);
    await expect(started).rejects.toThrow(/Trino did not start;[\s\S]*could not start \(fake\)/);
    expect(readTrinoState(runDir)).toBeUndefined();
  });
});
