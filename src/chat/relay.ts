/**
 * The chat relay as a pure state machine: clients join, send lines and
 * leave; the relay answers with effects (send a line to one client, to all
 * but one, close a client). Names, commands and fan-out live here, so every
 * rule is tested without sockets.
 *
 * Protocol (see docs/cli.md): a client is `userN` until `/nick NAME`; every other
 * line goes to all *other* clients as `<NAME> TEXT`; `/who`, `/msg NAME
 * TEXT` (delivered as `*NAME* TEXT`), `/quit`; `* NAME joined` / `* NAME
 * left`. Lines are UTF-8; control characters and terminal escape sequences
 * are stripped before relaying. A line starting with `//` is sent as text
 * starting with `/`. Names are unique by how they look: `ADA`, `Аda` (Cyrillic
 * А) and `Ａda` (fullwidth) are all the name `Ada` (see `nick.ts`).
 *
 * @module
 */

import { nickKeys } from "./nick.ts";

/** What the endpoint must do. Lines are without their line end. */
export type Effect =
  | { kind: "send"; to: number; line: string }
  | { kind: "broadcast"; except?: number; line: string }
  | { kind: "close"; id: number; reason: string };

/** Options for {@linkcode Relay}. */
export interface RelayOptions {
  /** Longest nickname, in characters. @default {32} */
  maxNameLength?: number;
  /** Longest line, in bytes (for the notice text). @default {4096} */
  maxLineBytes?: number;
}

const HELP = "commands: /nick NAME, /who, /msg NAME TEXT, /quit";
// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-byte ESC sequences.
// deno-lint-ignore no-control-regex
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// C0 and C1 controls, DEL, and invisible characters that reorder or break text.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAME = /^[\p{L}\p{N}_.-]+$/u;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Removes terminal escape sequences and control characters (a tab becomes a space).
 *
 * @example Stripping
 * ```ts
 * import { stripControls } from "./relay.ts";
 * stripControls("\x1b[31mred\x1b[0m\x07"); // "red"
 * ```
 */
export function stripControls(text: string): string {
  return text.replaceAll("\t", " ").replace(ANSI, "").replace(CONTROL, "");
}

/** The relay's state: who is connected and under which name. */
export class Relay {
  #maxNameLength: number;
  #maxLineBytes: number;
  #names = new Map<number, string>();
  /** Clients by each key of their name (see `nickKeys`): folded, and skeleton. */
  #byFolded = new Map<string, number>();
  #bySkeleton = new Map<string, number>();
  #nextDefault = 1;

  constructor(options: RelayOptions = {}) {
    const { maxNameLength = 32, maxLineBytes = 4096 } = options;
    this.#maxNameLength = maxNameLength;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Names of the connected clients, in the order they joined. */
  names(): string[] {
    return [...this.#names.values()];
  }

  /** The name of a client, if connected. */
  nameOf(id: number): string | undefined {
    return this.#names.get(id);
  }

  /** A client connected: it gets a free `userN` name; the others are told. */
  join(id: number): Effect[] {
    let name: string;
    do name = `user${this.#nextDefault++}`; while (this.#holder(name) !== undefined);
    this.#setName(id, name);
    return [
      { kind: "send", to: id, line: `* welcome, you are ${name} (${HELP})` },
      { kind: "broadcast", except: id, line: `* ${name} joined` },
    ];
  }

  /** A client went away (or was closed); the others are told. */
  leave(id: number, reason?: string): Effect[] {
    const name = this.#names.get(id);
    if (name === undefined) return [];
    this.#names.delete(id);
    this.#unsetKeys(id, name);
    const why = reason ? ` (${reason})` : "";
    return [{ kind: "broadcast", except: id, line: `* ${name} left${why}` }];
  }

  /** A line over the length limit arrived from `id` and was dropped. */
  tooLong(id: number): Effect[] {
    return [{
      kind: "send",
      to: id,
      line: `* not sent: lines are at most ${this.#maxLineBytes} bytes`,
    }];
  }

  /** A complete line (without its line end) arrived from `id`. */
  line(id: number, bytes: Uint8Array): Effect[] {
    const name = this.#names.get(id);
    if (name === undefined) return [];
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      return [{ kind: "send", to: id, line: "* not sent: the line is not valid UTF-8" }];
    }
    text = stripControls(text);
    if (text.trim() === "") return [];
    if (text.startsWith("//")) text = text.slice(1);
    else if (text.startsWith("/")) return this.#command(id, name, text);
    return [{ kind: "broadcast", except: id, line: `<${name}> ${text}` }];
  }

  #command(id: number, name: string, text: string): Effect[] {
    const [command = "", ...rest] = text.trim().split(/\s+/);
    const reply = (line: string): Effect[] => [{ kind: "send", to: id, line }];
    switch (command.toLowerCase()) {
      case "/nick": {
        const wanted = rest.join(" ");
        const problem = this.#checkName(wanted, id);
        if (problem) return reply(`* ${problem}`);
        if (wanted === name) return reply(`* you are already ${name}`);
        this.#unsetKeys(id, name);
        this.#setName(id, wanted);
        return [{ kind: "broadcast", line: `* ${name} is now known as ${wanted}` }];
      }
      case "/who": {
        const names = this.names();
        return reply(`* ${names.length} online: ${names.join(", ")}`);
      }
      case "/msg": {
        const target = rest[0];
        const message = text.trim().replace(/^\S+\s+\S+\s*/, "");
        if (target === undefined || rest.length < 2 || message === "") {
          return reply("* usage: /msg NAME TEXT");
        }
        const to = this.#holder(target);
        if (to === undefined) return reply(`* no such user: ${target}`);
        return [{ kind: "send", to, line: `*${name}* ${message}` }];
      }
      case "/quit":
        return [
          { kind: "send", to: id, line: "* bye" },
          { kind: "close", id, reason: "quit" },
        ];
      default:
        return reply(`* unknown command ${command} (${HELP})`);
    }
  }

  #checkName(wanted: string, id: number): string | undefined {
    if (wanted === "") return "usage: /nick NAME";
    if ([...wanted].length > this.#maxNameLength) {
      return `names are at most ${this.#maxNameLength} characters`;
    }
    if (!NAME.test(wanted)) return `bad name "${wanted}": use letters, digits, _ . -`;
    const holder = this.#holder(wanted);
    if (holder === undefined || holder === id) return undefined;
    const held = this.#names.get(holder)!;
    const alike = held.toLowerCase() === wanted.toLowerCase() ? "" : ` (it looks like ${held})`;
    return `name ${wanted} is taken${alike}`;
  }

  /** Who holds `name` or a name that looks the same. */
  #holder(name: string): number | undefined {
    const { folded, skeleton } = nickKeys(name);
    return this.#byFolded.get(folded) ?? this.#bySkeleton.get(skeleton);
  }

  #setName(id: number, name: string): void {
    this.#names.set(id, name);
    const { folded, skeleton } = nickKeys(name);
    this.#byFolded.set(folded, id);
    this.#bySkeleton.set(skeleton, id);
  }

  #unsetKeys(id: number, name: string): void {
    const { folded, skeleton } = nickKeys(name);
    if (this.#byFolded.get(folded) === id) this.#byFolded.delete(folded);
    if (this.#bySkeleton.get(skeleton) === id) this.#bySkeleton.delete(skeleton);
  }
}
