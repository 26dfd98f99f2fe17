/**
 * Help text generated from the command table.
 *
 * @module
 */

import {
  type CommandSpec,
  GLOBAL_OPTIONS,
  type GroupSpec,
  type OptionSpec,
  type TableEntry,
} from "../command/spec.ts";

/** The one-line usage of a command, e.g. `sockit tcp connect TARGET [options]`. */
export function usageLine(command: CommandSpec, group?: GroupSpec): string {
  const path = group ? `sockit ${group.name} ${command.name}` : `sockit ${command.name}`;
  return `${path}${command.usage ? ` ${command.usage}` : ""} [options]`;
}

/** `sockit` alone and `sockit --help`: the list of groups. */
export function topHelp(table: TableEntry[], version: string): string {
  const lines = [
    `sockit ${version}: a toolkit for network work (netcat, socat, iperf3, TFTP, HTTP, ipcalc in one)`,
    "",
    "Usage: sockit <group> <command> [arguments] [options]",
    "",
    "Groups and commands:",
  ];
  const width = Math.max(...table.map((e) => e.name.length));
  for (const entry of table) lines.push(`  ${entry.name.padEnd(width)}  ${entry.summary}`);
  lines.push(
    "",
    "Every group and command takes -h/--help. Global options: --json, -q/--quiet, -v/--verbose.",
    "Exit codes: 0 ok, 1 failed, 2 usage error or invalid input, 130 interrupted.",
    "",
    "Examples:",
    "  sockit tcp --help",
    "  sockit serve                # every service on 127.0.0.1",
    "  sockit tcp listen 9000 --mode echo -k",
  );
  return lines.join("\n") + "\n";
}

/** `sockit GROUP --help`. */
export function groupHelp(group: GroupSpec): string {
  const lines = [`sockit ${group.name}: ${group.summary}`, "", "Commands:"];
  for (const command of group.commands) lines.push(`  ${usageLine(command, group)}`);
  lines.push("", "Examples:");
  for (const command of group.commands) {
    const first = command.examples[0];
    if (first) lines.push(`  ${first}`);
  }
  lines.push("", `Run 'sockit ${group.name} <command> --help' for a command's options.`);
  return lines.join("\n") + "\n";
}

/** `sockit GROUP COMMAND --help`. */
export function commandHelp(command: CommandSpec, group?: GroupSpec): string {
  const lines = [`Usage: ${usageLine(command, group)}`, "", command.summary];
  for (const paragraph of command.description) lines.push("", paragraph);
  lines.push("", "Options:");
  const all = { ...command.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(all).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : "";
    return [`${short}--${name}${value}`, optionHelp(spec)] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  for (const [left, help] of rows) lines.push(`  ${left.padEnd(width)}  ${help}`);
  lines.push("", `Permissions: ${command.permissions}`, "", "Examples:");
  for (const example of command.examples) lines.push(`  ${example}`);
  return lines.join("\n") + "\n";
}

/** An option's help line: its text, its choices and its default, all from the spec. */
export function optionHelp(spec: OptionSpec): string {
  const choices = spec.choices ? `: ${spec.choices.join(", ")}` : "";
  const fallback = spec.default === undefined ? "" : ` (${spec.default})`;
  return `${spec.help}${choices}${fallback}`;
}
