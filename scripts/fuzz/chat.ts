/**
 * Fuzz targets of chat: the line framing every line server uses
 * (`src/net/lines.ts`, in the chat server's drop mode and the split mode of
 * the others) and the relay (`src/chat/relay.ts`) fed one hostile client's
 * byte stream beside well-behaved ones, exactly as `chat serve` wires them.
 *
 * @module
 */

import { type Effect, Relay, stripControls } from "../../src/chat/relay.ts";
import { LineSplitter } from "../../src/net/lines.ts";
import type { FuzzTarget } from "./engine.ts";
import {
  byteLength,
  equalBytes,
  holds,
  same,
  show,
  strictTextOf,
  textOf,
  UNSAFE_CHARS,
  type Verdict,
} from "./property.ts";
import { Rng } from "./rng.ts";

/** Cuts `input` into chunks (sometimes byte by byte), from the input's own generator. */
function chunks(input: Uint8Array, rng: Rng): Uint8Array[] {
  const out: Uint8Array[] = [];
  const bytewise = input.length <= 512 && rng.chance(0.2);
  for (let at = 0; at < input.length;) {
    const n = bytewise
      ? 1
      : Math.min(input.length - at, 1 + rng.below(rng.chance(0.5) ? 16 : 9000));
    out.push(input.subarray(at, at + n));
    at += n;
  }
  return out;
}

type Framed = { lines: Uint8Array[]; dropped: number };

function frame(pieces: Uint8Array[], maxLength: number, overlong: "split" | "drop"): Framed {
  const splitter = new LineSplitter({ maxLength, overlong });
  const lines: Uint8Array[] = [];
  let dropped = 0;
  for (const piece of pieces) {
    for (const line of splitter.push(piece)) lines.push(line.slice());
    dropped += splitter.takeDropped();
    holds(
      splitter.pending <= maxLength + 1,
      "bytes waiting for a line end stay within maxLength + 1",
      `${splitter.pending} > ${maxLength + 1}`,
    );
  }
  const last = splitter.flush();
  if (last !== undefined) lines.push(last.slice());
  dropped += splitter.takeDropped();
  return { lines, dropped };
}

/**
 * The documented framing: lines end at LF, one CR before the LF (or at the
 * end of the stream) is dropped; a longer line is cut into maxLength pieces
 * (split) or dropped and counted (drop).
 */
function reference(input: Uint8Array, maxLength: number, overlong: "split" | "drop"): Framed {
  const lines: Uint8Array[] = [];
  let dropped = 0;
  let start = 0;
  while (start < input.length) {
    let end = input.indexOf(0x0a, start);
    const terminated = end >= 0;
    if (!terminated) end = input.length;
    let line = input.subarray(start, end);
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    start = end + 1;
    if (!terminated && line.length === 0 && input[end - 1] !== 0x0d) break;
    if (line.length > maxLength && overlong === "drop") dropped++;
    else if (line.length === 0) lines.push(line);
    else for (let i = 0; i < line.length; i += maxLength) lines.push(line.slice(i, i + maxLength));
  }
  return { lines, dropped };
}

function sameFraming(
  actual: Framed,
  expected: Framed,
  property: string,
  detail: () => string,
): void {
  holds(
    actual.dropped === expected.dropped && actual.lines.length === expected.lines.length &&
      actual.lines.every((line, i) => equalBytes(line, expected.lines[i]!)),
    property,
    detail,
  );
}

/** The line framing of the line servers, in any chunking. */
export const lines: FuzzTarget = {
  name: "chat.lines",
  about:
    "byte stream → LineSplitter (split, drop) in random chunks: bounded, same as the reference",
  kind: "bytes",
  seeds: [
    "hello\n/nick Ada\r\n/who\n",
    "no end",
    "\r\n\r\n\n",
    "x".repeat(40) + "\r\n" + "y".repeat(17),
  ],
  tokens: ["\r\n", "\n", "\r"],
  maxBytes: 20_000,
  check(input: Uint8Array): Verdict {
    const rng = Rng.forBytes(input);
    // Tiny limits on short inputs only: a 20 kB input cut into 1-byte lines proves nothing more.
    const maxLength = rng.pick(input.length <= 2048 ? [1, 2, 16, 17, 4096] : [16, 17, 4096]);
    const pieces = chunks(input, rng);
    for (const overlong of ["split", "drop"] as const) {
      const got = frame(pieces, maxLength, overlong);
      for (const line of got.lines) {
        holds(line.length <= maxLength, "no line is longer than maxLength", `${line.length}`);
      }
      const expected = reference(input, maxLength, overlong);
      sameFraming(
        got,
        expected,
        `lines are the documented framing whatever the chunking (${overlong} mode)`,
        () =>
          `max ${maxLength}, chunks ${show(pieces.map((p) => p.length))}: got ${
            show(got)
          }, expected ${show(expected)}`,
      );
    }
    return "accepted";
  },
};

const MAX_LINE = 4096;
const NAME = /^[\p{L}\p{N}_.-]+$/u;

