/** `b3 trino install|start|status|stop`: the local Trino behind `b3 query --engine trino`. */
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TRINO_HEAP,
  ensureTrinoInstalled,
  findJava,
  isTrinoInstalled,
  runningTrino,
  stopTrinoServer,
  TRINO_VERSION,
  TrinoSetupError,
  trinoInstallDir,
  trinoLogFile,
} from "@b3/core/query";
import { EXIT } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { optional, positiveNumber, toggle } from "../flags.ts";
import { writeJson } from "../json-output.ts";
import { localTrino, startLocalTrino } from "../local-trino.ts";
import { describeError } from "../render-error.ts";

export const ACTIONS = ["install", "start", "status", "stop"] as const;

export const trino = defineCommand({
  name: "trino",
  summary: "install, start, show or stop the local Trino behind query --engine trino",
  description: `The local Trino ${TRINO_VERSION} that b3 query --engine trino runs on (Athena's engine, on the local lake).`,
  argument: { syntax: "<action>", help: "what to do", choices: ACTIONS },
  flags: {
    idleMinutes: optional({
      value: "N",
      help: `with start: stop after N minutes without a query (default: $B3_TRINO_IDLE_MINUTES or ${DEFAULT_IDLE_TIMEOUT_MS / 60_000})`,
      parse: positiveNumber,
    }),
    json: toggle("with status: print the state as JSON"),
  },
  notes: `Actions:
  install  download it (about 820 MB, once) into the cache and check its SHA-1; prints its folder
  start    start it now (queries start it anyway); prints its endpoint
  status   prints whether it runs, where, and since when
  stop     stop it (it also stops by itself after an idle time)

Cache: $B3_TRINO_CACHE, else \${XDG_CACHE_HOME:-~/.cache}/b3-pipeline. Java 24+ from $JAVA_HOME,
/usr/lib/jvm/temurin-25-jdk-amd64 or the PATH. Heap: $B3_TRINO_HEAP (default ${DEFAULT_TRINO_HEAP}).`,
  async run(values, io, { args }) {
    const action = args[0] as (typeof ACTIONS)[number];
    const { home, runDir } = localTrino(io.env);
    switch (action) {
      case "install": {
        const already = isTrinoInstalled(home);
        const dir = await ensureTrinoInstalled({ home, env: io.env, progress: io.stderr });
        if (already) io.stderr.write(`Trino ${TRINO_VERSION} is already installed\n`);
        try {
          findJava(io.env);
        } catch (error) {
          // Installing needs no Java, running does: say so now rather than at the first query.
          if (!(error instanceof TrinoSetupError)) throw error;
          io.stderr.write(describeError(error).replace(/^error:/, "warning:"));
        }
        io.stdout.write(`${dir}\n`);
        return EXIT.ok;
      }
      case "start": {
        const state = await startLocalTrino(io, values.idleMinutes);
        io.stdout.write(`${state.endpoint}\n`);
        return EXIT.ok;
      }
      case "status": {
        const state = await runningTrino(runDir);
        if (values.json) {
          writeJson(io, {
            installed: isTrinoInstalled(home),
            installDir: trinoInstallDir(home),
            runDir,
            running: state ?? null,
          });
        } else if (state) {
          io.stdout.write(
            `running at ${state.endpoint} (pid ${state.javaPid}, since ${state.startedAt}, stops after ${state.idleTimeoutMs / 60_000} idle minutes; log ${trinoLogFile(runDir)})\n`,
          );
        } else {
          io.stdout.write(
            `not running (${isTrinoInstalled(home) ? `installed in ${trinoInstallDir(home)}` : "not installed: b3 trino install"})\n`,
          );
        }
        return EXIT.ok;
      }
      case "stop": {
        const stopped = await stopTrinoServer(runDir);
        io.stderr.write(stopped ? "Trino stopped\n" : "Trino was not running\n");
        return EXIT.ok;
      }
    }
  },
});
