/**
 * Fuzz targets of the text encodings and escaping (`src/text/`): what is
 * sent (`encodeText` for every `--encoding`), what is shown of a peer's
 * bytes (`displayText`, `jsonText`), and the escaping that keeps them from
 * acting on the terminal (`escapeText`).
 *
 * @module
 */

import {
  displayText,
  encodeText,
  type Encoding,
  ENCODINGS,
  jsonText,
} from "../../src/text/encoding.ts";
import { escapeText, isSafeText } from "../../src/text/escape.ts";
import { hexdumpLines } from "../../src/text/hexdump.ts";
import { splitWords } from "../../src/text/words.ts";
import type { FuzzTarget } from "./engine.ts";
import {
  bytesOf,
  concat,
  equalBytes,
  holds,
  refused,
  same,
  show,
  strictTextOf,
  textOf,
  UNSAFE_CHARS,
  type Verdict,
} from "./property.ts";

/**
 * Reads an escaped line back: `\n \r \t \\`, `\xNN` (a control below 0x80,
 * otherwise a raw byte that was not valid text), `\u{N}`; every other
 * character as UTF-8 (or, with `latin1`, as its one byte).
 */
export function unescapeDisplay(shown: string, latin1 = false): Uint8Array {
  const parts: Uint8Array[] = [];
  let text = "";
  const flush = () => {
    if (text === "") return;
    parts.push(latin1 ? Uint8Array.from(text, (ch) => ch.charCodeAt(0)) : bytesOf(text));
    text = "";
  };
  for (let i = 0; i < shown.length; i++) {
    const ch = shown[i]!;
    if (ch !== "\\") {
      text += ch;
      continue;
    }
    const next = shown[++i];
    if (next !== undefined && NAMED[next]) {
      text += NAMED[next];
    } else if (next === "x") {
      const byte = Number.parseInt(shown.slice(i + 1, i + 3), 16);
      i += 2;
      if (byte < 0x80) text += String.fromCharCode(byte);
      else {
        flush();
        parts.push(new Uint8Array([byte]));
      }
    } else if (next === "u") {
      const close = shown.indexOf("}", i);
      text += String.fromCodePoint(Number.parseInt(shown.slice(i + 2, close), 16));
      i = close;
    } else {
      holds(
        false,
        "every backslash in a display starts an escape",
        show(shown.slice(i - 1, i + 8)),
      );
    }
  }
  flush();
  return parts.length === 1 ? parts[0]! : concat(parts);
}

const NAMED: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\" };

function encode(text: string, encoding: Encoding): Uint8Array | undefined {
  try {
    return encodeText(text, encoding);
  } catch (err) {
    refused(err, SyntaxError, RangeError);
    return undefined;
  }
}

/** What the user types, in every encoding. */
export const encodeTarget: FuzzTarget = {
  name: "text.encode",
  about:
    "text → encodeText for every --encoding: SyntaxError/RangeError only, decodes back to the text",
  kind: "text",
  seeds: [
    "hello",
    "\u4f60\u597d",
    "caf\u00e9",
    "68 69 0a",
    "de:ad:be:ef",
    "aGk=",
    "\u20ac\u3042\uff71",
    "\u{20000}",
  ],
  tokens: ["\u00a5", "\u203e", "\u20ac", "\u{1f600}", "==", ":", "0x"],
  maxBytes: 8192,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    let accepted = false;
    for (const encoding of ENCODINGS) {
      const bytes = encode(text, encoding);
      if (!bytes) continue;
      accepted = true;
      switch (encoding) {
        case "utf-8":
          same(textOf(bytes), text, "UTF-8 decodes back to the text");
          break;
        case "latin1":
          same(jsonText(bytes, "latin1").text, text, "latin1 decodes back to the text");
          break;
        case "hex":
          same(bytes.toHex(), text.replace(/[\s:]/g, "").toLowerCase(), "hex bytes are the digits");
          break;
        case "base64":
          same(encode(bytes.toBase64(), "base64"), bytes, "base64 round-trips");
          break;
        default:
          same(
            new TextDecoder(encoding, { fatal: true }).decode(bytes),
            text,
            `${encoding} decodes back to the text`,
          );
      }
    }
    return accepted ? "accepted" : "rejected";
  },
};

