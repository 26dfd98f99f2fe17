/**
 * The line-based TCP services as pure state machines: a responder is fed
 * lines and returns the bytes to send back. No sockets, no clock of its own.
 *
 * @module
 */

/** What a responder wants done after a line. */
export interface Response {
  /** Bytes to send, in order. */
  replies: Uint8Array[];
  /** Close the connection once the replies are sent. */
  close: boolean;
}

/** A per-connection line service. */
export interface LineResponder {
  /** Bytes to send as soon as the client connects. */
  open(): Uint8Array[];
  /** Handles one line (without its line end). */
  line(line: Uint8Array): Response;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The timestamp service: each line `LINE` is answered `[ISO-8601] LINE`.
 *
 * @param now the clock (tests pass a fixed one)
 * @example Answering
 * ```ts
 * import { stampResponder } from "./responder.ts";
 * const r = stampResponder(() => new Date(0));
 * r.line(new TextEncoder().encode("hi")); // "[1970-01-01T00:00:00.000Z] hi\n"
 * ```
 */
export function stampResponder(now: () => Date = () => new Date()): LineResponder {
  return {
    open: () => [],
    line(line) {
      const prefix = encoder.encode(`[${now().toISOString()}] `);
      const reply = new Uint8Array(prefix.length + line.length + 1);
      reply.set(prefix);
      reply.set(line, prefix.length);
      reply[reply.length - 1] = 0x0a;
      return { replies: [reply], close: false };
    },
  };
}

/** Options for {@linkcode greetResponder}. */
export interface GreetOptions {
  /** @default {"Welcome to sockit!"} */
  greeting?: string;
}

/**
 * The greeting service: a welcome line on connect; `NAME` → `Hello, NAME!`;
 * `exit` closes. Blank lines are ignored; surrounding spaces are trimmed.
 *
 * @example Answering
 * ```ts
 * import { greetResponder } from "./responder.ts";
 * const r = greetResponder();
 * r.line(new TextEncoder().encode("Ada")); // "Hello, Ada!\n"
 * ```
 */
export function greetResponder(options: GreetOptions = {}): LineResponder {
  const { greeting = "Welcome to sockit!" } = options;
  return {
    open: () => [encoder.encode(`${greeting}\n`)],
    line(line) {
      const name = decoder.decode(line).trim();
      if (name === "") return { replies: [], close: false };
      if (name === "exit") return { replies: [encoder.encode("Bye!\n")], close: true };
      return { replies: [encoder.encode(`Hello, ${name}!\n`)], close: false };
    },
  };
}
