/**
 * The installed `sockit` command. It computes the permission plan of the
 * invocation and runs `main.ts` under exactly that plan, in a child process
 * with the same stdin, stdout and stderr; signals are passed on and the
 * child's exit code is the command's. Help, the version and
 * `--permissions` need no child: they are answered here.
 *
 * The launcher itself runs with `--allow-read` (to check, before anything
 * runs, that a folder to share exists) and `--allow-run` for the Deno
 * binary only; it opens no socket and writes no file.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import config from "../../deno.json" with { type: "json" };
import { planFlags } from "../command/plan.ts";
import { type CliError, describeError, ExitCode } from "../console/errors.ts";
import { Output } from "../console/output.ts";
import { interruptSignal } from "../console/signals.ts";
import { planOf, type Resolved, resolveInvocation, runCli, withHabit } from "./run.ts";
import { TABLE } from "./table.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

/** The leading debug switch main.ts understands (see there); passed on, never planned. */
const DEBUG_READ = "--debug-read";

/** What the launcher does with argv. */
export type Launch =
  | { kind: "here" }
  | { kind: "bare" }
  | { kind: "child"; args: string[] }
  | { kind: "error"; error: CliError };

/**
 * Decides how to carry out `argv`: help, the version and `--permissions` are
 * answered here (they run no command); a command whose plan is empty runs
 * here too, after the launcher has revoked its own permissions (`bare`);
 * every other command runs in a child under its plan, given as `deno run`
 * arguments; a bad invocation is an error to print. No command ever runs
 * with the launcher's own permissions.
 */
export function launchOf(argv: readonly string[]): Launch {
  const debug = argv[0] === DEBUG_READ ? argv.slice(0, 2) : [];
  const rest = argv.slice(debug.length);
  if (rest[0] === "--permissions" && debug.length === 0) return { kind: "here" };
  let resolved: Resolved | undefined;
  try {
    resolved = resolveInvocation(rest, TABLE, config.version);
    if (resolved.kind === "print") {
      return debug.length === 0
        ? { kind: "here" }
        : { kind: "child", args: ["run", "--no-prompt", "--config", CONFIG, MAIN, ...argv] };
    }
    const flags = planFlags(planOf(resolved.command, resolved.args));
    // A command that needs no permission at all runs here once the launcher has dropped its own.
    if (flags.length === 0 && debug.length === 0) return { kind: "bare" };
    return {
      kind: "child",
      args: ["run", "--no-prompt", "--config", CONFIG, ...flags, MAIN, ...argv],
    };
  } catch (err) {
    // The same habit hints as a run without the launcher (`did you mean HOST:PORT?`).
    const error = describeError(err);
    return {
      kind: "error",
      error: resolved?.kind === "command" && error.exitCode === ExitCode.usage
        ? withHabit(error, resolved)
        : error,
    };
  }
}

/** Runs one invocation of the installed command; returns its exit code. */
async function launch(argv: string[]): Promise<number> {
  const plan = launchOf(argv);
  if (plan.kind === "bare") {
    for (const name of ["read", "run"] as const) Deno.permissions.revokeSync({ name });
    return await runCli(argv, TABLE, { version: config.version, signal: interruptSignal() });
  }
  if (plan.kind === "here") {
    return await runCli(argv, TABLE, {
      version: config.version,
      signal: new AbortController().signal,
    });
  }
  if (plan.kind === "error") {
    new Output().error(plan.error);
    return plan.error.exitCode;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: plan.args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  const forward = new Map<Deno.Signal, () => void>();
  for (const signal of signals) {
    const handler = () => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    };
    forward.set(signal, handler);
    Deno.addSignalListener(signal, handler);
  }
  const status = await child.status;
  for (const [signal, handler] of forward) Deno.removeSignalListener(signal, handler);
  if (status.signal !== null) return 128 + signalNumber(status.signal);
  return status.code;
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return numbers[signal] ?? ExitCode.failed;
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