/** A peer's bytes as `udp listen`, `tcp` and the JSON output show them. */
export const display: FuzzTarget = {
  name: "text.display",
  about:
    "peer bytes → displayText, jsonText for every --encoding: never throws, nothing unsafe shown, " +
    "every byte kept (display reads back, JSON base64 when needed)",
  kind: "bytes",
  seeds: [
    "hello\n",
    "\u4f60\u597d",
    "\x1b[31mred\x07",
    new Uint8Array([0x68, 0xff, 0xfe, 0x00]),
    "\ufeffBOM",
    "\xe9t\xe9",
  ],
  maxBytes: 70_000,
  check(input: Uint8Array): Verdict {
    for (const encoding of ENCODINGS) {
      const shown = displayText(input, encoding);
      holds(
        !UNSAFE_CHARS.test(shown),
        "a display holds no control or format character",
        () => show(shown),
      );
      holds(shown.length <= 6 * input.length + 8, "a display is at most 6 characters a byte");
      const json = jsonText(input, encoding);
      if (encoding === "hex") {
        holds(equalBytes(Uint8Array.fromHex(shown), input), "hex display reads back");
        continue;
      }
      if (encoding === "base64") {
        holds(equalBytes(Uint8Array.fromBase64(shown), input), "base64 display reads back");
        continue;
      }
      if (json.base64 !== undefined) {
        holds(equalBytes(Uint8Array.fromBase64(json.base64), input), "JSON base64 holds the bytes");
      }
      if (encoding === "utf-8") {
        holds(
          equalBytes(unescapeDisplay(shown), input),
          "a UTF-8 display keeps every byte (it reads back)",
          () => `${show(shown)} for ${input.subarray(0, 64).toHex()}`,
        );
        holds(
          json.base64 !== undefined || equalBytes(bytesOf(json.text), input),
          "JSON text is the bytes exactly, or base64 is added",
          () => `${show(json)} for ${input.subarray(0, 64).toHex()}`,
        );
        same(
          json.base64 === undefined,
          strictTextOf(input) !== undefined,
          "base64 exactly when not UTF-8",
        );
      }
      if (encoding === "latin1") {
        holds(equalBytes(unescapeDisplay(shown, true), input), "a latin1 display keeps every byte");
      }
    }
    return "accepted";
  },
};

/** Escaping on its own: injective, and nothing unsafe survives. */
export const escape: FuzzTarget = {
  name: "text.escape",
  about:
    "text → escapeText, isSafeText: nothing unsafe survives, reads back exactly, safe ⇔ unchanged",
  kind: "text",
  seeds: ["plain", "tab\there", "\x1b]0;x\x07", "back\\slash", "\u202eevil", "line\r\n"],
  maxBytes: 20_000,
  check(input: Uint8Array): Verdict {
    const text = textOf(input);
    const escaped = escapeText(text);
    holds(!UNSAFE_CHARS.test(escaped), "nothing unsafe survives escaping", () => show(escaped));
    same(textOf(unescapeDisplay(escaped)), text, "escaping reads back exactly");
    same(isSafeText(text), escaped === text, "isSafeText(t) ⇔ escapeText(t) == t");
    return "accepted";
  },
};

/** A word quoted for a POSIX shell: `'…'`, a quote inside as `'\''`. */
function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `--exec` command lines (`words.ts`). */
export const words: FuzzTarget = {
  name: "text.words",
  about: "a command line → splitWords: SyntaxError only, at least one word, and the words " +
    "quoted again split back to themselves",
  kind: "text",
  seeds: [
    "cat",
    "tr a-z A-Z",
    `sh -c 'echo hi; exit 3'`,
    `grep -i "hello world" it\\'s`,
    `echo "a \\"quoted\\" word" '' ""`,
    "echo a\\\nb",
  ],
  tokens: ["'", '"', "\\", " ", "\t", "\n", "|", "$", "`", "\\\n"],
  maxBytes: 4096,
  check(input: Uint8Array): Verdict {
    const line = textOf(input);
    let split: string[];
    try {
      split = splitWords(line);
    } catch (err) {
      return refused(err, SyntaxError);
    }
    holds(split.length >= 1, "at least one word (the program)");
    same(splitWords(split.map(shellQuoted).join(" ")), split, "quoted words split back");
    return "accepted";
  },
};

/** `-x` hex dumps (`hexdump.ts`). */
export const hexdump: FuzzTarget = {
  name: "text.hexdump",
  about: "any bytes → hexdumpLines: printable ASCII only, 16 bytes a row, the hex reads back",
  kind: "bytes",
  seeds: [new Uint8Array([0x68, 0x69, 0x0a]), Uint8Array.from({ length: 256 }, (_, i) => i)],
  maxBytes: 4096,
  check(input: Uint8Array): Verdict {
    const rows = hexdumpLines(input, { offset: 7, prefix: "< " });
    same(rows.length, Math.ceil(input.length / 16), "one row per 16 bytes");
    const back: number[] = [];
    for (const [i, row] of rows.entries()) {
      holds(/^[\x20-\x7e]*$/.test(row), "a row is printable ASCII", show(row));
      same(row.slice(0, 10), `< ${(7 + i * 16).toString(16).padStart(8, "0")}`, "the offset");
      const hex = row.slice(12, 60).trim().split(/ +/);
      for (const h of hex) back.push(Number.parseInt(h, 16));
    }
    same(back, [...input], "the hex column reads back as the bytes");
    return "accepted";
  },
};
