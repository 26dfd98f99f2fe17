/**
 * The shape of the command table: groups of commands, each command with its
 * options, usage, examples and handler. Dispatch and help are generated from it.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import type { Args } from "./values.ts";
import type { Planner } from "./plan.ts";

/** One option of a command, as `node:util` `parseArgs` takes it, plus help text. */
export interface OptionSpec {
  type: "boolean" | "string";
  /** One-letter alias, e.g. `k` for `--keep-open`. */
  short?: string;
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `MS`. */
  value?: string;
  /** One line of help; the default (and the choices) are appended when generated. */
  help: string;
  /** The value when the option is absent; shown in help as `(DEFAULT)`. */
  default?: string | number;
  /** An integer option's lowest accepted value. @default {0} */
  min?: number;
  /** An integer option's highest accepted value. @default {Number.MAX_SAFE_INTEGER} */
  max?: number;
  /** The words a string option accepts. */
  choices?: readonly string[];
}

/** Parsed values of a command's options. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Everything a command handler receives. */
export interface Invocation {
  /** Typed access to positionals and options, with the defaults and bounds of the command's specs. */
  args: Args;
  out: Output;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: stop, clean up, return. */
  signal: AbortSignal;
}

/** A runnable command such as `tcp listen`. */
export interface CommandSpec {
  kind: "command";
  name: string;
  summary: string;
  /** The positional part of the usage line, e.g. `TARGET`. */
  usage: string;
  /** How many positional arguments are accepted. */
  args: { min: number; max: number };
  options: Record<string, OptionSpec>;
  /** Paragraphs shown in `--help` after the usage line. */
  description: string[];
  /**
   * What `-v` adds for this command (shown in help). Without it `-v` is
   * still accepted, as everywhere, but not listed: it would add nothing.
   */
  verbose?: string;
  /** Example command lines (with a `# comment` where useful). */
  examples: string[];
  /**
   * The permission plan: grants exactly what this invocation needs, from its
   * parsed arguments, parsing them as `run` does (a bad argument is the same
   * usage error). `--help` runs it over placeholders to show the plan.
   */
  plan(args: Args, planner: Planner): void;
  /** Does the work; returns the exit code. Throws CliError for expected failures. */
  run(invocation: Invocation): Promise<number>;
}

/** A group of commands such as `tcp`. */
export interface GroupSpec {
  kind: "group";
  name: string;
  summary: string;
  commands: CommandSpec[];
}

/** An entry of the top-level table. */
export type TableEntry = GroupSpec | CommandSpec;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", help: "show this help" },
  json: { type: "boolean", help: "JSON Lines on stdout (one event per line)" },
  quiet: { type: "boolean", short: "q", help: "no status lines" },
  verbose: { type: "boolean", short: "v", help: "more detail on stderr" },
};
