/** Opt-in phase timings of a transform on stderr (B3_PROFILE=1): wall and process CPU per phase, start-up included. */
import { envSwitchOn } from "../env-switch.ts";

export interface PhaseTimer {
  /** Ends the current phase under `name` and starts the next one. */
  mark(name: string): void;
}

const NO_TIMER: PhaseTimer = { mark() {} };

/**
 * A timer whose first phase is the process's own start-up (module loading included) up to this
 * call. Diagnostics only: lines go to `write` (stderr by default), never to stdout.
 */
export function phaseTimer(
  options: {
    enabled?: boolean;
    write?: (line: string) => void;
    /** Told each phase as it ends, with its wall time (progress display), profiling or not. */
    onPhase?: (phase: string, wallMs: number) => void;
  } = {},
): PhaseTimer {
  const enabled = options.enabled ?? envSwitchOn(process.env.B3_PROFILE);
  const { onPhase } = options;
  if (!enabled && onPhase === undefined) return NO_TIMER;
  const write = enabled
    ? (options.write ?? ((line: string) => process.stderr.write(`${line}\n`)))
    : () => {};
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let wall = 0;
  let cpu = 0;
  const mark = (name: string) => {
    const nowWall = performance.now();
    const nowCpu = cpuMs();
    const rss = process.memoryUsage.rss() / 2 ** 20;
    onPhase?.(name, nowWall - wall);
    write(
      `b3 profile: ${name.padEnd(28)} ${(nowWall - wall).toFixed(0).padStart(6)} ms wall ${(nowCpu - cpu).toFixed(0).padStart(6)} ms cpu  rss ${rss.toFixed(0)} MiB`,
    );
    wall = nowWall;
    cpu = nowCpu;
  };
  mark("start-up (node, modules)");
  return { mark };
}
