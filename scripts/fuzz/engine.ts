/**
 * The fuzz loop: for each input of a target, a valid seed, a freshly
 * generated valid value, or a mutation of one already seen; the target's
 * check runs it through the parser and its properties; whatever goes wrong
 * (a property, an exception the parser does not document, a valid input
 * refused, an input that takes far too long) is a failure, shrunk to a
 * minimal reproducer. Inputs are a pure function of (seed, target, index).
 *
 * @module
 */

import { asBytes, mutate, SHARED_TOKENS } from "./mutate.ts";
import { refusals, UNSAFE_CHARS, type Verdict, Violation } from "./property.ts";
import { Rng } from "./rng.ts";

/** One parser or codec under fuzz. */
export interface FuzzTarget {
  /** `group.what`, e.g. `files.request`. */
  name: string;
  /** One line: what is fed and what is checked. */
  about: string;
  /** How a reproducer is shown: text (JSON string, and hex) or bytes (hex). */
  kind: "text" | "bytes";
  /** Valid inputs: the corpus every mutation starts from; each must be accepted. */
  seeds: readonly (string | Uint8Array)[];
  /** Byte strings that mean something to this parser, for the mutator. */
  tokens?: readonly (string | Uint8Array)[];
  /** The longest input the mutator makes. @default {70000} */
  maxBytes?: number;
  /** A fresh valid input in canonical form (e.g. a random value encoded). */
  generate?: (rng: Rng) => string | Uint8Array;
  /**
   * Runs the input through the parser and checks every property; throws a
   * {@linkcode Violation} when one fails (any other exception is the
   * parser's own and a failure too). A seed or generated input must be
   * accepted (the engine checks the verdict); a generated one is canonical,
   * so it must also round-trip exactly where the codec has both directions.
   */
  check(input: Uint8Array, origin: Origin): Verdict | Promise<Verdict>;
}

/** Where an input came from: the corpus, the generator, or the mutator. */
export type Origin = "seed" | "generated" | "mutated";

/** Options for {@linkcode fuzzTarget}. */
export interface FuzzOptions {
  /** The run's seed. @default {1} */
  seed?: number;
  /** How many inputs. @default {1_000_000} */
  inputs?: number;
  /** Stop the target after this many seconds even if `inputs` are not done. @default {Infinity} */
  seconds?: number;
  /**
   * An input that takes longer than this (twice in a row) is a failure. The
   * limit grows by as much again for every 16 kB of input: linear work on a
   * big input passes, work that grows faster soon does not. @default {Infinity}
   */
  slowMs?: number;
  /** At most this many bytes per mutated input, whatever the target allows. @default {Infinity} */
  maxBytes?: number;
  /** Keep going after a failure (collecting failures of other kinds). @default {false} */
  keepGoing?: boolean;
  /** Called now and then with the inputs done so far. */
  progress?: (done: number) => void;
}

/** What went wrong with one input. */
export interface Failure {
  target: string;
  seed: number;
  /** The input's index in the run: `--seed SEED --only TARGET` regenerates it. */
  index: number;
  /** `violation`, `exception`, `refused-valid` or `slow`. */
  kind: string;
  /** Stable across inputs that fail the same way (used to shrink and to deduplicate). */
  signature: string;
  message: string;
  stack: string;
  input: Uint8Array;
  /** The smallest input found that fails the same way. */
  minimal: Uint8Array;
  valid: boolean;
  /** For `slow`: how long it took. */
  ms?: number;
}

/** The outcome of fuzzing one target. */
export interface FuzzResult {
  target: string;
  inputs: number;
  accepted: number;
  seconds: number;
  /** The slowest input: its size and time. */
  slowest: { bytes: number; ms: number };
  failures: Failure[];
  /** True when `seconds` ran out before `inputs`. */
  timedOut: boolean;
}

const POOL_LIMIT = 512;
const POOL_ENTRY_LIMIT = 1024;

