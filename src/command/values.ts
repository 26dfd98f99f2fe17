/**
 * Typed access to a command's parsed arguments. Each option's default,
 * bounds and choices live in its {@linkcode OptionSpec}, so help text and
 * parsing read the same definition; numbers are parsed strictly (exit 2 on
 * anything that is not a plain decimal integer in range).
 *
 * @module
 */

import type { OptionSpec, OptionValues } from "./spec.ts";
import { UsageError } from "../console/errors.ts";

/** Bounds for {@linkcode parseInteger}. */
export interface IntegerOptions {
  /** @default {0} */
  min?: number;
  /** @default {Number.MAX_SAFE_INTEGER} */
  max?: number;
}

/**
 * Parses a decimal integer given as `--name VALUE`.
 *
 * @throws {UsageError} when the text is not a plain integer within bounds
 * @example Parsing a count
 * ```ts
 * import { parseInteger } from "./values.ts";
 * parseInteger("42", "--count", { min: 1 }); // 42
 * ```
 */
export function parseInteger(value: string, name: string, options: IntegerOptions = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  if (!/^\d{1,16}$/.test(value)) {
    throw new UsageError(`Cannot parse ${name} "${value}": must be a whole number`);
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new UsageError(`Cannot parse ${name} "${value}": must be ${min}-${max}`);
  }
  return n;
}

/**
 * The unit an integer option is given in, from its placeholder: `MS`
 * (milliseconds), `S` (seconds) or `BYTES`. Durations take a suffix (`500ms`,
 * `2s`, `1m`) and sizes one of `K`, `M`, `G` (powers of 1024); a bare number
 * is in the option's own unit.
 */
export type Unit = "ms" | "s" | "bytes";

const UNITS: Record<string, Unit> = { MS: "ms", S: "s", BYTES: "bytes" };

