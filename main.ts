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

/** Runs sockit with the process arguments and returns the exit code. */
async function main(): Promise<number> {
  return await runCli(Deno.args, TABLE, { version: config.version, signal: interruptSignal() });
}

if (import.meta.main) Deno.exit(await main());
