/**
 * The local Trino engine of lake queries: Trino 476 (the engine Athena v3 is built on) from
 * Maven Central, downloaded once into a cache outside the repository and checked against the SHA-1
 * Maven Central publishes, and the Java 24+ it needs.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { TrinoSetupError } from "./errors.ts";
import { withFileLock } from "./trino-lock.ts";

export const TRINO_VERSION = "476";

/**
 * The SHA-1 Maven Central publishes next to trino-server-476.tar.gz (it publishes .sha1 and .md5,
 * no .sha256 or .sha512). Pinned here too, so a changed file on the mirror is refused even when its
 * published checksum was changed with it.
 */
export const TRINO_SHA1 = "c9b38be4017ebd2f7095455aaac772fb40247ebe";

/** Trino 476 refuses to start on a Java older than 24. */
export const TRINO_MIN_JAVA = 24;

/** Where Eclipse Temurin 25 is installed on the project's machines. */
const KNOWN_JDKS = ["/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-24-jdk-amd64"];

const DEFAULT_REPOSITORY = "https://repo1.maven.org/maven2";

/** What to do when Maven Central cannot be reached. */
const OFFLINE = { remedy: "check the network, or set B3_MAVEN_REPOSITORY to a Maven mirror" };
/** What to do about a download cut short: the part already downloaded is kept. */
const RESUME = { remedy: "run again to resume" };

/** `${B3_TRINO_CACHE:-${XDG_CACHE_HOME:-~/.cache}/b3-pipeline}/trino-476`: the download and the server's state. */
export function trinoHome(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.B3_TRINO_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "b3-pipeline");
  return join(base, `trino-${TRINO_VERSION}`);
}

/** The unpacked server (bin/, lib/, plugin/) inside `home`. */
export const trinoInstallDir = (home: string) => join(home, `trino-server-${TRINO_VERSION}`);

const installedMarker = (home: string) => join(trinoInstallDir(home), ".b3-installed");

export function isTrinoInstalled(home: string): boolean {
  return existsSync(installedMarker(home));
}

export function trinoArtifactUrl(env: NodeJS.ProcessEnv = process.env): string {
  const repository = (env.B3_MAVEN_REPOSITORY || DEFAULT_REPOSITORY).replace(/\/+$/, "");
  return `${repository}/io/trino/trino-server/${TRINO_VERSION}/trino-server-${TRINO_VERSION}.tar.gz`;
}

export interface InstallOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Progress and notices go here (stderr); a bar is drawn only when it is a terminal. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  fetch?: typeof fetch;
}

/**
 * Makes sure Trino is unpacked in `home` and returns its folder. Downloads it when missing (resuming
 * a partial download), verifies the SHA-1, unpacks into a temporary folder and renames it into place,
 * so an interrupted install never looks complete. Safe to run from several processes at once.
 */
