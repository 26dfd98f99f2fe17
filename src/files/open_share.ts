/**
 * Opening the shared folder with sockit's error messages.
 *
 * @module
 */

import { CliError, describeError, ExitCode } from "../console/errors.ts";
import { Sandbox } from "./sandbox.ts";

/** Opens DIR as a sandbox, with sockit's error messages. */
export async function openShare(dir: string, showHidden: boolean): Promise<Sandbox> {
  try {
    return await Sandbox.open(dir, { showHidden });
  } catch (err) {
    if (err instanceof TypeError) throw new CliError(err.message, { exitCode: ExitCode.usage });
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`Cannot share "${dir}": no such directory`, { exitCode: ExitCode.usage });
    }
    throw describeError(err);
  }
}
