/**
 * argv → command → exit code. Parses with `node:util` `parseArgs` (strict),
 * prints help, and maps every thrown error to an exit code (see docs/cli.md).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type CommandSpec,
  GLOBAL_OPTIONS,
  type GroupSpec,
  type OptionSpec,
  type TableEntry,
} from "../command/spec.ts";
import {
  CliError,
  describeError,
  ExitCode,
  input,
  isExpectedError,
  isPermissionError,
  stoppedBy,
  UsageError,
} from "../console/errors.ts";
import { type Plan, planLine, Planner, unusedKinds } from "../command/plan.ts";
import { argumentHint, habitHint } from "./habits.ts";
import { commandHelp, groupHelp, topHelp, usageLine } from "./help.ts";
import { Output } from "../console/output.ts";
import { Args } from "../command/values.ts";

/** Options for {@linkcode runCli}. */
export interface RunCliOptions {
  /** The version printed by `--version`. */
  version: string;
  /** Aborted on Ctrl-C; passed to the command. */
  signal: AbortSignal;
  /**
   * Revoke, before the command runs, every permission kind its plan does not
   * use (compiled binaries, which carry the union of every plan).
   * @default {false}
   */
  revoke?: boolean;
  /** Where output goes (tests pass their own). @default {new Output()} from the parsed flags */
  output?: (flags: { json: boolean; quiet: boolean; verbose: boolean }) => Output;
}

const encoder = new TextEncoder();

/** What argv asks for: help or the version to print, or a command with its parsed arguments. */
export type Resolved =
  | { kind: "print"; text: string }
  | { kind: "command"; command: CommandSpec; group: GroupSpec | undefined; args: Args };

/**
 * Finds the command argv names and parses its arguments (strictly, with the
 * command's option specs), without running anything.
 *
 * @throws {UsageError} an unknown command or option, a missing or extra argument
 */
