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
  type CliError,
  describeError,
  ExitCode,
  isExpectedError,
  UsageError,
} from "../console/errors.ts";
import { commandHelp, groupHelp, topHelp, usageLine } from "./help.ts";
import { Output } from "../console/output.ts";
import { Args } from "../command/values.ts";

/** Options for {@linkcode runCli}. */
export interface RunCliOptions {
  /** The version printed by `--version`. */
  version: string;
  /** Aborted on Ctrl-C; passed to the command. */
  signal: AbortSignal;
  /** Where output goes (tests pass their own). @default {new Output()} from the parsed flags */
  output?: (flags: { json: boolean; quiet: boolean; verbose: boolean }) => Output;
}

const encoder = new TextEncoder();

/**
 * Runs one sockit invocation.
 *
 * @param argv the arguments after the program name
 * @returns the process exit code
 */
export async function runCli(
  argv: string[],
  table: TableEntry[],
  options: RunCliOptions,
): Promise<number> {
  const { version, signal, output = (flags) => new Output(flags) } = options;
  const [first, second] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    await print(topHelp(table, version));
    return ExitCode.ok;
  }
  if (first === "--version" || first === "-V") {
    await print(`sockit ${version}\n`);
    return ExitCode.ok;
  }
  const entry = table.find((e) => e.name === first);
  if (!entry) {
    return fail(new UsageError(`unknown command "${first}"`, "run 'sockit --help' for the list"));
  }
  let group: GroupSpec | undefined;
  let command: CommandSpec;
  let rest: string[];
  if (entry.kind === "group") {
    group = entry;
    if (second === undefined || second === "-h" || second === "--help" || second === "help") {
      await print(groupHelp(entry));
      return ExitCode.ok;
    }
    const found = entry.commands.find((c) => c.name === second);
    if (!found) {
      const names = entry.commands.map((c) => c.name).join(", ");
      return fail(
        new UsageError(`unknown command "${entry.name} ${second}"`, `commands: ${names}`),
      );
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
      args: rest,
      options: parserOptions({ ...command.options, ...GLOBAL_OPTIONS }),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const message = err instanceof Error ? cleanParseMessage(err.message) : String(err);
    return fail(new UsageError(message, `usage: ${usageLine(command, group)}`));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) {
    await print(commandHelp(command, group));
    return ExitCode.ok;
  }
  const { min, max } = command.args;
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const why = count < min
      ? "missing argument"
      : `unexpected argument "${parsed.positionals[max]}"`;
    return fail(new UsageError(why, `usage: ${usageLine(command, group)}`));
  }
  const out = output({
    json: values.json === true,
    quiet: values.quiet === true,
    verbose: values.verbose === true,
  });
  try {
    const args = new Args(parsed.positionals, values, command.options);
    const code = await command.run({ args, out, signal });
    await out.flush();
    return code;
  } catch (err) {
    await out.flush().catch(() => {});
    const cliError = describeError(err);
    if (!isExpectedError(err)) {
      // A bug, not a user-facing failure: the stack is there with -v for a report.
      out.detail(err instanceof Error ? err.stack ?? "" : "");
    }
    out.error(cliError);
    return cliError.exitCode;
  }

  function fail(err: CliError): number {
    const out = output({ json: false, quiet: false, verbose: false });
    out.error(err);
    return err.exitCode;
  }
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
