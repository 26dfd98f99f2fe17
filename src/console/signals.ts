/**
 * Ctrl-C handling: the first SIGINT (or SIGTERM) aborts the running command's
 * signal so it can close clients and print its summary; a second one, or a
 * command that does not finish within the grace period, exits at once.
 *
 * @module
 */

import { ExitCode } from "./errors.ts";

/** Options for {@linkcode interruptSignal}. */
export interface InterruptOptions {
  /** How long a command may take to stop after the first Ctrl-C. @default {3000} */
  graceMs?: number;
}

/** Returns a signal aborted on the first SIGINT/SIGTERM. */
export function interruptSignal(options: InterruptOptions = {}): AbortSignal {
  const { graceMs = 3000 } = options;
  const controller = new AbortController();
  const onSignal = (code: number) => () => {
    if (controller.signal.aborted) Deno.exit(code);
    controller.abort(new DOMException("interrupted", "AbortError"));
    const timer = setTimeout(() => Deno.exit(code), graceMs);
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGINT", onSignal(ExitCode.interrupted));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal(143));
  return controller.signal;
}
