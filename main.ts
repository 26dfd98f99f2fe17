/**
 * sockit: one executable for network work. `main` parses argv, runs the
 * command and exits with its code (0 ok, 1 failed, 2 usage, 130 interrupted).
 *
 * @module
 */

import config from "./deno.json" with { type: "json" };
import { runCli } from "./src/cli/run.ts";
import { interruptSignal } from "./src/console/signals.ts";
import { TABLE } from "./src/cli/table.ts";

/**
 * A debug switch for checking the sandbox from outside: `--debug-read PATH`
 * before the command tries to read PATH and says on stderr whether the
 * permissions of this run allowed it. It reads nothing else and changes
 * nothing; the tests use it to prove that a run cannot read past its plan.
 */
function debugRead(argv: string[]): string[] {
  if (argv[0] !== "--debug-read" || argv[1] === undefined) return argv;
  const path = argv[1];
  let result: string;
  try {
    result = `${Deno.readFileSync(path).length} bytes`;
  } catch (err) {
    result = `denied (${err instanceof Error ? err.name : String(err)})`;
  }
  console.error(`debug: read ${path}: ${result}`);
  return argv.slice(2);
}

/** Runs sockit with the process arguments and returns the exit code. */
async function main(): Promise<number> {
  return await runCli(debugRead(Deno.args), TABLE, {
    version: config.version,
    signal: interruptSignal(),
    // A compiled binary carries every permission sockit uses; each run drops what its plan does not.
    revoke: Deno.build.standalone,
  });
}

if (import.meta.main) Deno.exit(await main());
