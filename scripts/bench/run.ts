/**
 * Runs every benchmark (each `bench:*` task of deno.json) in turn and ends
 * with one table: sockit's figure, the bare-runtime ceiling's (where the
 * benchmark measures one), the peer's, the ratio and the target of each
 * comparison, and whether it is met.
 *
 * Each benchmark runs as its task's command plus `--json`, in a process
 * group and a TMPDIR of its own. Its output passes through as it comes;
 * the last line of its stdout (`{"bench": …, "rows": […]}`, see
 * `_bench.ts`) is its result. A benchmark still running after `--timeout`
 * is killed with everything it started and reported as failed, and the
 * others still run. Exits 1 when a benchmark failed (a target not met is a
 * finding, not a failure).
 *
 * Usage: deno task bench [--quick] [--runs N] [--only NAME,…] [--timeout SECONDS]
 *   --quick     each benchmark's smoke-sized run (a few minutes in all)
 *   --runs N    runs (or rounds) per benchmark, for those that repeat
 *   --only      e.g. --only tcp_bulk,chat
 *   --timeout   the bound of each benchmark (default 600 s)
 *
 * @module
 */

import { parseArgs } from "node:util";
import config from "../../deno.json" with { type: "json" };
import { DENO } from "../../tests/helpers/harness.ts";
import { type BenchResult, printTable, RESULT_KEY, type ResultRow } from "./_bench.ts";

/** A benchmark: its task in deno.json and the flag that sets how often it repeats. */
interface Bench {
  name: string;
  task: string;
  runsFlag?: "--runs" | "--rounds";
}

const BENCHES: Bench[] = [
  { name: "tcp_bulk", task: "bench:tcp-bulk", runsFlag: "--runs" },
  { name: "tcp_echo", task: "bench:tcp-echo", runsFlag: "--rounds" },
  { name: "udp_rate", task: "bench:udp" },
  { name: "chat", task: "bench:chat", runsFlag: "--rounds" },
  { name: "files", task: "bench:files", runsFlag: "--runs" },
  { name: "http", task: "bench:http", runsFlag: "--runs" },
  { name: "inet", task: "bench:inet" },
  { name: "tftp", task: "bench:tftp", runsFlag: "--runs" },
  { name: "exec", task: "bench:exec", runsFlag: "--runs" },
  { name: "relay", task: "bench:relay", runsFlag: "--runs" },
  { name: "tls", task: "bench:tls", runsFlag: "--runs" },
  { name: "bench", task: "bench:bench", runsFlag: "--rounds" },
];

const ROOT = new URL("../../", import.meta.url).pathname;
/** How long a killed benchmark's leftovers may hold its stdout open. */
const DRAIN_MS = 5_000;

/** What one benchmark came to. */
interface Outcome {
  bench: string;
  seconds: number;
  rows: ResultRow[];
  /** Why it failed; undefined when it succeeded. */
  failure?: string;
}

/** The benchmark's command: its task's words, `deno` being this Deno. */
function command(bench: Bench): string[] {
  const tasks: Record<string, string> = config.tasks;
  const task = tasks[bench.task];
  if (task === undefined) throw new Error(`Cannot run ${bench.name}: no task "${bench.task}"`);
  const [program, ...args] = task.split(/\s+/);
  if (program !== "deno" || args.some((arg) => /["'$`\\]/.test(arg))) {
    throw new Error(`Cannot run ${bench.name}: task "${task}" is not a plain deno command`);
  }
  return [DENO, ...args];
}

/** A benchmark task in deno.json that this runner does not know would be silently skipped. */
function checkTasks(): void {
  const known = new Set(BENCHES.map((bench) => bench.task));
  const unknown = Object.keys(config.tasks).filter((task) =>
    task.startsWith("bench:") && !known.has(task)
  );
  if (unknown.length > 0) {
    throw new Error(
      `Cannot run benchmarks: ${unknown.join(", ")} missing from scripts/bench/run.ts`,
    );
  }
}

/** The group of the benchmark running now, for Ctrl-C. */
let running: { pid: number; tmp: string } | undefined;

function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

/** Passes `stream` through to stdout line by line, keeping the result line aside. */
async function passThrough(
  reader: ReadableStreamDefaultReader<string>,
  onResult: (line: string) => void,
): Promise<void> {
  const write = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
  let pending = "";
  for (let read; !(read = await reader.read()).done;) {
    pending += read.value;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line.startsWith(`{"${RESULT_KEY}":`)) onResult(line);
      else write(`${line}\n`);
    }
  }
  if (pending) write(pending);
}