/** Runs `check` and classifies what happened (undefined: it held). */
async function attempt(
  target: FuzzTarget,
  input: Uint8Array,
  origin: Origin,
): Promise<{ verdict?: Verdict; kind?: string; signature?: string; error?: Error }> {
  const valid = origin !== "mutated";
  refusals.length = 0;
  try {
    const result = target.check(input, origin);
    const verdict = result instanceof Promise ? await result : result;
    if (valid && verdict !== "accepted") {
      const error = new Error(refusals.join("; ") || "(no error: the check returned rejected)");
      return { verdict, kind: "refused-valid", signature: "refused-valid", error };
    }
    return { verdict };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(`non-Error thrown: ${String(err)}`);
    if (error instanceof Violation) {
      return { kind: "violation", signature: `violation ${error.property}`, error };
    }
    return { kind: "exception", signature: `exception ${error.name} ${whereFrom(error)}`, error };
  }
}

/** Where an exception came from: the first stack frame in `src/` (or the first frame). */
function whereFrom(error: Error): string {
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  const frame = frames.find((line) => line.includes("/src/")) ?? frames[0] ?? "";
  return frame.replace(/^\s+at /, "").replace(/^.*\/(src\/[^)]*)\)?$/, "$1");
}

/**
 * Shrinks `input` while it still fails with `signature`: removes chunks of
 * halving sizes, then simplifies bytes, bounded in tries.
 */
async function shrink(
  target: FuzzTarget,
  input: Uint8Array,
  signature: string,
): Promise<Uint8Array> {
  let best = input;
  let tries = 0;
  const fails = async (candidate: Uint8Array) => {
    tries++;
    return (await attempt(target, candidate, "mutated")).signature === signature;
  };
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && tries < 4000; chunk >>= 1) {
    for (let at = 0; at < best.length && tries < 4000;) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      if (await fails(candidate)) best = candidate;
      else at += chunk;
    }
  }
  // Replace bytes by a plain letter where that still fails: fewer distracting bytes.
  for (let i = 0; i < best.length && tries < 6000; i++) {
    if (best[i] === 0x61) continue;
    const candidate = best.slice();
    candidate[i] = 0x61;
    if (await fails(candidate)) best = candidate;
  }
  return best;
}

/** The input of `index` for `target`: a seed, a generated value, or a mutation. */
function inputAt(
  target: FuzzTarget,
  seeds: Uint8Array[],
  pool: Uint8Array[],
  tokens: Uint8Array[],
  seed: number,
  index: number,
  maxBytes: number,
): { input: Uint8Array; origin: Origin } {
  if (index < seeds.length) return { input: seeds[index]!, origin: "seed" };
  const rng = Rng.forInput(seed, target.name, index);
  if (target.generate && rng.chance(0.1)) {
    return { input: asBytes(target.generate(rng)), origin: "generated" };
  }
  const parent = rng.pick(pool);
  return {
    input: mutate(parent, rng, { pool, tokens, maxBytes }),
    origin: "mutated",
  };
}

/**
 * Fuzzes one target.
 *
 * @example Five thousand inputs
 * ```ts
 * import { fuzzTarget } from "./engine.ts";
 * import { TARGETS } from "./targets.ts";
 * const result = await fuzzTarget(TARGETS[0]!, { seed: 1, inputs: 5000 });
 * result.failures.length; // 0
 * ```
 */
