/**
 * Ctrl-C handling: the first SIGINT (or SIGTERM) aborts the running command's
 * signal so it can close clients and print its summary; a second one (not
 * the same press delivered twice, within 300 ms), or a command that does not
 * finish within the grace period, exits at once.
 *
 * @module
 */

import { ExitCode } from "./errors.ts";

/** Signals closer together than this are one interrupt delivered twice. */
const REPEAT_MS = 300;

/** Options for {@linkcode interruptSignal}. */
export interface InterruptOptions {
  /** How long a command may take to stop after the first Ctrl-C. @default {3000} */
  graceMs?: number;
}

/** Returns a signal aborted on the first SIGINT/SIGTERM. */
export function interruptSignal(options: InterruptOptions = {}): AbortSignal {
  const { graceMs = 3000 } = options;
  const controller = new AbortController();
  let first = 0;
  const onSignal = (code: number) => () => {
    if (controller.signal.aborted) {
      // The terminal and a parent (deno task, the installed launcher) may both
      // deliver the same Ctrl-C: a repeat within a moment is that one press.
      if (Date.now() - first < REPEAT_MS) return;
      Deno.exit(code);
    }
    first = Date.now();
    controller.abort(new DOMException("interrupted", "AbortError"));
    const timer = setTimeout(() => Deno.exit(code), graceMs);
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGINT", onSignal(ExitCode.interrupted));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal(143));
  return controller.signal;
}
