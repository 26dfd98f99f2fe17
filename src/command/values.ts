/**
 * Typed access to parsed option values, with strict number parsing
 * (exit 2 on anything that is not a plain decimal integer in range).
 *
 * @module
 */

import type { OptionValues } from "./spec.ts";
import { UsageError } from "../console/errors.ts";

/** True when a boolean option was given. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** The value of a string option, or undefined. */
export function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** Every value of a `multiple` string option. */
export function texts(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value;
  return typeof value === "string" ? [value] : [];
}

/** Bounds for {@linkcode integer}. */
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

/** An integer option, or `fallback` when absent. */
export function integer(
  values: OptionValues,
  name: string,
  fallback: number,
  options?: IntegerOptions,
): number;
export function integer(
  values: OptionValues,
  name: string,
  fallback: undefined,
  options?: IntegerOptions,
): number | undefined;
export function integer(
  values: OptionValues,
  name: string,
  fallback: number | undefined,
  options: IntegerOptions = {},
): number | undefined {
  const value = text(values, name);
  return value === undefined ? fallback : parseInteger(value, `--${name}`, options);
}

/** One of a fixed set of words, or `fallback`. */
export function choice<T extends string>(
  values: OptionValues,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = text(values, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Cannot use --${name} "${value}": must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}