/** The unit of an option, or undefined for a plain count. */
export function unitOf(spec: OptionSpec): Unit | undefined {
  return spec.value === undefined ? undefined : UNITS[spec.value];
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const SIZE: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * Parses a duration or a size given as `--name VALUE` into the option's unit.
 *
 * @throws {UsageError} when the text is not a whole number with a known suffix, or out of bounds
 * @example Durations and sizes
 * ```ts
 * import { parseQuantity } from "./values.ts";
 * parseQuantity("2s", "--idle", "ms"); // 2000
 * parseQuantity("1m", "--timeout", "s"); // 60
 * parseQuantity("10M", "--max-upload", "bytes"); // 10485760
 * ```
 */
export function parseQuantity(
  value: string,
  name: string,
  unit: Unit,
  options: IntegerOptions = {},
): number {
  const match = unit === "bytes"
    ? /^(\d{1,16})([KMG]?)$/.exec(value)
    : /^(\d{1,16})(ms|s|m)?$/.exec(value);
  if (!match) {
    const forms = unit === "bytes" ? "BYTES, or with K, M, G" : "a number, or with ms, s, m";
    throw new UsageError(`Cannot parse ${name} "${value}": expected ${forms}`);
  }
  const n = Number(match[1]);
  const suffix = match[2] ?? "";
  let result: number;
  if (unit === "bytes") result = n * (SIZE[suffix] ?? 1);
  else {
    const ms = n * (suffix === "" ? (unit === "s" ? 1000 : 1) : DURATION_MS[suffix]!);
    result = unit === "s" ? ms / 1000 : ms;
    if (!Number.isInteger(result)) {
      throw new UsageError(`Cannot parse ${name} "${value}": must be whole seconds`);
    }
  }
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  if (!Number.isSafeInteger(result) || result < min || result > max) {
    throw new UsageError(
      `Cannot parse ${name} "${value}": must be ${min}-${max} ${unitName(unit)}`,
    );
  }
  return result;
}

function unitName(unit: Unit): string {
  return unit === "ms" ? "ms" : unit === "s" ? "seconds" : "bytes";
}

/**
 * The positionals and option values of one invocation, read through the
 * command's option specs.
 *
 * @example Reading arguments
 * ```ts
 * import { Args } from "./values.ts";
 * const args = new Args(["9000"], { "max-conns": "5" }, {
 *   "max-conns": { type: "string", value: "N", help: "clients at once", default: 1000, min: 1 },
 * });
 * args.positional(0); // "9000"
 * args.number("max-conns"); // 5
 * ```
 */
export class Args {
  readonly positionals: readonly string[];
  readonly values: OptionValues;
  #specs: Record<string, OptionSpec>;

  constructor(
    positionals: readonly string[],
    values: OptionValues,
    specs: Record<string, OptionSpec>,
  ) {
    this.positionals = positionals;
    this.values = values;
    this.#specs = specs;
  }

  /**
   * Placeholder arguments for describing a command (its permission plan in
   * `--help`): each positional is the word of the usage line (`ADDR`, `DIR`),
   * an option with a default reads as its placeholder (`--listen ADDR`), and
   * `given` adds options as if typed (a flag, or an option's placeholder).
   */
  static placeholders(
    usage: string,
    specs: Record<string, OptionSpec>,
    given: readonly string[] = [],
  ): Args {
    const positionals = usage.match(/[A-Z][A-Z_]*/g) ?? [];
    const values: OptionValues = {};
    for (const [name, spec] of Object.entries(specs)) {
      const placeholder = spec.value && /^[A-Z][A-Z_]*$/.test(spec.value) ? spec.value : undefined;
      if (given.includes(name)) {
        values[name] = spec.type === "boolean" ? true : placeholder ?? spec.value ?? name;
      } else if (spec.type === "string" && spec.default !== undefined && placeholder) {
        if (typeof spec.default === "string") values[name] = placeholder;
      }
    }
    return new Args(positionals, values, specs);
  }

  /**
   * The positional argument at `index`, or `fallback` when it was not given.
   *
   * @throws {UsageError} when it is missing and there is no fallback
   */
  positional(index: number, fallback?: string): string {
    const value = this.positionals[index] ?? fallback;
    if (value === undefined) throw new UsageError("missing argument");
    return value;
  }

  /** The positional argument at `index`, or undefined. */
  optionalPositional(index: number): string | undefined {
    return this.positionals[index];
  }

  /** True when a boolean option was given. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** The value of a string option, else its spec's default, else undefined. */
  text(name: string): string | undefined {
    const value = this.values[name];
    if (typeof value === "string") return value;
    const fallback = this.#spec(name).default;
    return fallback === undefined ? undefined : String(fallback);
  }

  /**
   * {@linkcode text} for an option whose spec has a default.
   *
   * @throws {TypeError} when the spec has no default (a bug in the command table)
   */
  string(name: string): string {
    const value = this.text(name);
    if (value === undefined) throw new TypeError(`option --${name} has no default`);
    return value;
  }

  /** Every value of a `multiple` string option. */
  texts(name: string): string[] {
    const value = this.values[name];
    if (Array.isArray(value)) return value;
    return typeof value === "string" ? [value] : [];
  }

  /** An integer option within its spec's bounds, else its default, else undefined. */
  integer(name: string): number | undefined {
    const spec = this.#spec(name);
    const value = this.values[name];
    if (typeof value === "string") {
      const bounds = {
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
      };
      const unit = unitOf(spec);
      return unit === undefined
        ? parseInteger(value, `--${name}`, bounds)
        : parseQuantity(value, `--${name}`, unit, bounds);
    }
    return typeof spec.default === "number" ? spec.default : undefined;
  }

  /**
   * {@linkcode integer} for an option whose spec has a numeric default.
   *
   * @throws {TypeError} when the spec has no numeric default (a bug in the command table)
   */
  number(name: string): number {
    const value = this.integer(name);
    if (value === undefined) throw new TypeError(`option --${name} has no numeric default`);
    return value;
  }

  /**
   * One of the spec's `choices`, else its default.
   *
   * @throws {UsageError} for a word that is not among the choices
   */
  choice<T extends string>(name: string): T {
    const spec = this.#spec(name);
    const allowed = spec.choices ?? [];
    const value = this.values[name];
    if (typeof value === "string") {
      if (!allowed.includes(value)) {
        throw new UsageError(
          `Cannot use --${name} "${value}": must be one of ${allowed.join(", ")}`,
        );
      }
      return value as T;
    }
    if (typeof spec.default !== "string") {
      throw new TypeError(`option --${name} has no default choice`);
    }
    return spec.default as T;
  }

  #spec(name: string): OptionSpec {
    const spec = this.#specs[name];
    if (!spec) throw new TypeError(`no option --${name} in this command`);
    return spec;
  }
}
