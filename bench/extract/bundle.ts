/**
 * The extract handler bundled the way SST 4 ships a Node function (its Go builder,
 * pkg/runtime/node/build.go): esbuild, bundle, ESM `.mjs`, platform node, minified, keepNames,
 * mainFields module→main, no source map, and SST's createRequire/__filename/__dirname banner.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, relative } from "node:path";
import { deflateRawSync } from "node:zlib";
import { analyzeMetafile, type BuildOptions, build, type Metafile } from "esbuild";

export const REPO_ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** Git-ignored; inside the repository so the bundle's external imports resolve from node_modules. */
export const WORK_DIR = join(REPO_ROOT, ".bench", "extract");
export const HANDLER = join(REPO_ROOT, "packages/functions/src/extract.ts");

/** SST's banner for ESM functions: CommonJS dependencies still find require, __filename, __dirname. */
export const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

/** SST always leaves these out of the bundle (native modules). */
const SST_FORCE_EXTERNAL = ["sharp", "pg-native"];

/** What infra/lambda.ts (`nodeBundle`) adds to SST's externals: the AWS SDK v3, which the nodejs22.x runtime provides. */
export const LAMBDA_EXTERNAL = ["@aws-sdk/*"];

export interface Contributor {
  /** A package name, or a workspace folder for our own code. */
  name: string;
  bytes: number;
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  /** Raw DEFLATE size: about what the deployment zip holds for this file. */
  deflatedBytes: number;
  /** Bytes in the output per package, largest first. */
  packages: Contributor[];
  /** Bytes in the output per input file, largest first. */
  files: Contributor[];
  /** Imports left to the runtime (e.g. @aws-sdk/client-s3). */
  externalImports: string[];
}

/** esbuild's options for a Node function as SST 4 builds it, with `external` added to SST's own. */
export function sstNodeBuildOptions(options: {
  entry: string;
  outfile: string;
  external: string[];
}): BuildOptions & { metafile: true } {
  return {
    entryPoints: [options.entry],
    outfile: options.outfile,
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22", // what infra/extract.ts runs (nodejs22.x); SST's default target is esnext
    minify: true,
    keepNames: true,
    sourcemap: false,
    mainFields: ["module", "main"],
    external: [...SST_FORCE_EXTERNAL, ...options.external],
    banner: { js: SST_BANNER },
    metafile: true,
    logLevel: "silent",
  };
}

/** Bundles the extract handler as infra/lambda.ts has SST build it, into .bench/extract/extract.mjs. */
export async function bundleExtract(): Promise<BundleResult> {
  mkdirSync(WORK_DIR, { recursive: true });
  const outfile = join(WORK_DIR, "extract.mjs");
  const result = await build(
    sstNodeBuildOptions({ entry: HANDLER, outfile, external: LAMBDA_EXTERNAL }),
  );
  const meta = result.metafile;
  writeFileSync(join(WORK_DIR, "extract.meta.json"), JSON.stringify(meta));
  writeFileSync(
    join(WORK_DIR, "extract.analysis.txt"),
    await analyzeMetafile(meta, { verbose: false }),
  );
  const body = readFileSync(outfile);
  const { packages, files } = contributors(meta, outfile);
  return {
    outfile,
    bytes: body.length,
    deflatedBytes: deflateRawSync(body, { level: 9 }).length,
    packages,
    files,
    externalImports: externalImports(meta, outfile, body.toString("utf8")),
  };
}

function contributors(
  meta: Metafile,
  outfile: string,
): { packages: Contributor[]; files: Contributor[] } {
  const output = meta.outputs[relative(REPO_ROOT, outfile)];
  if (!output) throw new Error(`esbuild's metafile has no output ${outfile}`);
  const byPackage = new Map<string, number>();
  const files: Contributor[] = [];
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    files.push({ name: path, bytes: bytesInOutput });
    const name = packageOf(path);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const banner = output.bytes - files.reduce((sum, f) => sum + f.bytes, 0);
  byPackage.set("(banner, esbuild runtime helpers, glue)", banner);
  const sorted = (list: Contributor[]) => list.sort((a, b) => b.bytes - a.bytes);
  return {
    packages: sorted([...byPackage].map(([name, bytes]) => ({ name, bytes }))),
    files: sorted(files),
  };
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; `packages/core/src/x.ts` → `packages/core (ours)`. */
export function packageOf(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at >= 0) {
    const [first, second] = path.slice(at + "node_modules/".length).split("/");
    return first?.startsWith("@") ? `${first}/${second}` : (first ?? path);
  }
  const workspace = /^packages\/([^/]+)\//.exec(path);
  return workspace ? `packages/${workspace[1]} (ours)` : path;
}

/**
 * Packages the bundle loads at run time: its external imports (from the output, so imports esbuild
 * dropped are not listed), and the AWS SDK clients core require()s at run time (s3-lake.ts), which
 * esbuild leaves alone whatever `external` says: their names stay in the output as string literals.
 */
function externalImports(meta: Metafile, outfile: string, code: string): string[] {
  const output = meta.outputs[relative(REPO_ROOT, outfile)];
  const names = new Set<string>();
  for (const imp of output?.imports ?? []) {
    if (imp.external && !isBuiltin(imp.path)) names.add(imp.path);
  }
  for (const [, name] of code.matchAll(/["'](@aws-sdk\/client-[a-z0-9-]+)["']/g)) {
    names.add(name as string);
  }
  return [...names].sort();
}
