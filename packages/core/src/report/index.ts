/** The report domain: what a lake holds, gathered for `b3 report`. */
export * from "./errors.ts";
export * from "./gaps.ts";
export * from "./lake-report.ts";
export * from "./raw-drops.ts";