/** Checks what one call to the relay returned. */
function checkEffects(effects: Effect[], relay: Relay, connected: Set<number>, from: number): void {
  for (const effect of effects) {
    if (effect.kind === "close") {
      holds(effect.id === from, "only the sender is closed");
      continue;
    }
    if (effect.kind === "send") {
      holds(connected.has(effect.to), "a line goes to a connected client");
    }
    holds(
      !UNSAFE_CHARS.test(effect.line),
      "a relayed line holds no control or format character",
      () => show(effect.line),
    );
    holds(
      byteLength(effect.line) <= MAX_LINE + 256,
      "a relayed line is at most the line limit plus a name",
      `${byteLength(effect.line)}`,
    );
  }
  const names = relay.names();
  holds(names.length === connected.size, "one name per connected client");
  holds(
    new Set(names.map((n) => n.toLowerCase())).size === names.length,
    "names are unique, whatever their case",
    show(names),
  );
  for (const name of names) {
    holds(
      NAME.test(name) && [...name].length <= 32,
      "a name is letters, digits, _ . - (≤ 32)",
      show(name),
    );
  }
}

/** One hostile client (its whole byte stream) among two others, through `chat serve`'s wiring. */
export const relay: FuzzTarget = {
  name: "chat.relay",
  about:
    "one client's bytes → LineSplitter(drop) → Relay, beside two others: never throws, lines " +
    "clean and bounded, names unique, plain text relayed as sent",
  kind: "bytes",
  seeds: [
    "hello everyone\n",
    "/nick Ada\n/who\nhi\n",
    "/msg user2 psst\n/msg nobody x\n",
    "//not a command\n/quit\nafter quit\n",
    "\x1b[31mred\x1b[0m\tand\x07bell\n",
    "/nick USER2\n/nick b\u00e4r\n/nick \u0410da\n",
    "/unknown\n   \n\n",
  ],
  tokens: [
    "/nick ",
    "/who",
    "/msg ",
    "/quit",
    "//",
    "user1",
    "user2",
    "USER3",
    "Ada",
    "\u0410da",
    "\uff21da",
  ],
  maxBytes: 20_000,
  check(input: Uint8Array): Verdict {
    const rng = Rng.forBytes(input);
    const relay = new Relay({ maxLineBytes: MAX_LINE });
    const connected = new Set<number>();
    const apply = (from: number, effects: Effect[]) => {
      checkEffects(effects, relay, connected, from);
      return effects;
    };
    for (const id of [1, 2, 3]) {
      connected.add(id);
      apply(id, relay.join(id));
    }
    const splitter = new LineSplitter({ maxLength: MAX_LINE, overlong: "drop" });
    let open = true;
    const feed = (line: Uint8Array) => {
      const name = relay.nameOf(1)!;
      const effects = apply(1, relay.line(1, line));
      const text = strictTextOf(line);
      if (text === undefined) {
        holds(
          effects.length === 1 && effects[0]!.kind === "send" && effects[0]!.to === 1,
          "a line that is not UTF-8 gets one notice to its sender only",
          () => show(effects),
        );
        return;
      }
      const stripped = stripControls(text);
      if (stripped.trim() === "") {
        same(effects, [], "an empty line does nothing");
      } else if (!stripped.startsWith("/") || stripped.startsWith("//")) {
        const body = stripped.startsWith("//") ? stripped.slice(1) : stripped;
        same(
          effects,
          [{ kind: "broadcast", except: 1, line: `<${name}> ${body}` }],
          "plain text goes to the others as <NAME> TEXT",
        );
      }
      if (effects.some((e) => e.kind === "close")) {
        connected.delete(1);
        apply(1, relay.leave(1, "quit"));
        open = false;
      }
      if (relay.nameOf(2) !== undefined && rng.chance(0.2)) {
        apply(
          2,
          relay.line(
            2,
            new TextEncoder().encode(
              rng.pick(["/who", "hi there", `/msg ${relay.nameOf(1) ?? "x"} ok`]),
            ),
          ),
        );
      }
    };
    for (const piece of chunks(input, rng)) {
      if (!open) break;
      for (const line of splitter.push(piece)) {
        if (open) feed(line);
      }
      for (let n = splitter.takeDropped(); n > 0 && open; n--) apply(1, relay.tooLong(1));
    }
    if (open) {
      const last = splitter.flush();
      if (last !== undefined) feed(last);
    }
    if (open) {
      connected.delete(1);
      apply(1, relay.leave(1));
    }
    const hello = apply(3, relay.line(3, new TextEncoder().encode("still here")));
    same(
      hello,
      [{ kind: "broadcast", except: 3, line: `<${relay.nameOf(3)}> still here` }],
      "the others still talk afterwards",
    );
    return "accepted";
  },
};

/** Control stripping on its own: idempotent, and nothing unsafe survives. */
export const strip: FuzzTarget = {
  name: "chat.strip",
  about: "text → stripControls: nothing unsafe left, idempotent, never longer",
  kind: "text",
  seeds: ["plain", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07x", "a\tb", "\u202egnp.exe"],
  tokens: ["\x1b[", "\x1b]", "\x07", "\x1b\\", "\x9b"],
  maxBytes: 20_000,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const stripped = stripControls(text);
    holds(!UNSAFE_CHARS.test(stripped), "nothing unsafe survives stripping", () => show(stripped));
    same(stripControls(stripped), stripped, "stripping is idempotent");
    holds(stripped.length <= text.length, "stripping never lengthens");
    return "accepted";
  },
};
