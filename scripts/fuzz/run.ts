/**
 * `deno task fuzz`: seeded mutation fuzzing of every parser and codec.
 *
 * ```sh
 * deno task fuzz                              # every target, 1,000,000 inputs each, seed 1
 * deno task fuzz --only http --inputs 20000   # one group (or one target: --only http.response)
 * deno task fuzz --seed 7 --seconds 60        # another seed; at most 60 s per target
 * deno task fuzz --max-bytes 8192             # mutated inputs up to 8 kB (the test slice's)
 * deno task fuzz --only files.request --replay 474554202e2e  # run one input (hex)
 * deno task fuzz --list
 * ```
 *
 * Prints one line per target (inputs, seconds, failures) and, for each
 * failure, a minimal reproducer: the seed and index that regenerate it and
 * the input as hex (and JSON text). Exit 1 on any failure, 2 on bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeInput, type FuzzResult, fuzzTarget, replay } from "./engine.ts";
import { TARGETS } from "./targets.ts";

function usage(message: string): never {
  console.error(`fuzz: ${message}`);
  console.error(
    "usage: deno task fuzz [--inputs N] [--seconds S] [--seed N] [--only NAME[,NAME]] " +
      "[--max-bytes N] [--slow-ms MS] [--keep-going] [--replay HEX] [--list]",
  );
  Deno.exit(2);
}

function number(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(?:\.\d+)?$/.test(text) || !Number.isFinite(value)) {
    usage(`--${name} "${text}" is not a number`);
  }
  return value;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        inputs: { type: "string" },
        seconds: { type: "string" },
        seed: { type: "string" },
        only: { type: "string" },
        "slow-ms": { type: "string" },
        "max-bytes": { type: "string" },
        "keep-going": { type: "boolean" },
        replay: { type: "string" },
        list: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { values } = parsed;
  if (values.list) {
    for (const target of TARGETS) console.log(`${target.name.padEnd(16)} ${target.about}`);
    return 0;
  }
  const inputs = number(values.inputs, "inputs", 1_000_000);
  const seconds = number(values.seconds, "seconds", 600);
  const seed = number(values.seed, "seed", 1) >>> 0;
  const slowMs = number(values["slow-ms"], "slow-ms", 500);
  const maxBytes = values["max-bytes"] === undefined
    ? undefined
    : number(values["max-bytes"], "max-bytes", 0);
  const bytesFlag = maxBytes === undefined ? "" : ` --max-bytes ${maxBytes}`;
  const wanted = values.only?.split(",").filter((name) => name !== "");
  const targets = wanted
    ? TARGETS.filter((t) => wanted.some((w) => t.name === w || t.name.startsWith(`${w}.`)))
    : TARGETS;
  if (targets.length === 0) usage(`no target matches --only ${values.only} (see --list)`);

  if (values.replay !== undefined) {
    if (targets.length !== 1) usage("--replay needs --only with exactly one target");
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(values.replay)) usage("--replay takes the input as hex");
    const target = targets[0]!;
    const input = Uint8Array.fromHex(values.replay);
    const outcome = await replay(target, input);
    console.log(`${target.name}: ${describeInput(target, input)}`);
    if (outcome.failure) {
      console.log(`FAILS: ${outcome.failure}`);
      return 1;
    }
    console.log(`holds (${outcome.verdict})`);
    return 0;
  }

  console.log(
    `fuzz: seed ${seed}, ${inputs} inputs per target, at most ${seconds} s per target, ` +
      `slow input limit ${slowMs} ms (+${slowMs} ms per 16 kB)`,
  );
  const interactive = Deno.stderr.isTerminal();
  const results: FuzzResult[] = [];
  const started = performance.now();
  for (const target of targets) {
    const result = await fuzzTarget(target, {
      seed,
      inputs,
      seconds,
      slowMs,
      ...(maxBytes === undefined ? {} : { maxBytes }),
      keepGoing: values["keep-going"] ?? false,
      ...(interactive
        ? {
          progress: (done: number) => {
            if (done % 65536 === 0) {
              Deno.stderr.writeSync(new TextEncoder().encode(`\r${target.name} ${done}…  `));
            }
          },
        }
        : {}),
    });
    if (interactive) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    results.push(result);
    const share = result.inputs === 0 ? 0 : (100 * result.accepted) / result.inputs;
    console.log(
      `${result.target.padEnd(16)} ${String(result.inputs).padStart(9)} inputs ` +
        `${result.seconds.toFixed(1).padStart(7)} s  ${result.failures.length} failures` +
        `  (accepted ${share.toFixed(1)}%, slowest ${result.slowest.ms.toFixed(1)} ms ` +
        `for ${result.slowest.bytes} B)${result.timedOut ? "  [time limit reached]" : ""}`,
    );
    for (const failure of result.failures) {
      console.log(`  FAILURE ${failure.kind}: ${failure.message.slice(0, 2000)}`);
      console.log(
        `    reproduce: deno task fuzz --only ${failure.target} --seed ${failure.seed} ` +
          `--inputs ${failure.index + 1}${bytesFlag}   (input #${failure.index}${
            failure.valid ? ", valid" : ""
          })`,
      );
      console.log(`    input (${failure.input.length} B): ${describeInput(target, failure.input)}`);
      if (failure.minimal !== failure.input) {
        console.log(
          `    minimal (${failure.minimal.length} B): ${describeInput(target, failure.minimal)}`,
        );
        console.log(
          `    replay:  deno task fuzz --only ${failure.target} --replay ${
            failure.minimal.length <= 512 ? failure.minimal.toHex() : "<hex above>"
          }`,
        );
      }
      if (failure.kind === "exception") {
        const frames = failure.stack.split("\n").slice(1, 6).join("\n");
        console.log(frames);
      }
    }
  }
  const failures = results.reduce((n, r) => n + r.failures.length, 0);
  const total = results.reduce((n, r) => n + r.inputs, 0);
  const short = results.filter((r) => r.timedOut).map((r) => r.target);
  console.log(
    `fuzz: ${results.length} targets, ${total} inputs, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s, ${failures} failures` +
      (short.length > 0 ? `; time limit before ${inputs} inputs: ${short.join(", ")}` : ""),
  );
  return failures > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
