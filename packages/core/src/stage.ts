/** Physical names of a deployed stage that clients need: lower-cased, `-` becomes `_`. */
export function stageNames(stage: string): { database: string; workgroup: string } {
  const suffix = stage.toLowerCase().replaceAll("-", "_");
  return { database: `b3_${suffix}`, workgroup: `etl_workgroup_${suffix}` };
}
