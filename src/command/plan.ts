/**
 * Permission plans: the exact Deno permissions one invocation needs,
 * computed from its parsed arguments by the command's own `plan` function.
 * The same function, run over placeholder arguments, writes the permissions
 * line of `--help`, so help and behaviour cannot drift apart.
 *
 * A plan names what the user named: the folder shared, the folder an output
 * file goes to, the hosts and ports listened on or connected to. Never a
 * temporary name or a port the peer picks; where a peer picks the port (a
 * TFTP server's transfer port), the plan names the host.
 *
 * @module
 */

/** An address as the command parsed it: a host and port, or a Unix socket path. */
export type PlannedAddress =
  | { transport: "unix"; path: string }
  | { transport: "tcp" | "udp"; hostname: string; port: number };

/** The permission kinds sockit uses, in the order flags are printed. */
export const PERMISSION_KINDS = ["net", "read", "write", "sys", "run", "env"] as const;

/** One kind of Deno permission. */
export type PermissionKind = (typeof PERMISSION_KINDS)[number];

/** What a plan grants of each kind: a list of values, or `true` for all of that kind. */
export type Plan = { [K in PermissionKind]?: string[] | true };

/** Placeholders are the upper-case words of usage lines and option values: `ADDR`, `DIR`. */
const PLACEHOLDER = /^[A-Z][A-Z_]*$/;

/**
 * Collects the grants of one invocation. In `describe` mode the arguments
 * are placeholders (`ADDR`, `DIR`, `LOCAL`) and the grants come out as
 * placeholders too (`--allow-net=HOST:PORT`, `--allow-read=DIR`).
 */
export class Planner {
  readonly describe: boolean;
  #plan: Plan = {};

  constructor(options: { describe?: boolean } = {}) {
    this.describe = options.describe ?? false;
  }

  /** The plan so far. */
  get plan(): Plan {
    return this.#plan;
  }

  /** Grants one value of a kind (or, with no value, all of it). */
  grant(kind: PermissionKind, value?: string): void {
    const current = this.#plan[kind];
    if (current === true) return;
    if (value === undefined) {
      this.#plan[kind] = true;
      return;
    }
    if (!current) {
      this.#plan[kind] = [value];
      return;
    }
    if (current.includes(value)) return;
    if (kind === "net") {
      // A host (any port) covers every HOST:PORT of it.
      if (current.includes(hostOf(value))) return;
      if (hostOf(value) === value) {
        this.#plan.net = current.filter((v) => hostOf(v) !== value);
        this.#plan.net.push(value);
        return;
      }
    }
    current.push(value);
  }

  /** Reading `path` (a file, or a folder and everything in it). */
  read(path: string): void {
    this.grant("read", path);
  }

  /** Writing `path` (a file, or a folder and everything in it). */
  write(path: string): void {
    this.grant("write", path);
  }

  /** Reading and writing the folder `path` is in: for an output file and its temporary siblings. */
  besides(path: string): void {
    const dir = this.describe && PLACEHOLDER.test(path) ? `${path}_DIR` : parentOf(path);
    this.read(dir);
    this.write(dir);
  }

  /**
   * Listening on or connecting to the address `text`, parsed by the
   * command's own parser (its errors are the command's usage errors). A
   * TCP client (`role` connect) to `localhost` tries 127.0.0.1 and ::1.
   */
  address(
    text: string,
    parse: (text: string) => PlannedAddress,
    role: "listen" | "connect" = "listen",
  ): void {
    if (this.describe && PLACEHOLDER.test(text)) return this.grant("net", "HOST:PORT");
    const address = parse(text);
    if (role === "connect" && address.transport !== "unix" && address.hostname === "localhost") {
      // A client tries both loopbacks for localhost (see net/endpoint.ts).
      this.hostPort("127.0.0.1", address.port);
      this.hostPort("::1", address.port);
      return;
    }
    if (address.transport === "unix") {
      this.grant("net", `unix:${address.path}`);
      this.read(address.path);
      this.write(address.path);
      return;
    }
    this.hostPort(address.hostname, address.port);
  }

  /** Any port of `hostname`: for peers that pick their own port, or a scan (`hostname` as parsed). */
  host(hostname: string): void {
    if (this.describe && PLACEHOLDER.test(hostname)) return this.grant("net", "HOST");
    this.grant("net", netHost(hostname));
  }

  /**
   * Whoever sends to a server on `hostname` may be answered from any port of
   * it: UDP replies and TFTP transfers. On a loopback host the peers are this
   * machine (`localhost` answers 127.0.0.1 and ::1); on any other host they
   * can be anywhere, which takes all of `--allow-net`.
   */
  answerPeers(hostname: string, loopback: boolean): void {
    if (this.describe && PLACEHOLDER.test(hostname)) return this.grant("net", "HOST");
    if (!loopback) return this.grant("net");
    this.peer(hostname);
  }

  /**
   * Any port of a peer that answers from a port of its choosing (a TFTP
   * server's transfer port). `localhost` answers from 127.0.0.1 or ::1.
   */
  peer(hostname: string): void {
    this.host(hostname);
    if (hostname === "localhost") {
      this.host("127.0.0.1");
      this.host("::1");
    }
  }

  /** A bound address (`HOST:PORT`, port 0 for "any free one"). */
  hostPort(hostname: string, port: number): void {
    this.grant("net", `${netHost(hostname)}:${port}`);
  }
}

/** `127.0.0.1:80` → `127.0.0.1`, `[::1]:80` → `[::1]`; a host alone or `unix:` stays. */
function hostOf(value: string): string {
  if (value.startsWith("unix:")) return value;
  const match = /^(\[[^\]]*\]|[^:]*):(\d+|PORT)$/.exec(value);
  return match?.[1] ?? value;
}

/** `::1` → `[::1]`: Deno's flags take IPv6 hosts in brackets. */
function netHost(hostname: string): string {
  if (hostname.startsWith("[") || !hostname.includes(":")) return hostname;
  return `[${hostname.split("%", 1)[0]}]`;
}

/** The folder a path is in, as the user would write it: `out/x.html` → `out`, `x.html` → `.`. */
export function parentOf(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : trimmed.slice(0, slash);
}

/**
 * The plan as Deno flags, in a fixed order: `--allow-net=a,b --allow-read=DIR`.
 *
 * @example Rendering
 * ```ts
 * import { planFlags } from "./plan.ts";
 * planFlags({ net: ["127.0.0.1:9000"], read: ["./share"] });
 * // ["--allow-net=127.0.0.1:9000", "--allow-read=./share"]
 * ```
 */
export function planFlags(plan: Plan): string[] {
  const flags: string[] = [];
  for (const kind of PERMISSION_KINDS) {
    const values = plan[kind];
    if (values === undefined) continue;
    flags.push(values === true ? `--allow-${kind}` : `--allow-${kind}=${values.join(",")}`);
  }
  return flags;
}

/** The flags as one line a shell takes back unchanged (flags with spaces or quotes are quoted). */
export function planLine(plan: Plan): string {
  return planFlags(plan).map(shellQuote).join(" ");
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./[\]-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The permission kinds a plan does not use: what a compiled binary revokes at start. */
export function unusedKinds(plan: Plan): PermissionKind[] {
  return PERMISSION_KINDS.filter((kind) => plan[kind] === undefined);
}
