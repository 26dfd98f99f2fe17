/**
 * Habits people bring from netcat, curl, python's http.server and tftp: an
 * option sockit does not have, or arguments in another tool's shape, answered
 * with a hint naming the sockit way instead of a bare usage line.
 *
 * @module
 */

/** One habit: an option (as typed) and what to say, for some commands or all. */
interface Habit {
  option: string;
  /** `group command` paths it applies to; every command when absent. */
  commands?: readonly string[];
  hint: string;
}

const CLIENTS = ["tcp connect", "udp send", "chat join", "files get", "files ls", "files put"];

/** The table; a habit naming the command wins over one for every command. */
export const HABITS: readonly Habit[] = [
  // netcat
  { option: "-l", commands: ["tcp connect"], hint: "to listen, use: sockit tcp listen ADDR" },
  {
    option: "-l",
    commands: ["tcp listen", "udp listen"],
    hint: "no -l needed: this command listens on ADDR (e.g. 'tcp listen 9000')",
  },
  { option: "-l", hint: "sockit listens with 'tcp listen ADDR' or 'udp listen ADDR'" },
  {
    option: "-p",
    commands: ["tcp listen", "udp listen", "chat serve"],
    hint: "the port goes in ADDR: e.g. 'tcp listen 9000' or 'tcp listen 0.0.0.0:9000'",
  },
  { option: "-p", hint: "the port goes in the address: HOST:PORT" },
  {
    option: "-u",
    commands: ["tcp connect", "tcp listen"],
    hint: "for UDP use: sockit udp send TARGET / sockit udp listen ADDR",
  },
  { option: "-z", hint: "to scan ports use: sockit port scan HOST PORTS" },
  {
    option: "-w",
    commands: ["tcp connect"],
    hint: "--timeout MS bounds the connect, --idle MS ends a quiet session",
  },
  { option: "-w", hint: "sockit's waits are --timeout MS (or --idle MS); 2s, 1m work too" },
  {
    option: "-c",
    commands: ["tcp connect", "tcp listen"],
    hint: "no shell runs; use -e/--exec \"sh -c '…'\" to run one",
  },
  { option: "-e", hint: "-e/--exec PROGRAM belongs to 'tcp listen' and 'tcp connect'" },
  { option: "-c", hint: "--exec \"sh -c '…'\" belongs to 'tcp listen' and 'tcp connect'" },
  {
    option: "-k",
    commands: ["http get"],
    hint: "to skip TLS hostname checks use --insecure (the chain is still checked)",
  },
  { option: "-k", commands: CLIENTS, hint: "-k (keep open) belongs to 'tcp listen'" },
  // curl
  { option: "-O", commands: ["http get"], hint: "save under a name with -o FILE" },
  { option: "-s", hint: "to silence status lines use -q (--quiet)" },
  { option: "-S", hint: "errors are always shown; -q silences the rest" },
  { option: "-m", hint: "use --timeout MS (a number of ms, or 10s, 1m)" },
  {
    option: "-C",
    commands: ["files get"],
    hint: "files get resumes a .part by itself; --no-resume starts over",
  },
  { option: "-C", hint: "downloads that can resume do so by themselves ('files get')" },
  { option: "-X", commands: ["http get"], hint: "http get sends GET (or HEAD with -I) only" },
  { option: "-d", commands: ["http get"], hint: "http get sends no request body" },
  { option: "-D", commands: ["http get"], hint: "-i prints the headers, -v shows them on stderr" },
  // python -m http.server
  {
    option: "--directory",
    commands: ["files serve"],
    hint: "the folder is the argument: sockit files serve DIR",
  },
  {
    option: "-d",
    commands: ["files serve"],
    hint: "the folder is the argument: sockit files serve DIR",
  },
  {
    option: "-b",
    commands: ["files serve"],
    hint: "choose the address with --listen ADDR (and --http ADDR for browsers)",
  },
  {
    option: "--bind",
    commands: ["files serve"],
    hint: "choose the address with --listen ADDR (and --http ADDR for browsers)",
  },
  // tftp
  {
    option: "-m",
    commands: ["tftp get", "tftp put"],
    hint: "the transfer mode is --mode octet|netascii",
  },
];

/** The hint for an unknown option of `path` (`"tcp connect"`), if a habit explains it. */
export function habitHint(path: string, option: string): string | undefined {
  const name = option.replace(/=.*$/, "");
  const matches = HABITS.filter((h) => h.option === name);
  return (matches.find((h) => h.commands?.includes(path)) ?? matches.find((h) => !h.commands))
    ?.hint;
}

/**
 * Arguments in another tool's shape: a bare host followed by a port number
 * (`HOST PORT`, netcat's habit) or a URL where a TARGET is expected.
 */
export function argumentHint(path: string, positionals: readonly string[]): string | undefined {
  const [first, second] = positionals;
  if (first === undefined) return undefined;
  if (path === "files serve" && /^\d{1,5}$/.test(first)) {
    // python -m http.server 8000
    return `for browsers on port ${first} use: sockit files serve DIR --http ${first}`;
  }
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(first);
  if (url && path !== "http get") {
    const scheme = url[1]!.toLowerCase();
    // files get takes a folder's URL with -r, and words its own hints for the other shapes.
    if ((scheme === "http" || scheme === "https") && path === "files get") return undefined;
    if (scheme === "http" || scheme === "https") return `for a URL use: sockit http get ${first}`;
    return `TARGET is HOST[:PORT], not a URL: e.g. ${url[2] || "HOST"}`;
  }
  // port scan's second argument is its port list, not netcat's PORT.
  if (path === "port scan") return undefined;
  if (second !== undefined && /^\d{1,5}$/.test(second) && !first.includes(":")) {
    return `did you mean ${first}:${second}?`;
  }
  const bracketed = /^\[[^\]]+\]$/.test(first);
  if (second !== undefined && /^\d{1,5}$/.test(second) && bracketed) {
    return `did you mean ${first}:${second}?`;
  }
  return undefined;
}
