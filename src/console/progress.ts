/**
 * A progress bar for long transfers, on stderr and only when stderr is a
 * terminal (never in pipes, logs or `--json`/`--quiet` runs). Redrawn at
 * most ten times a second; no colour, so `NO_COLOR` has nothing to remove.
 *
 * @module
 */

import { formatRate, formatSize } from "./format.ts";

/**
 * One line of progress: bar, percentage, bytes, rate and ETA; for a body of
 * unknown length (`total` undefined), bytes and rate. With `columns`, the
 * line fits a terminal that wide: the bar shrinks (and goes) first, then the
 * label; the numbers stay.
 *
 * @example Rendering
 * ```ts
 * import { renderProgress } from "./progress.ts";
 * renderProgress({ label: "big.iso", done: 50, total: 100, seconds: 2, width: 20 });
 * // "big.iso [#####-----]  50% 50 B/100 B 25 B/s ETA 2s"
 * ```
 */
export function renderProgress(
  state: {
    label: string;
    done: number;
    total: number | undefined;
    seconds: number;
    /** Bytes that were already there when `seconds` started (a resumed download). */
    start?: number;
    width?: number;
    columns?: number;
  },
): string {
  const { label, done, total, seconds, start = 0 } = state;
  // A terminal whose size is unset (a pty nobody sized) reports 0 columns: take no width then.
  const columns = state.columns !== undefined && state.columns > 0 ? state.columns : undefined;
  // The rate is of this run's bytes: a resumed download's earlier part took no time now.
  const rate = seconds > 0 ? Math.max(0, done - start) / seconds : 0;
  if (total === undefined) {
    return fit(label, `${formatSize(done)} ${formatRate(rate)}`, columns);
  }
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const numbers = `${percent} ${formatSize(done)}/${formatSize(total)} ${formatRate(rate)}` +
    (eta === undefined ? "" : ` ETA ${duration(eta)}`);
  let cells = Math.max(4, Math.floor((state.width ?? 30) / 2));
  if (columns !== undefined) {
    // label, " [", bar, "] ", numbers must fit in columns - 1.
    const room = columns - 1 - numbers.length - 4 - Math.min(label.length, 12);
    cells = Math.min(cells, room);
  }
  if (cells < 4) return fit(label, numbers.trimStart(), columns);
  const full = Math.round(fraction * cells);
  const bar = "#".repeat(full) + "-".repeat(cells - full);
  return fit(label, `[${bar}] ${numbers}`, columns);
}

/** `label rest`, the label shortened (with …) when the line is wider than `columns` - 1. */
function fit(label: string, rest: string, columns: number | undefined): string {
  const line = `${label} ${rest}`;
  if (columns === undefined || line.length <= columns - 1) return line;
  const room = columns - 2 - rest.length;
  if (room <= 1) return rest.slice(0, Math.max(0, columns - 1));
  return `${label.slice(0, room - 1)}… ${rest}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** True while a bar is drawn on the current stderr line. */
let drawn = false;

/**
 * Clears a bar still on the terminal's line, so that what is printed next
 * (an error after Ctrl-C, a warning) starts on a fresh line.
 */
export function clearProgressLine(): void {
  if (!drawn) return;
  drawn = false;
  write("\r\x1b[2K");
}

/** A live progress bar; a no-op unless enabled and stderr is a terminal. */
export class Progress {
  #label: string;
  #total: number | undefined;
  #done: number;
  readonly #start: number;
  #started = performance.now();
  #lastDraw = 0;
  #enabled: boolean;

  /** @param total the size, or undefined for a body of unknown length (bytes and rate are shown) */
  constructor(
    label: string,
    total: number | undefined,
    options: { enabled?: boolean; start?: number } = {},
  ) {
    const { enabled = true, start = 0 } = options;
    this.#label = label;
    this.#total = total;
    this.#done = start;
    this.#start = start;
    this.#enabled = enabled && isTerminal();
  }

  /** Bytes counted so far. */
  get done(): number {
    return this.#done;
  }

  /** Adds `n` bytes and redraws when 100 ms have passed. */
  add(n: number): void {
    this.#done += n;
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && (this.#total === undefined || this.#done < this.#total)) {
      return;
    }
    this.#lastDraw = now;
    this.#draw();
  }

  /** Clears the line (the caller prints its summary after). */
  finish(): void {
    if (this.#enabled) clearProgressLine();
  }

  #draw(): void {
    const columns = terminalColumns();
    const line = renderProgress({
      label: this.#label,
      done: this.#done,
      total: this.#total,
      seconds: (performance.now() - this.#started) / 1000,
      start: this.#start,
      width: Math.max(20, columns - 60),
      columns,
    });
    write(`\r\x1b[2K${line}`);
    drawn = true;
  }
}

function isTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

const encoder = new TextEncoder();
function write(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // stderr gone
  }
}
