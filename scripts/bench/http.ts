/**
 * HTTP download speed, body written to disk:
 *
 *   SIZE (1 GiB) from python3 -m http.server: sockit http get -o vs curl -o   (target ≥ 0.9× curl)
 *   CHUNKED (256 MiB) chunked from a local Deno server: the same two clients
 *
 * Reports throughput, the ratio to curl, and sockit's peak RSS (target ≤ 100 MB).
 *
 * Usage: deno task bench:http [--size BYTES] [--chunked BYTES] [--runs N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  Background,
  BENCH_DIR,
  DENO,
  have,
  mb,
  printTable,
  startPythonHttp,
  startSockit,
  timeShell,
} from "./_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: String(1024 ** 3) },
    chunked: { type: "string", default: String(256 * 1024 ** 2) },
    runs: { type: "string", default: "3" },
  },
});
const size = Number(values.size);
const chunked = Number(values.chunked);
const runs = Number(values.runs);
const dir = await Deno.makeTempDir({ prefix: "sockit-bench-http-" });

async function sockitGet(url: string): Promise<{ seconds: number; peak: number }> {
  await Deno.remove(`${dir}/out`).catch(() => {});
  const client = startSockit(
    "sockit http get",
    ["http", "get", "-q", "-o", `${dir}/out`, url],
    ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
  );
  const started = performance.now();
  const status = await client.finish(600_000);
  const seconds = (performance.now() - started) / 1000;
  if (status.code !== 0) throw new Error(`sockit http get failed: ${client.output}`);
  return { seconds, peak: client.memory().peak };
}

async function curlGet(url: string): Promise<number> {
  await Deno.remove(`${dir}/out`).catch(() => {});
  const result = await timeShell(`curl -sf -o ${dir}/out ${url}`, 600_000);
  if (result.code !== 0) throw new Error(`curl failed: ${result.stderr}`);
  return result.seconds;
}

async function compare(label: string, bytes: number, url: string) {
  const ours: { seconds: number; peak: number }[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await sockitGet(url));
    theirs.push(await curlGet(url));
  }
  const best = Math.min(...ours.map((r) => r.seconds));
  const curl = Math.min(...theirs);
  const rate = (s: number) => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
  return {
    rows: [
      [`${label}: sockit http get -o`, best.toFixed(3), rate(best), (curl / best).toFixed(2)],
      [`${label}: curl -o`, curl.toFixed(3), rate(curl), "1.00"],
    ],
    peak: Math.max(...ours.map((r) => r.peak)),
  };
}

try {
  if (!have("curl") || !have("python3")) throw new Error("needs curl and python3");
  await Deno.mkdir(`${dir}/share`);
  const made = await timeShell(`head -c ${size} /dev/urandom > ${dir}/share/big.bin`, 600_000);
  if (made.code !== 0) throw new Error(made.stderr);
  console.error(
    `http: ${mb(size)} from python3 http.server, ${mb(chunked)} chunked, best of ${runs}`,
  );
  const { server: python, port } = await startPythonHttp(`${dir}/share`);
  const chunkedServer = new Background("chunked server", DENO, [
    "run",
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}chunked_server.ts`,
    String(chunked),
  ]);
  try {
    const [, chunkedPort] = await chunkedServer.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const plain = await compare(
      `${mb(size)}, Content-Length`,
      size,
      `http://127.0.0.1:${port}/big.bin`,
    );
    const chunk = await compare(
      `${mb(chunked)}, chunked`,
      chunked,
      `http://127.0.0.1:${chunkedPort}/`,
    );
    printTable([
      ["fetch", "seconds", "throughput", "sockit ratio (curl time ÷ sockit time)"],
      ...plain.rows,
      ...chunk.rows,
    ]);
    console.log(
      `sockit peak RSS: ${
        mb(Math.max(plain.peak, chunk.peak))
      } (target ≤ 100 MB); target: ≥ 0.9× curl's throughput`,
    );
  } finally {
    await python.stop();
    await chunkedServer.stop();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
