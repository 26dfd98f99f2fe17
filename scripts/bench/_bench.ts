/**
 * What the benchmark scripts share beyond the harness (`tests/helpers/harness.ts`,
 * which starts sockit and peers): numeric options with `--quick` presets,
 * timing shell commands, iperf3, tables, and the machine-readable result
 * line that `--json` adds for `scripts/bench/run.ts`. Every wait is
 * bounded; everything started is killed at the end.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  DENO,
  freePort,
  hasCommand,
  MAIN,
  sockit,
  Spawned,
  type SpawnOptions,
} from "../../tests/helpers/harness.ts";

/** The folder of the benchmark scripts. */
export const BENCH_DIR = new URL(".", import.meta.url).pathname;

/** `node` when installed, else Deno: the runtime of the `.mjs` load generators. */
export const NODE_OR_DENO: readonly string[] = hasCommand("node") ? ["node"] : [DENO, "run", "-A"];

const decoder = new TextDecoder();

/**
 * How benchmarks run their servers and peers: no stdin, memory sampled so
 * the peak survives the exit, and 15 s to become ready.
 */
const BACKGROUND: SpawnOptions = { stdin: "null", trackMemory: true, waitTimeoutMs: 15_000 };

/** Starts sockit in the background. */
export function startSockit(
  args: string[],
  permissions?: string[],
  options: SpawnOptions = {},
): Spawned {
  return sockit(args, permissions, { ...BACKGROUND, ...options });
}

/** Starts a peer (or a load generator) in the background. */
export function startPeer(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  return new Spawned(command, args, { ...BACKGROUND, ...options });
}

/** What `echo_load.mjs` reports: round trips of all connections, and their latency. */
export interface EchoLoad {
  roundTrips: number;
  perSecond: number;
  p50us: number;
  p99us: number;
  errors: number;
}

/**
 * Runs `echo_load.mjs` (node when installed) against `port`: `conns`
 * connections ping-ponging `size`-byte messages for `seconds`; its report
 * is awaited for `seconds + slackSeconds`.
 */
export async function runEchoLoad(
  port: number,
  conns: number,
  seconds: number,
  size: number,
  slackSeconds: number,
): Promise<EchoLoad> {
  const [command, ...prefix] = NODE_OR_DENO;
  const gen = startPeer(command!, [
    ...prefix,
    `${BENCH_DIR}echo_load.mjs`,
    String(port),
    String(conns),
    String(seconds),
    String(size),
  ], { name: "echo load" });
  try {
    const [line] = await gen.waitFor(/\{"roundTrips".*\}/, {
      on: "stdout",
      timeoutMs: (seconds + slackSeconds) * 1000,
    });
    return JSON.parse(line);
  } finally {
    await gen.stop();
  }
}

/** One numeric option of a benchmark. */
export interface BenchOption {
  default: number;
  /** The value under `--quick` (a run of a minute or so). @default the default */
  quick?: number;
}

/** The parsed command line of a benchmark. */
export interface BenchArgs<K extends string> {
  /** Each option as given, else its `quick` value under `--quick`, else its default. */
  values: Record<K, number>;
  /** `--json`: end stdout with one result line (see {@linkcode emitResult}). */
  json: boolean;
  /** `--quick` was given. */
  quick: boolean;
}

/**
 * Parses `--NAME VALUE` for each numeric option in `spec`, plus `--quick`
 * and `--json`, from `Deno.args`.
 *
 * @throws {TypeError} on an unknown option
 * @throws {SyntaxError} on a value that is not a number
 */
export function parseBenchArgs<K extends string>(spec: Record<K, BenchOption>): BenchArgs<K> {
  const keys = Object.keys(spec) as K[];
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...Object.fromEntries(keys.map((key) => [key, { type: "string" as const }])),
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const given = values as Record<string, string | boolean | undefined>;
  const quick = given.quick === true;
  const parsed = {} as Record<K, number>;
  for (const key of keys) {
    const text = given[key];
    if (typeof text !== "string") {
      parsed[key] = quick ? spec[key].quick ?? spec[key].default : spec[key].default;
      continue;
    }
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new SyntaxError(`Cannot parse --${key} "${text}": not a number`);
    }
    parsed[key] = value;
  }
  return { values: parsed, json: given.json === true, quick };
}

