/**
 * Named fault points for crash tests: `B3_FAULT=<point>` kills the process (SIGKILL, like kill -9)
 * the first time the point is reached, `B3_FAULT=<point>:<n>` the n-th time. Unset, a point costs
 * one environment lookup. The Glue job reads the same variable with the same point names.
 */
const hits = new Map<string, number>();

export function faultPoint(point: string): void {
  const wanted = process.env.B3_FAULT;
  if (wanted === undefined || !wanted.startsWith(point)) return;
  const rest = wanted.slice(point.length);
  if (rest !== "" && !/^:\d+$/.test(rest)) return;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (n === (rest === "" ? 1 : Number(rest.slice(1)))) process.kill(process.pid, "SIGKILL");
}
