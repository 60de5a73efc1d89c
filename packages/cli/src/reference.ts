/** The command reference (docs/CLI.md), written from each command's own declaration: `node packages/cli/src/reference.ts` prints it, `--write` rewrites the file. */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GLOBAL_FLAGS, loadCommands } from "./b3.ts";
import type { CommandSpec } from "./command.ts";
import { REPO_ROOT } from "./defaults.ts";
import { flagName } from "./flags.ts";

/** Where the reference lives in the repository. */
export const REFERENCE_FILE = resolve(REPO_ROOT, "docs/CLI.md");

/** Markdown text: `<SYMBOL>` is not taken for an HTML tag. */
const prose = (text: string) => text.replace(/<(?=[A-Za-z])/g, "\\<");
/** Text in a table cell: pipes escaped (in code spans too), on one line. */
const cell = (text: string) => prose(text).replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${text}\``;

function flagRows(spec: CommandSpec): string[] {
  return Object.entries(spec.flags).map(([key, flag]) => {
    const name = flag.value === undefined ? flagName(key) : `${flagName(key)} ${flag.value}`;
    const given = flag.default === undefined ? "" : code(String(flag.default));
    const env = flag.env === undefined ? "" : code(flag.env);
    return `| ${code(name).replaceAll("|", "\\|")} | ${cell(flag.help)} | ${given} | ${env} |`;
  });
}

function section(spec: CommandSpec): string {
  const argument = spec.argument === undefined ? "" : ` ${spec.argument.syntax}`;
  const lines = [
    `## b3 ${spec.name}`,
    "",
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    "",
    "```",
    `npx b3 ${spec.name} [flags]${argument}`,
    "```",
    "",
    prose(spec.description),
    "",
  ];
  if (spec.argument !== undefined) {
    const choices =
      spec.argument.choices === undefined
        ? ""
        : ` (one of ${spec.argument.choices.map(code).join(", ")})`;
    lines.push(`${code(spec.argument.syntax)}: ${spec.argument.help}${choices}.`, "");
  }
  lines.push("| flag | meaning | default | environment |", "| --- | --- | --- | --- |");
  lines.push(...flagRows(spec), "| `-h, --help` | show help |  |  |", "");
  if (spec.notes !== undefined) lines.push("```", spec.notes, "```", "");
  return lines.join("\n");
}

export function commandReference(commands: readonly CommandSpec[]): string {
  const index = commands.map(
    (c) => `| [${code(`b3 ${c.name}`)}](#b3-${c.name}) | ${cell(c.summary)} |`,
  );
  return [
    "# The `b3` command",
    "",
    "<!-- Written by `npm run docs:cli` from each command's declaration in packages/cli/src/commands/; a test fails when it is stale. -->",
    "",
    "Run it as `npx b3 <command> [flags]` (or `npm run b3 -- <command> [flags]`, which installs what is",
    "missing first). `b3 help <command>` and `b3 <command> --help` print the same as this page.",
    "",
    "| command | what it does |",
    "| --- | --- |",
    ...index,
    "",
    "Flags for every command:",
    "",
    "| flag | meaning |",
    "| --- | --- |",
    ...GLOBAL_FLAGS.map(([name, help]) => `| ${code(name)} | ${cell(help)} |`),
    "",
    ...commands.map(section),
  ].join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = commandReference(await loadCommands());
  if (process.argv.includes("--write")) writeFileSync(REFERENCE_FILE, text);
  else process.stdout.write(text);
}