/** One verdict of a benchmark: sockit's figure against a peer's, or against a limit. */
export interface ResultRow {
  /** What is compared, e.g. "2 GiB bulk vs nc". */
  name: string;
  /** sockit's figure, in `unit`. */
  sockit: number;
  /** The peer's figure, in `unit`; null when the target is a limit on sockit's own figure. */
  peer: number | null;
  /**
   * The bare-runtime ceiling's figure, in `unit`: a minimal Deno program
   * doing the same job, measured in the same run; absent when the benchmark has none.
   */
  ceiling?: number;
  /** The unit of both figures: "MB/s", "s", "MB", "/s". */
  unit: string;
  /** The ratio the target is stated in (as the benchmark's own table prints it); null for a limit. */
  ratio: number | null;
  /** The target as text: "≥ 1.0×", "≤ 0.8×", "≤ 100 MB". */
  target: string;
  met: boolean;
}

/** A target: the ratio (or, for a limit, sockit's figure) must be at least or at most this. */
export type Target = { atLeast: number } | { atMost: number };

function meets(value: number, target: Target): boolean {
  return "atLeast" in target ? value >= target.atLeast : value <= target.atMost;
}

/** "≥ 1.0×" for a ratio, "≤ 100 MB" for a limit. */
function targetText(target: Target, unit: string): string {
  const [sign, value] = "atLeast" in target ? ["≥", target.atLeast] : ["≤", target.atMost];
  return unit === "×" && Number.isInteger(value)
    ? `${sign} ${value.toFixed(1)}×`
    : `${sign} ${value}${unit}`;
}

/** A row comparing sockit with a peer; `ratio` is as the benchmark states its target. */
export function versus(
  name: string,
  figures: { sockit: number; peer: number; unit: string; ratio: number; ceiling?: number },
  target: Target,
): ResultRow {
  const { sockit, peer, unit, ratio, ceiling } = figures;
  return {
    name,
    sockit,
    peer,
    ...(ceiling === undefined ? {} : { ceiling }),
    unit,
    ratio,
    target: targetText(target, "×"),
    met: meets(ratio, target),
  };
}

/** A row holding sockit's own figure to a limit (memory, for one). */
export function limit(
  name: string,
  figures: { sockit: number; unit: string },
  target: Target,
): ResultRow {
  const { sockit, unit } = figures;
  return {
    name,
    sockit,
    peer: null,
    unit,
    ratio: null,
    target: targetText(target, ` ${unit}`),
    met: meets(sockit, target),
  };
}

/** Marks the result line on stdout. */
export const RESULT_KEY = "bench";

/** The result line of one benchmark, as `scripts/bench/run.ts` reads it. */
export interface BenchResult {
  bench: string;
  rows: ResultRow[];
}

/** With `--json`, prints `{"bench": NAME, "rows": […]}` as the last line of stdout. */
export function emitResult(bench: string, rows: ResultRow[], json: boolean): void {
  if (!json) return;
  const result: BenchResult = { bench, rows };
  console.log(JSON.stringify(result));
}

/** Runs `sh -c SCRIPT` to completion (≤ timeoutMs) and returns wall seconds and output. */
export async function timeShell(
  script: string,
  timeoutMs = 300_000,
): Promise<{ seconds: number; code: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  return {
    seconds: (performance.now() - started) / 1000,
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** `deno run --no-prompt PERMS main.ts ARGS` as a shell-quoted string. */
export function sockitShell(args: string[], permissions = ["--allow-net=127.0.0.1"]): string {
  return [DENO, "run", "--no-prompt", ...permissions, MAIN, ...args].map(shellQuote).join(" ");
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Prints rows as an aligned table. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The middle value (the upper one of an even count); 0 for none. */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
}

/** The fields of iperf3's JSON report that the benchmarks read. */
export interface Iperf3Report {
  end: {
    /** TCP runs. */
    sum_received: { bits_per_second: number };
    /** UDP runs. */
    sum: { packets: number; lost_packets: number; seconds: number };
  };
}

/**
 * Runs `iperf3 CLIENT_ARGS -c 127.0.0.1 -p PORT -J` against a one-shot
 * `iperf3 -s` on loopback and returns the client's JSON report.
 */
export async function runIperf3(clientArgs: string): Promise<Iperf3Report> {
  const port = freePort();
  const server = startPeer("iperf3", [
    "-s",
    "-1",
    "--forceflush",
    "-B",
    "127.0.0.1",
    "-p",
    String(port),
  ], { name: "iperf3 -s" });
  try {
    await server.waitFor(/Server listening/, { on: "stdout" });
    const result = await timeShell(`iperf3 ${clientArgs} -c 127.0.0.1 -p ${port} -J`);
    if (result.code !== 0) throw new Error(`iperf3 failed: ${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout);
  } finally {
    await server.stop();
  }
}
