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

/**
 * What a SIGINT/SIGTERM does: the first one stops the command (`stop`); the
 * same press delivered again within {@linkcode REPEAT_MS} (the terminal and a
 * parent such as `deno task` or the installed launcher both deliver Ctrl-C)
 * is ignored; a later one exits at once.
 *
 * @param first when the first signal came (ms), or undefined
 * @param now the time of this signal (ms)
 */
export function onInterrupt(first: number | undefined, now: number): "stop" | "ignore" | "exit" {
  if (first === undefined) return "stop";
  return now - first < REPEAT_MS ? "ignore" : "exit";
}

/** Options for {@linkcode interruptSignal}. */
export interface InterruptOptions {
  /** How long a command may take to stop after the first Ctrl-C. @default {3000} */
  graceMs?: number;
}

/** Returns a signal aborted on the first SIGINT/SIGTERM. */
export function interruptSignal(options: InterruptOptions = {}): AbortSignal {
  const { graceMs = 3000 } = options;
  const controller = new AbortController();
  let first: number | undefined;
  const onSignal = (code: number) => () => {
    const action = onInterrupt(first, Date.now());
    if (action === "ignore") return;
    if (action === "exit") Deno.exit(code);
    first = Date.now();
    controller.abort(
      new DOMException(code === ExitCode.terminated ? "terminated" : "interrupted", "AbortError"),
    );
    const timer = setTimeout(() => Deno.exit(code), graceMs);
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGINT", onSignal(ExitCode.interrupted));
  if (Deno.build.os !== "windows") {
    Deno.addSignalListener("SIGTERM", onSignal(ExitCode.terminated));
  }
  return controller.signal;
}
