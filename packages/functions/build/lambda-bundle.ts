/**
 * esbuild's options for a Node function as SST 4 builds it (its Go builder, pkg/runtime/node/build.go):
 * bundle, ESM `.mjs`, platform node, minified, keepNames, mainFields module→main, no source map, and
 * SST's createRequire/__filename/__dirname banner. The extract bundle test and the bench build with
 * them.
 */
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** What infra/lambda.ts adds to SST's externals: the AWS SDK v3, which the nodejs22.x runtime provides. */
export const LAMBDA_EXTERNAL = ["@aws-sdk/*"];

/** SST's banner for ESM functions: CommonJS dependencies still find require, __filename, __dirname. */
const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

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
    target: "node22", // the function's runtime; SST's own default is esnext
    minify: true,
    keepNames: true,
    sourcemap: false,
    mainFields: ["module", "main"],
    // SST always leaves the native modules out
    external: ["sharp", "pg-native", ...options.external],
    banner: { js: SST_BANNER },
    metafile: true,
    logLevel: "silent",
  };
}