export async function ensureTrinoInstalled(options: InstallOptions): Promise<string> {
  const { home } = options;
  const dir = trinoInstallDir(home);
  if (isTrinoInstalled(home)) return dir;
  mkdirSync(home, { recursive: true });
  return withFileLock(join(home, "install.lock"), { waitMs: 30 * 60_000 }, async () => {
    if (isTrinoInstalled(home)) return dir;
    const tarball = join(home, `trino-server-${TRINO_VERSION}.tar.gz`);
    const url = trinoArtifactUrl(options.env);
    if (!existsSync(tarball)) await download(url, tarball, options);
    const sha1 = await sha1Of(tarball);
    if (sha1 !== TRINO_SHA1) {
      rmSync(tarball, { force: true });
      throw new TrinoSetupError(
        "ChecksumMismatch",
        `${url} has SHA-1 ${sha1}, not the published ${TRINO_SHA1}: the download was corrupted or the mirror serves another file (deleted)`,
        { remedy: "run again" },
      );
    }
    options.progress?.write(`unpacking Trino ${TRINO_VERSION} into ${dir}…\n`);
    const staging = join(home, `.unpack-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    await run("tar", ["-xzf", tarball, "-C", staging]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(staging, `trino-server-${TRINO_VERSION}`), dir);
    rmSync(staging, { recursive: true, force: true });
    writeFileSync(installedMarker(home), `${TRINO_SHA1}\n`);
    // The unpacked tree is what is used; keeping the tarball would double the cache's size.
    rmSync(tarball, { force: true });
    return dir;
  });
}

async function download(url: string, target: string, options: InstallOptions): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const progress = options.progress;
  const part = `${target}.part`;
  const published = await publishedSha1(doFetch, url);
  if (published !== TRINO_SHA1) {
    throw new TrinoSetupError(
      "ChecksumMismatch",
      `${url}.sha1 says ${published}, but this version of b3 expects ${TRINO_SHA1}: refusing to install an unknown Trino`,
    );
  }
  const already = existsSync(part) ? statSync(part).size : 0;
  let response: Response;
  try {
    response = await doFetch(url, already > 0 ? { headers: { range: `bytes=${already}-` } } : {});
  } catch (error) {
    throw new TrinoSetupError(
      "DownloadFailed",
      `could not download Trino from ${url} (${describe(error)})`,
      OFFLINE,
    );
  }
  // Nothing left to send: the partial file was whole (its SHA-1 is checked next).
  if (response.status === 416 && already > 0) {
    await response.arrayBuffer();
    renameSync(part, target);
    return;
  }
  const resumed = response.status === 206;
  if (!response.ok || !response.body) {
    throw new TrinoSetupError(
      "DownloadFailed",
      `could not download Trino from ${url}: HTTP ${response.status}`,
    );
  }
  const start = resumed ? already : 0;
  const total = start + Number(response.headers.get("content-length") ?? 0);
  const bar = progressBar(progress, `Trino ${TRINO_VERSION}`, total);
  progress?.write(
    `downloading Trino ${TRINO_VERSION} (${mb(total)}) from ${url}${resumed ? `, resuming at ${mb(start)}` : ""}\n`,
  );
  const fd = openSync(part, resumed ? "a" : "w");
  let received = start;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      writeSync(fd, value);
      received += value.length;
      bar.update(received);
    }
  } catch (error) {
    throw new TrinoSetupError(
      "DownloadFailed",
      `the download of ${url} broke off at ${mb(received)} (${describe(error)})`,
      RESUME,
    );
  } finally {
    closeSync(fd);
    bar.done();
  }
  if (total > 0 && received !== total) {
    throw new TrinoSetupError(
      "DownloadFailed",
      `the download of ${url} stopped at ${mb(received)} of ${mb(total)}`,
      RESUME,
    );
  }
  renameSync(part, target);
}

async function publishedSha1(doFetch: typeof fetch, url: string): Promise<string> {
  try {
    const response = await doFetch(`${url}.sha1`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.text()).trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  } catch (error) {
    throw new TrinoSetupError(
      "DownloadFailed",
      `could not read Trino's published checksum ${url}.sha1 (${describe(error)})`,
      OFFLINE,
    );
  }
}

function sha1Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha1");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MB`;
const describe = (error: unknown) =>
  (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message ?? String(error);

/** A one-line bar redrawn in place on a terminal (at most a few times a second); nothing otherwise. */
function progressBar(
  stream: InstallOptions["progress"],
  label: string,
  total: number,
): { update(n: number): void; done(): void } {
  if (!stream?.isTTY || total <= 0) return { update() {}, done() {} };
  const began = Date.now();
  let drawn = 0;
  let last = "";
  const draw = (n: number) => {
    const width = 30;
    const filled = Math.round((n / total) * width);
    const seconds = Math.max((Date.now() - began) / 1000, 0.001);
    last = `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor((n / total) * 100)}% ${mb(n)}/${mb(total)} ${(n / 1024 ** 2 / seconds).toFixed(1)} MB/s`;
    stream.write(last);
  };
  return {
    update(n) {
      if (Date.now() - drawn < 200 && n < total) return;
      drawn = Date.now();
      draw(n);
    },
    done() {
      if (last) stream.write("\n");
    },
  };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-2_000);
    });
    child.on("error", (error) =>
      reject(new TrinoSetupError("UnpackFailed", `${command} could not run (${error.message})`)),
    );
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new TrinoSetupError(
              "UnpackFailed",
              `${command} ${args.join(" ")} failed (${code}): ${stderr}`,
            ),
          ),
    );
  });
}

export interface JavaRuntime {
  /** The `java` executable. */
  java: string;
  /** Its feature version (25 for 25.0.3). */
  version: number;
}

/**
 * A Java that can run Trino: $JAVA_HOME if it is 24+, else Temurin 25 where the project's machines
 * have it, else `java` on the PATH. The error lists what was found and how to get a suitable one.
 */
export function findJava(
  env: NodeJS.ProcessEnv = process.env,
  knownJdks: readonly string[] = KNOWN_JDKS,
): JavaRuntime {
  const seen: string[] = [];
  const candidates: Array<{ java: string; from: string }> = [];
  if (env.JAVA_HOME)
    candidates.push({ java: join(env.JAVA_HOME, "bin", "java"), from: "JAVA_HOME" });
  for (const jdk of knownJdks) candidates.push({ java: join(jdk, "bin", "java"), from: jdk });
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const java = join(dir, "java");
    if (existsSync(java)) {
      candidates.push({ java, from: "java on the PATH" });
      break;
    }
  }
  for (const { java, from } of candidates) {
    if (!existsSync(java)) {
      if (from === "JAVA_HOME") seen.push(`JAVA_HOME=${env.JAVA_HOME} has no bin/java`);
      continue;
    }
    const version = javaVersion(java);
    if (version >= TRINO_MIN_JAVA) return { java, version };
    seen.push(`${from}: ${java} is Java ${version || "of unknown version"}`);
  }
  throw new TrinoSetupError(
    "JavaMissing",
    `Trino ${TRINO_VERSION} needs Java ${TRINO_MIN_JAVA} or newer, and none was found (${seen.join("; ") || "no java at all"})`,
    {
      remedy:
        "install a JDK 24+ (Eclipse Temurin 25 from https://adoptium.net, or `apt-get install temurin-25-jdk` from Adoptium's apt repository) and point JAVA_HOME at it",
    },
  );
}

/** The feature version of `java`, from the JDK's `release` file or else from `java -version`. */
function javaVersion(java: string): number {
  try {
    const release = join(dirname(dirname(realpathSync(java))), "release");
    const match = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(release, "utf8"));
    if (match) return Number(match[1]);
  } catch {
    // no release file: ask the runtime itself
  }
  const out = spawnSync(java, ["-version"], { encoding: "utf8" });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!match) return 0;
  // Java 8 and older call themselves 1.x.
  return match[1] === "1" ? Number(match[2]) : Number(match[1]);
}