export async function fuzzTarget(
  target: FuzzTarget,
  options: FuzzOptions = {},
): Promise<FuzzResult> {
  const {
    seed = 1,
    inputs = 1_000_000,
    seconds = Infinity,
    slowMs = Infinity,
    keepGoing = false,
    progress,
  } = options;
  const maxBytes = Math.min(target.maxBytes ?? 70_000, options.maxBytes ?? Infinity);
  const seeds = target.seeds.map(asBytes);
  const pool = [...seeds];
  const tokens = [...SHARED_TOKENS, ...(target.tokens ?? []).map(asBytes)];
  const failures: Failure[] = [];
  const signatures = new Set<string>();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let slowest = { bytes: 0, ms: 0 };
  let accepted = 0;
  let done = 0;
  let timedOut = false;
  for (let index = 0; index < inputs; index++) {
    if ((index & 1023) === 0) {
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      progress?.(index);
    }
    const { input, origin } = inputAt(target, seeds, pool, tokens, seed, index, maxBytes);
    const limit = slowMs * (1 + input.length / 16384);
    const valid = origin !== "mutated";
    const t0 = performance.now();
    let outcome = await attempt(target, input, origin);
    let ms = performance.now() - t0;
    if (!outcome.kind && ms > limit) {
      // Once may be a pause of the runtime; twice is the input.
      const t1 = performance.now();
      outcome = await attempt(target, input, origin);
      ms = Math.min(ms, performance.now() - t1);
      if (!outcome.kind && ms > limit) outcome = { kind: "slow", signature: "slow" };
    }
    if (ms > slowest.ms) slowest = { bytes: input.length, ms };
    done++;
    if (outcome.verdict === "accepted") {
      accepted++;
      if (!valid && input.length <= POOL_ENTRY_LIMIT) {
        const rng = Rng.forInput(seed ^ 0x5eed, target.name, index);
        if (pool.length < POOL_LIMIT) pool.push(input);
        else if (rng.chance(1 / 16)) {
          pool[seeds.length + rng.below(POOL_LIMIT - seeds.length)] = input;
        }
      }
    }
    if (!outcome.kind) continue;
    const signature = outcome.signature!;
    if (signatures.has(signature)) continue;
    signatures.add(signature);
    const minimal = outcome.kind === "slow" || valid
      ? input
      : await shrink(target, input, signature);
    const error = outcome.error;
    failures.push({
      target: target.name,
      seed,
      index,
      kind: outcome.kind,
      signature,
      message: printable(
        outcome.kind === "slow"
          ? `took ${ms.toFixed(0)} ms for ${input.length} bytes (limit ${limit.toFixed(0)} ms)`
          : outcome.kind === "refused-valid"
          ? `a valid input was refused: ${error?.message}`
          : `${error?.name}: ${error?.message}`,
      ),
      stack: error?.stack ?? "",
      input,
      minimal,
      valid,
      ...(outcome.kind === "slow" ? { ms } : {}),
    });
    if (!keepGoing) break;
  }
  return {
    target: target.name,
    inputs: done,
    accepted,
    seconds: (performance.now() - started) / 1000,
    slowest,
    failures,
    timedOut,
  };
}

const UNSAFE_GLOBAL = new RegExp(UNSAFE_CHARS.source, "g");

/** Text with every control and invisible format character as a `\uXXXX` escape. */
export function printable(text: string): string {
  return text.replace(
    UNSAFE_GLOBAL,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Runs one input through a target once and reports what happened (for `--replay`). */
export async function replay(
  target: FuzzTarget,
  input: Uint8Array,
): Promise<{ verdict?: Verdict; failure?: string }> {
  const outcome = await attempt(target, input, "mutated");
  if (!outcome.kind) return { verdict: outcome.verdict! };
  return { failure: `${outcome.error?.stack ?? outcome.signature}` };
}

/** An input as a reproducer: hex, and for text targets the JSON string as well. */
export function describeInput(target: FuzzTarget, input: Uint8Array): string {
  const hex = input.length > 1024
    ? `${input.subarray(0, 1024).toHex()}… (first 1024 of ${input.length} bytes)`
    : input.toHex();
  if (target.kind === "bytes") return `hex ${hex}`;
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(input);
  // JSON with everything outside printable ASCII as \u escapes: safe to paste, nothing hidden.
  const json = JSON.stringify(text.length > 1024 ? text.slice(0, 1024) : text).replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + (text.length > 1024 ? "…" : "");
  return `text ${json}\n      hex ${hex}`;
}
