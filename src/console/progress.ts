/**
 * A progress bar for long transfers, on stderr and only when stderr is a
 * terminal (never in pipes, logs or `--json`/`--quiet` runs). Redrawn at
 * most ten times a second; no colour, so `NO_COLOR` has nothing to remove.
 *
 * @module
 */

import { formatRate, formatSize } from "./format.ts";

/**
 * One line of progress: bar, percentage, bytes, rate and ETA.
 *
 * @example Rendering
 * ```ts
 * import { renderProgress } from "./progress.ts";
 * renderProgress({ label: "big.iso", done: 50, total: 100, seconds: 2, width: 20 });
 * // "big.iso [#####-----]  50% 50 B/100 B 25 B/s ETA 2s"
 * ```
 */
export function renderProgress(
  state: { label: string; done: number; total: number; seconds: number; width?: number },
): string {
  const { label, done, total, seconds, width = 30 } = state;
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const cells = Math.max(4, Math.floor(width / 2));
  const full = Math.round(fraction * cells);
  const bar = "#".repeat(full) + "-".repeat(cells - full);
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${label} [${bar}] ${percent} ${formatSize(done)}/${formatSize(total)} ${
    formatRate(rate)
  }` +
    (eta === undefined ? "" : ` ETA ${duration(eta)}`);
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** A live progress bar; a no-op unless enabled and stderr is a terminal. */
export class Progress {
  #label: string;
  #total: number;
  #done: number;
  #started = performance.now();
  #lastDraw = 0;
  #enabled: boolean;

  constructor(label: string, total: number, options: { enabled?: boolean; start?: number } = {}) {
    const { enabled = true, start = 0 } = options;
    this.#label = label;
    this.#total = total;
    this.#done = start;
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
    if (now - this.#lastDraw < 100 && this.#done < this.#total) return;
    this.#lastDraw = now;
    this.#draw();
  }

  /** Clears the line (the caller prints its summary after). */
  finish(): void {
    if (this.#enabled) write("\r\x1b[2K");
  }

  #draw(): void {
    const columns = terminalColumns();
    const line = renderProgress({
      label: this.#label,
      done: this.#done,
      total: this.#total,
      seconds: (performance.now() - this.#started) / 1000,
      width: Math.max(20, columns - 60),
    });
    write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
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
