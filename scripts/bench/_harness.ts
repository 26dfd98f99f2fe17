/**
 * Benchmark plumbing: start sockit or a peer, wait for readiness, time a
 * command, read peak RSS from /proc, print a table with ratios. Every wait
 * is bounded; everything started is killed at the end.
 *
 * @module
 */

/** The Deno running the benchmark; sockit runs under the same one. */
export const DENO = Deno.execPath();
/** The CLI entrypoint. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** The folder of the benchmark scripts. */
export const BENCH_DIR = new URL(".", import.meta.url).pathname;

const decoder = new TextDecoder();

/** A started background process whose stderr/stdout are watched. */
export class Background {
  readonly child: Deno.ChildProcess;
  readonly name: string;
  #text = "";
  #done: Promise<void>;

  /** With `discardStdout`, stdout goes to /dev/null (bulk data the bench must not buffer). */
  constructor(
    name: string,
    command: string,
    args: string[],
    options: { discardStdout?: boolean } = {},
  ) {
    const { discardStdout = false } = options;
    this.name = name;
    this.child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: discardStdout ? "null" : "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) this.#text += decoder.decode(chunk, { stream: true });
    };
    const streams = discardStdout ? [this.child.stderr] : [this.child.stdout, this.child.stderr];
    this.#done = Promise.all(streams.map(pump)).then(() => {});
    const sampler = setInterval(() => this.#sample(), 50);
    this.child.status.finally(() => clearInterval(sampler));
  }

  /** Everything printed so far (stdout and stderr). */
  get output(): string {
    return this.#text;
  }

  /** Waits (≤ timeoutMs) for `pattern` in the output. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.#text);
      if (match) return match;
      await sleep(10);
    }
    throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.#text}`);
  }

  /**
   * Peak and current resident memory in bytes, from /proc (Linux). Sampled
   * every 50 ms while the process lives, so the peak survives its exit.
   */
  memory(): { peak: number; current: number } {
    this.#sample();
    return { ...this.#memory };
  }

  #memory = { peak: 0, current: 0 };

  #sample(): void {
    try {
      const status = Deno.readTextFileSync(`/proc/${this.child.pid}/status`);
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
      const current = kb("VmRSS") * 1024;
      this.#memory = { peak: Math.max(this.#memory.peak, kb("VmHWM") * 1024), current };
    } catch {
      // exited: keep the last sample
    }
  }

  /** Waits (≤ timeoutMs) for exit; kills on timeout. */
  async finish(timeoutMs = 60_000): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    try {
      const status = await this.child.status;
      await this.#done;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
  }

  async stop(): Promise<void> {
    this.kill("SIGKILL");
    await this.finish(5_000).catch(() => {});
  }
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

/** Starts sockit in the background. */
export function startSockit(
  name: string,
  args: string[],
  permissions = ["--allow-net=127.0.0.1"],
  options: { discardStdout?: boolean } = {},
): Background {
  return new Background(name, DENO, ["run", "--no-prompt", ...permissions, MAIN, ...args], options);
}

/** Is `name` on PATH? */
export function have(name: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
    .outputSync().success;
}

/** A TCP port free a moment ago, for peers that cannot pick port 0 themselves. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
  const server = new Background("iperf3 -s", "iperf3", [
    "-s",
    "-1",
    "--forceflush",
    "-B",
    "127.0.0.1",
    "-p",
    String(port),
  ]);
  try {
    await server.waitFor(/Server listening/);
    const result = await timeShell(`iperf3 ${clientArgs} -c 127.0.0.1 -p ${port} -J`);
    if (result.code !== 0) throw new Error(`iperf3 failed: ${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout);
  } finally {
    await server.stop();
  }
}

/** `python3 -m http.server` on `dir`, bound to 127.0.0.1, ready. */
export async function startPythonHttp(dir: string): Promise<{ server: Background; port: number }> {
  const port = freePort();
  const server = new Background("python3 http.server", "python3", [
    "-u",
    "-m",
    "http.server",
    "--bind",
    "127.0.0.1",
    "--directory",
    dir,
    String(port),
  ]);
  await server.waitFor(/Serving HTTP/);
  return { server, port };
}