export function resolveInvocation(
  given: readonly string[],
  table: TableEntry[],
  version: string,
): Resolved {
  const argv = globalsLast(given);
  const [first, second] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    return { kind: "print", text: topHelp(table, version) };
  }
  if (first === "--version" || first === "-V") {
    return { kind: "print", text: `sockit ${version}\n` };
  }
  const entry = table.find((e) => e.name === first);
  if (!entry) {
    throw new UsageError(`unknown command "${first}"`, "run 'sockit --help' for the list");
  }
  let group: GroupSpec | undefined;
  let command: CommandSpec;
  let rest: readonly string[];
  if (entry.kind === "group") {
    group = entry;
    if (second === undefined || second === "-h" || second === "--help" || second === "help") {
      return { kind: "print", text: groupHelp(entry) };
    }
    const found = entry.commands.find((c) => c.name === second);
    if (!found) {
      const names = entry.commands.map((c) => c.name).join(", ");
      throw new UsageError(`unknown command "${entry.name} ${second}"`, `commands: ${names}`);
    }
    command = found;
    rest = argv.slice(2);
  } else {
    command = entry;
    rest = argv.slice(1);
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: parserOptions({ ...command.options, ...GLOBAL_OPTIONS }),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const message = err instanceof Error ? cleanParseMessage(err.message) : String(err);
    const unknown = /^unknown option "([^"]+)"$/.exec(message)?.[1];
    const habit = unknown === undefined ? undefined : habitHint(pathOf(command, group), unknown);
    throw new UsageError(message, habit ?? `usage: ${usageLine(command, group)}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) return { kind: "print", text: commandHelp(command, group) };
  const { min, max } = command.args;
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const why = count < min
      ? "missing argument"
      : `unexpected argument "${parsed.positionals[max]}"`;
    const habit = argumentHint(pathOf(command, group), parsed.positionals);
    throw new UsageError(why, habit ?? `usage: ${usageLine(command, group)}`);
  }
  const args = new Args(parsed.positionals, values, command.options);
  return { kind: "command", command, group, args };
}

/**
 * The permission plan of one command invocation (`sockit --permissions …`).
 *
 * @throws {UsageError} when the arguments are bad, before anything is run or asked for
 */
export function planOf(command: CommandSpec, args: Args): Plan {
  const planner = new Planner();
  input(() => command.plan(args, planner));
  return planner.plan;
}

/**
 * Runs one sockit invocation. `sockit --permissions GROUP COMMAND ARGS`
 * prints that invocation's permission plan instead of running it.
 *
 * @param argv the arguments after the program name
 * @returns the process exit code
 */
export async function runCli(
  argv: string[],
  table: TableEntry[],
  options: RunCliOptions,
): Promise<number> {
  const { version, signal, revoke = false, output = (flags) => new Output(flags) } = options;
  const planOnly = argv[0] === "--permissions";
  let resolved: Resolved;
  try {
    resolved = resolveInvocation(planOnly ? argv.slice(1) : argv, table, version);
  } catch (err) {
    return await fail(describeError(err));
  }
  if (resolved.kind === "print") {
    if (planOnly) {
      return await fail(
        new UsageError(
          "--permissions needs a command",
          "e.g. sockit --permissions files serve ./share",
        ),
      );
    }
    await print(resolved.text);
    return ExitCode.ok;
  }
  const { command, args } = resolved;
  if (planOnly) {
    let plan: Plan;
    try {
      plan = planOf(command, args);
    } catch (err) {
      return await fail(withHabit(describeError(err), resolved));
    }
    await print(planLine(plan) + "\n");
    return ExitCode.ok;
  }
  const out = output({
    json: args.flag("json"),
    quiet: args.flag("quiet"),
    verbose: args.flag("verbose"),
  });
  try {
    if (revoke) revokeUnused(planOf(command, args));
    const code = await command.run({ args, out, signal });
    await out.flush();
    return code;
  } catch (err) {
    await out.flush().catch(() => {});
    let cliError = describeError(err);
    if (!isExpectedError(err)) {
      // A bug, not a user-facing failure: the stack is there with -v for a report.
      out.detail(err instanceof Error ? err.stack ?? "" : "");
    }
    if (isPermissionError(err)) cliError = withPlanHint(cliError, command, args);
    if (cliError.exitCode === ExitCode.usage) cliError = withHabit(cliError, resolved);
    out.error(cliError);
    await out.flush().catch(() => {});
    // An interrupt deep in a library reports 130; a SIGTERM stop is 143 wherever it surfaced.
    if (cliError.exitCode === ExitCode.interrupted && signal.aborted) return stoppedBy(signal);
    return cliError.exitCode;
  }

  async function fail(err: CliError): Promise<number> {
    // Before the arguments parse, --json anywhere still asks for the error event.
    const out = output({ json: argv.includes("--json"), quiet: false, verbose: false });
    out.error(err);
    await out.flush().catch(() => {});
    return err.exitCode;
  }
}

/** `tcp connect` for a command of a group, `serve` for a command of its own. */
function pathOf(command: CommandSpec, group: GroupSpec | undefined): string {
  return group ? `${group.name} ${command.name}` : command.name;
}

/** A usage error caused by another tool's argument shape (`HOST PORT`, a URL) gets the sockit way as its hint. */
export function withHabit(
  err: CliError,
  resolved: { command: CommandSpec; group: GroupSpec | undefined; args: Args },
): CliError {
  const { command, group, args } = resolved;
  const hint = argumentHint(pathOf(command, group), args.positionals);
  if (hint === undefined) return err;
  return new CliError(err.message, { exitCode: err.exitCode, hint, cause: err });
}

/** Drops every permission kind the plan does not use, for the rest of the process. */
export function revokeUnused(plan: Plan): void {
  for (const name of unusedKinds(plan)) Deno.permissions.revokeSync({ name });
}

/** A permission error's hint names the whole plan, so one retry is enough. */
function withPlanHint(err: CliError, command: CommandSpec, args: Args): CliError {
  let line: string;
  try {
    line = planLine(planOf(command, args));
  } catch {
    return err;
  }
  return new CliError(err.message, {
    exitCode: err.exitCode,
    hint: `run with ${line || "no permissions"} (the whole plan of this command)`,
    cause: err,
  });
}

/** The global flags that may also stand before the group: `sockit --json ip info 1.2.3.4`. */
const LEADING_GLOBALS = new Set(["--json", "-q", "--quiet", "-v", "--verbose"]);

/** Moves global flags given before the group to the end, where the command's parser takes them. */
function globalsLast(argv: readonly string[]): readonly string[] {
  let i = 0;
  while (i < argv.length && LEADING_GLOBALS.has(argv[i]!)) i++;
  if (i === argv.length) return []; // globals alone: the group list
  return i === 0 ? argv : [...argv.slice(i), ...argv.slice(0, i)];
}

/** The part of each spec that `parseArgs` takes (defaults are applied by {@linkcode Args}). */
function parserOptions(specs: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(specs).map(([name, { type, short, multiple }]) => [
      name,
      { type, ...(short === undefined ? {} : { short }), ...(multiple ? { multiple } : {}) },
    ]),
  );
}

async function print(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) done += await Deno.stdout.write(bytes.subarray(done));
}

/** parseArgs messages mention internals ("To specify a positional argument…"); keep the first sentence. */
function cleanParseMessage(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option "${unknown[1]}"`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `option "${optionName(missing[1])}" needs a value`;
  const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const name = optionName(ambiguous[1]);
    return `option "${name}" needs a value (for one starting with "-", write ${name}=VALUE)`;
  }
  const noValue = /Option '([^']+)' does not take an argument/.exec(message);
  if (noValue) return `option "${optionName(noValue[1])}" takes no value`;
  return message.split(". ")[0] ?? message;
}

/** `-m, --mode <value>` → `--mode`. */
function optionName(text = ""): string {
  return text.replace(/^-\w, /, "").replace(/ <value>$/, "");
}
