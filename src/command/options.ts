/**
 * Options that several commands share, defined once: their placeholder,
 * help, default and bounds. A command lists them in its `options` table.
 *
 * @module
 */

import type { PlannedAddress, Planner } from "./plan.ts";
import type { OptionSpec } from "./spec.ts";
import type { Args } from "./values.ts";

/** Clients a stream server serves at once unless told otherwise (`--max-conns`). */
export const DEFAULT_MAX_CONNS = 1000;

/** `--max-conns N`: clients served at once; one more is told `busy`. */
export const MAX_CONNS: OptionSpec = {
  type: "string",
  value: "N",
  help: "clients at once; more are told busy",
  default: DEFAULT_MAX_CONNS,
  min: 1,
};

/**
 * An option in milliseconds (`--idle MS`, `--timeout MS`): at least 1, with
 * this command's help line and default, if it has one.
 *
 * @param help the option's help line for this command
 * @param defaultMs the default, when the command has one
 */
export function millisecondsOption(help: string, defaultMs?: number): OptionSpec {
  return {
    type: "string",
    value: "MS",
    help,
    min: 1,
    ...(defaultMs === undefined ? {} : { default: defaultMs }),
  };
}

/** `--idle MS`: end a session (or close a client) after MS without traffic. */
export const idleOption: typeof millisecondsOption = millisecondsOption;

/** `--timeout MS`: give up when a wait (connect, a byte) takes longer than MS. */
export const timeoutOption: typeof millisecondsOption = millisecondsOption;

/** `--proxy URL`: reach TARGET through a SOCKS5 or HTTP CONNECT proxy. */
export const PROXY: OptionSpec = {
  type: "string",
  value: "URL",
  help: "connect through a proxy: socks5://, socks5h:// (the proxy resolves names) or http:// " +
    "(CONNECT), with USER:PASS@ if it asks",
};

/**
 * A client's TARGET in its plan: TARGET itself, or with `--proxy` the
 * proxy's address instead, plus TARGET's name for `socks5://`, which is
 * resolved here (`socks5h://` and `http://` leave names to the proxy).
 *
 * @param target TARGET as given
 * @param parse the command's TARGET parser (its errors are usage errors)
 * @param proxy `--proxy` as given, if it was
 * @param parseProxy the proxy URL parser
 */
export function planTarget(
  p: Planner,
  target: string,
  parse: (text: string) => PlannedAddress,
  proxy: string | undefined,
  parseProxy: (text: string) => { scheme: string; hostname: string; port: number },
): void {
  if (proxy === undefined) return p.address(target, parse, "connect");
  if (p.describe && /^[A-Z][A-Z_]*$/.test(proxy)) return p.grant("net", "PROXY:PORT");
  const parsed = parseProxy(proxy);
  p.address(
    `${parsed.hostname}:${parsed.port}`,
    () => ({ transport: "tcp", hostname: parsed.hostname, port: parsed.port }),
    "connect",
  );
  if (parsed.scheme !== "socks5" || (p.describe && /^[A-Z][A-Z_]*$/.test(target))) return;
  const address = parse(target);
  if (address.transport !== "unix" && !/^[\d.]+$|:/.test(address.hostname)) {
    p.host(address.hostname);
  }
}
/**
 * `--allow CIDR` and `--deny CIDR` (repeatable): the access list of a
 * server, for every TCP and UDP server. Spread into a command's options.
 */
export const ACCESS_OPTIONS: Record<"allow" | "deny", OptionSpec> = {
  allow: {
    type: "string",
    multiple: true,
    value: "CIDR",
    help: "admit only peers in CIDR (repeatable; others are denied)",
  },
  deny: {
    type: "string",
    multiple: true,
    value: "CIDR",
    help: "turn away peers in CIDR (repeatable; wins over --allow)",
  },
};

/**
 * `-x/--hexdump` and `--log FILE`: the byte tap of a stream command (every
 * chunk as a hex dump on stderr; the raw session appended to FILE). Spread
 * into a command's options; the plan grants `--allow-write=FILE` for `--log`.
 */
export const TAP_OPTIONS: Record<"hexdump" | "log", OptionSpec> = {
  hexdump: {
    type: "boolean",
    short: "x",
    help: "show every chunk as a hex dump on stderr (> sent, < received)",
  },
  log: {
    type: "string",
    value: "FILE",
    help: "append the raw session bytes to FILE, a header line before each chunk",
  },
};

/** The `--help` paragraph of `--allow`/`--deny` on a stream server. */
export const ACCESS_HELP_STREAM = "--allow CIDR / --deny CIDR (repeatable; an address alone is " +
  "one host): deny wins, and with any --allow a client that no --allow covers is denied. A " +
  "denied client is closed at once, before a byte is sent, and logged 'denied HOST:PORT'; " +
  "the summary counts them. IPv4-mapped IPv6 peers (::ffff:a.b.c.d) count as their IPv4 " +
  "address; Unix-socket peers are always admitted.";

/** The `--help` paragraph of `--allow`/`--deny` on a datagram server. */
export const ACCESS_HELP_DATAGRAM = "--allow CIDR / --deny CIDR (repeatable; an address alone " +
  "is one host): deny wins, and with any --allow a sender that no --allow covers is denied. " +
  "A denied datagram is dropped unanswered, logged 'denied HOST:PORT' (once per sender) and " +
  "counted in the summary.";

/** The most worker threads `--workers` accepts. */
export const MAX_WORKERS = 64;

/**
 * `--workers N`: threads sharing a command's work, 1 to {@linkcode MAX_WORKERS}.
 * Its default is the machine's core count, which differs between machines, so
 * the spec has none; read it with {@linkcode workersOf}.
 *
 * @param help what the threads share, for this command's help line
 */
export function workersOption(help: string): OptionSpec {
  return {
    type: "string",
    value: "N",
    help: `${help} (default: one per CPU core)`,
    min: 1,
    max: MAX_WORKERS,
  };
}

/** The `--workers` given, else one per CPU core (within 1..{@linkcode MAX_WORKERS}). */
export function workersOf(args: Args): number {
  const cores = Math.floor(navigator.hardwareConcurrency) || 1;
  return args.integer("workers") ?? Math.min(MAX_WORKERS, Math.max(1, cores));
}