async function runBench(bench: Bench, extra: string[], timeoutMs: number): Promise<Outcome> {
  const args = [...command(bench), ...extra, "--json"];
  console.error(`\n== ${bench.name}: ${bench.task} ${[...extra, "--json"].join(" ")}`);
  const tmp = await Deno.makeTempDir({ prefix: `sockit-bench-${bench.name}-` });
  const started = performance.now();
  const child = new Deno.Command(args[0]!, {
    args: args.slice(1),
    cwd: ROOT,
    env: { TMPDIR: tmp },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    // A process group of its own: a timeout kills the benchmark and everything it started.
    detached: true,
  }).spawn();
  running = { pid: child.pid, tmp };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeoutMs);
  let resultLine: string | undefined;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const pumped = passThrough(reader, (line) => resultLine = line);
  try {
    const status = await child.status;
    // Whatever the benchmark left running goes with it.
    killGroup(child.pid);
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    const drained = await Promise.race([
      pumped.then(() => true),
      new Promise<false>((resolve) => drainTimer = setTimeout(() => resolve(false), DRAIN_MS)),
    ]);
    clearTimeout(drainTimer);
    if (!drained) await reader.cancel();
    const seconds = (performance.now() - started) / 1000;
    const failed = (failure: string): Outcome => ({
      bench: bench.name,
      seconds,
      rows: [],
      failure,
    });
    if (timedOut) return failed(`timed out after ${timeoutMs / 1000} s: killed`);
    if (!status.success) {
      return failed(status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`);
    }
    if (resultLine === undefined) return failed("no result line on stdout");
    const result: BenchResult = JSON.parse(resultLine);
    return { bench: bench.name, seconds, rows: result.rows };
  } finally {
    clearTimeout(timer);
    running = undefined;
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** 89,821 /s; 17.8 MB/s; 0.167 s. */
function figure(value: number, unit: string): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  const text = value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${text} ${unit}`;
}

function summary(outcomes: Outcome[]): string[][] {
  const table = [
    ["benchmark", "comparison", "sockit", "ceiling", "peer", "ratio", "target", "result"],
  ];
  for (const { bench, rows, failure } of outcomes) {
    if (failure !== undefined) {
      table.push([bench, "-", "-", "-", "-", "-", "-", `FAILED: ${failure}`]);
      continue;
    }
    if (rows.length === 0) table.push([bench, "(no peer installed)", "-", "-", "-", "-", "-", "-"]);
    for (const row of rows) {
      table.push([
        bench,
        row.name,
        figure(row.sockit, row.unit),
        row.ceiling === undefined ? "-" : figure(row.ceiling, row.unit),
        row.peer === null ? "-" : figure(row.peer, row.unit),
        row.ratio === null ? "-" : row.ratio.toFixed(2),
        row.target,
        row.met ? "met" : "not met",
      ]);
    }
  }
  return table;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      only: { type: "string" },
      timeout: { type: "string", default: "600" },
    },
  });
  checkTasks();
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new RangeError(`Cannot use --timeout "${values.timeout}": not > 0`);
  if (values.runs !== undefined && !(Number(values.runs) >= 1)) {
    throw new RangeError(`Cannot use --runs "${values.runs}": must be 1 or more`);
  }
  const only = values.only?.split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = only?.filter((name) => !BENCHES.some((bench) => bench.name === name)) ?? [];
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot run "${unknown.join(", ")}": benchmarks are ${BENCHES.map((b) => b.name).join(", ")}`,
    );
  }
  const selected = BENCHES.filter((bench) => !only || only.includes(bench.name));

  const onInterrupt = () => {
    if (running) {
      killGroup(running.pid);
      Deno.removeSync(running.tmp, { recursive: true });
    }
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const outcomes: Outcome[] = [];
  try {
    for (const bench of selected) {
      const extra = [
        ...(values.quick ? ["--quick"] : []),
        ...(values.runs !== undefined && bench.runsFlag ? [bench.runsFlag, values.runs] : []),
      ];
      const outcome = await runBench(bench, extra, timeoutMs);
      console.error(
        `== ${bench.name}: ${outcome.failure ?? "done"} (${outcome.seconds.toFixed(0)} s)`,
      );
      outcomes.push(outcome);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }

  const failed = outcomes.filter((outcome) => outcome.failure !== undefined).length;
  const rows = outcomes.flatMap((outcome) => outcome.rows);
  const seconds = outcomes.reduce((sum, outcome) => sum + outcome.seconds, 0);
  console.log(
    `\nSummary: ${outcomes.length} benchmarks in ${
      (seconds / 60).toFixed(1)
    } min, ${failed} failed; ` +
      `${rows.filter((row) => row.met).length} of ${rows.length} targets met` +
      (values.quick ? " (--quick: small sizes, figures are rough)" : ""),
  );
  printTable(summary(outcomes));
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
