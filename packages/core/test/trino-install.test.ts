/**
 * Getting the local Trino: Java discovery, and the download's checks against a local stand-in for
 * Maven Central (the real 820 MB download is what scripts/ensure-trino.sh does).
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrinoSetupError } from "../src/query/errors.ts";
import {
  ensureTrinoInstalled,
  findJava,
  TRINO_SHA1,
  trinoArtifactUrl,
  trinoHome,
} from "../src/query/trino-install.ts";
import { Capture } from "./capture.ts";
import { tempFolder } from "./temp-folder.ts";

const work = tempFolder("b3-trino-install-");

/** A JDK folder whose `java` claims version `version`, with or without a `release` file. */
function fakeJdk(name: string, version: string, withRelease = true): string {
  const home = join(work.path, name);
  mkdirSync(join(home, "bin"), { recursive: true });
  const java = join(home, "bin", "java");
  writeFileSync(java, `#!/bin/sh\necho 'openjdk version "${version}" 2025-01-01' >&2\n`);
  chmodSync(java, 0o755);
  if (withRelease) writeFileSync(join(home, "release"), `JAVA_VERSION="${version}"\n`);
  return home;
}

describe("findJava", () => {
  it("takes JAVA_HOME when it is Java 24 or newer", () => {
    const jdk25 = fakeJdk("jdk25", "25.0.3");
    expect(findJava({ JAVA_HOME: jdk25, PATH: "" }, [])).toEqual({
      java: join(jdk25, "bin", "java"),
      version: 25,
    });
  });

  it("passes over an older JAVA_HOME to a known Temurin, reading `java -version` without a release file", () => {
    const jdk17 = fakeJdk("jdk17", "17.0.2");
    const jdk24 = fakeJdk("jdk24", "24.0.1", false);
    expect(findJava({ JAVA_HOME: jdk17, PATH: "" }, [jdk24]).version).toBe(24);
  });

  it("names what it found and how to get a suitable Java when there is none", () => {
    const jdk17 = fakeJdk("jdk17b", "17.0.2");
    const path = join(fakeJdk("jdk11", "11.0.20"), "bin");
    const find = () => findJava({ JAVA_HOME: jdk17, PATH: path }, [join(work.path, "absent")]);
    expect(find).toThrow(TrinoSetupError);
    expect(find).toThrow(
      expect.objectContaining({
        code: "JavaMissing",
        message: expect.stringMatching(
          /^Trino 476 needs Java 24 or newer, and none was found \(JAVA_HOME: .*jdk17b\/bin\/java is Java 17; java on the PATH: .*jdk11\/bin\/java is Java 11\)$/,
        ),
        remedy: expect.stringMatching(/^install a JDK 24\+ .*adoptium.*JAVA_HOME/),
      }),
    );
  });
});

describe("trinoHome", () => {
  it("is under the XDG cache, outside the repository, unless B3_TRINO_CACHE says otherwise", () => {
    expect(trinoHome({ HOME: "/home/u", XDG_CACHE_HOME: "/c" })).toBe("/c/b3-pipeline/trino-476");
    expect(trinoHome({ B3_TRINO_CACHE: "/x" })).toBe("/x/trino-476");
  });

  it("downloads io.trino:trino-server:476:tar.gz from Maven Central", () => {
    expect(trinoArtifactUrl({})).toBe(
      "https://repo1.maven.org/maven2/io/trino/trino-server/476/trino-server-476.tar.gz",
    );
  });
});

describe("ensureTrinoInstalled, against a stand-in repository", () => {
  let server: http.Server;
  let repository: string;
  let published = TRINO_SHA1;
  const body = Buffer.alloc(300_000, 7);
  const requests: { url: string; range?: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push({
        url: req.url ?? "",
        ...(req.headers.range ? { range: req.headers.range } : {}),
      });
      if (req.url?.endsWith(".sha1")) return res.end(`${published}\n`);
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { "content-length": body.length - start });
      res.end(body.subarray(start));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    repository = `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("refuses a file whose SHA-1 is not the published one, and deletes it", async () => {
    published = TRINO_SHA1;
    const home = join(work.path, "home-mismatch");
    const progress = new Capture({ isTTY: true });
    const install = ensureTrinoInstalled({
      home,
      env: { B3_MAVEN_REPOSITORY: repository },
      progress,
    });
    const actual = createHash("sha1").update(body).digest("hex");
    await expect(install).rejects.toThrow(
      `has SHA-1 ${actual}, not the published ${TRINO_SHA1}: the download was corrupted`,
    );
    await expect(install).rejects.toMatchObject({ code: "ChecksumMismatch", remedy: "run again" });
    expect(readdirSync(home)).toEqual([]);
    expect(progress.text).toMatch(/^downloading Trino 476 \(0 MB\) from http/);
    expect(progress.text).toMatch(/\rTrino 476 \[#{30}\] 100% 0 MB\/0 MB/);
  });

  it("refuses to install when the published checksum is not the one this b3 expects", async () => {
    published = "0".repeat(40);
    const home = join(work.path, "home-unknown");
    requests.length = 0;
    await expect(
      ensureTrinoInstalled({ home, env: { B3_MAVEN_REPOSITORY: repository } }),
    ).rejects.toThrow(/\.sha1 says 0{40}, but this version of b3 expects c9b38be4/);
    // Nothing but the checksum was fetched.
    expect(requests.map((r) => r.url)).toEqual([
      "/maven2/io/trino/trino-server/476/trino-server-476.tar.gz.sha1",
    ]);
    expect(existsSync(join(home, "trino-server-476"))).toBe(false);
  });

  it("resumes a partial download where it stopped", async () => {
    published = TRINO_SHA1;
    const home = join(work.path, "home-resume");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "trino-server-476.tar.gz.part"), body.subarray(0, 100_000));
    requests.length = 0;
    await expect(
      ensureTrinoInstalled({ home, env: { B3_MAVEN_REPOSITORY: repository } }),
    ).rejects.toThrow(/not the published/);
    expect(requests.find((r) => r.url.endsWith(".tar.gz"))?.range).toBe("bytes=100000-");
  });

  it("says how to get it when the repository cannot be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      ensureTrinoInstalled({
        home: join(work.path, "home-offline"),
        env: { B3_MAVEN_REPOSITORY: `http://127.0.0.1:${port}/maven2` },
      }),
    ).rejects.toMatchObject({
      code: "DownloadFailed",
      message: expect.stringMatching(
        /could not read Trino's published checksum .*\.sha1 \(ECONNREFUSED\)$/,
      ),
      remedy: "check the network, or set B3_MAVEN_REPOSITORY to a Maven mirror",
    });
  });
});
