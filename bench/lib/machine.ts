/** Facts about the machine a benchmark ran on, so a figure is never read without its context. */
import { readFileSync } from "node:fs";
import { arch, cpus, release, totalmem, type } from "node:os";

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machineFacts(): MachineFacts {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osName()} (${type()} ${release()}, ${arch()})`,
    node: process.version,
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return cpus()[0]?.model ?? "unknown";
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (pretty?.[1]) return pretty[1];
  } catch {
    // no os-release
  }
  return type();
}

export function machineMarkdown(facts: MachineFacts, date: Date): string {
  return [
    "| machine | |",
    "|---|---|",
    `| date | ${date.toISOString().replace(/\.\d+Z$/, "Z")} |`,
    `| CPU | ${facts.cpuModel} |`,
    `| cores | ${facts.cores} |`,
    `| memory | ${facts.memoryGiB} GiB |`,
    `| OS | ${facts.os} |`,
    `| Node | ${facts.node} |`,
  ].join("\n");
}
