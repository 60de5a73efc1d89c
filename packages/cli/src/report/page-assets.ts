/** The code and styles the report page inlines: uPlot's (read from node_modules where npm installed it) and the page's own chart script. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface PageAssets {
  /** uPlot's minified browser build, defining the global `uPlot`. */
  uplotJs: string;
  uplotCss: string;
  /** The page's script that draws the charts (draw-charts.js). */
  drawChartsJs: string;
  /** uPlot's version, shown in the page's footer. */
  uplotVersion: string;
}

const require = createRequire(import.meta.url);

/** Reads the assets; throws when uPlot is not installed (npm ci installs it). */
export function readPageAssets(): PageAssets {
  const file = (specifier: string) => readFileSync(require.resolve(specifier), "utf8");
  return {
    uplotJs: file("uplot/dist/uPlot.iife.min.js"),
    uplotCss: file("uplot/dist/uPlot.min.css"),
    drawChartsJs: readFileSync(new URL("./draw-charts.js", import.meta.url), "utf8"),
    uplotVersion: JSON.parse(file("uplot/package.json")).version,
  };
}
