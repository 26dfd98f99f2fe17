/**
 * HTTP download speed, body written to disk:
 *
 *   SIZE (1 GiB) from python3 -m http.server: sockit http get -o vs curl -o   (target ≥ 1.0× curl)
 *   CHUNKED (256 MiB) chunked from a local Deno server: the same clients
 *
 * beside the bare-runtime ceiling (http_ceiling.ts: Deno.connect, the body
 * after the header written to disk, nothing parsed). Rounds rotate which
 * client goes first. Reports throughput, the ratios to curl and to the
 * ceiling, and sockit's peak RSS (target ≤ 100 MB).
 *
 * Usage: deno task bench:http [--size BYTES] [--chunked BYTES] [--runs N] [--quick] [--json]
 *   (default 1 GiB and 256 MiB, 3 runs; --quick: 256 MiB and 64 MiB, 1 run)
 *
 * @module
 */

import { DENO, hasCommand, pythonHttpServer } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  limit,
  mb,
  parseBenchArgs,
  printTable,
  type ResultRow,
  shellQuote,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { size, chunked, runs }, json } = parseBenchArgs({
  size: { default: 1024 ** 3, quick: 256 * 1024 ** 2 },
  chunked: { default: 256 * 1024 ** 2, quick: 64 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
});
/** sockit's throughput ÷ curl's. */
const TARGET = 1.0;
const dir = await Deno.makeTempDir({ prefix: "sockit-bench-http-" });

async function sockitGet(url: string): Promise<{ seconds: number; peak: number }> {
  await Deno.remove(`${dir}/out`).catch(() => {});
  const client = startSockit(
    ["http", "get", "-q", "-o", `${dir}/out`, url],
    ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
  );
  const started = performance.now();
  const { code, stderr } = await client.finish(600_000);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sockit http get failed: ${stderr}`);
  return { seconds, peak: client.memory().peak };
}

async function curlGet(url: string): Promise<number> {
  await Deno.remove(`${dir}/out`).catch(() => {});
  const result = await timeShell(`curl -sf -o ${dir}/out ${url}`, 600_000);
  if (result.code !== 0) throw new Error(`curl failed: ${result.stderr}`);
  return result.seconds;
}

/** The bare-runtime ceiling: http_ceiling.ts, a minimal Deno client writing the body to disk. */
async function ceilingGet(url: string): Promise<number> {
  await Deno.remove(`${dir}/out`).catch(() => {});
  const { port, pathname } = new URL(url);
  const result = await timeShell(
    [
      DENO,
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-write=${dir}`,
      `${BENCH_DIR}http_ceiling.ts`,
      port,
      pathname,
      `${dir}/out`,
    ].map(shellQuote).join(" "),
    600_000,
  );
  if (result.code !== 0) throw new Error(`ceiling failed: ${result.stderr}`);
  return result.seconds;
}

async function compare(label: string, bytes: number, url: string) {
  const ours: { seconds: number; peak: number }[] = [];
  const bare: number[] = [];
  const theirs: number[] = [];
  const each = [
    async () => ours.push(await sockitGet(url)),
    async () => bare.push(await ceilingGet(url)),
    async () => theirs.push(await curlGet(url)),
  ];
  for (let i = 0; i < runs; i++) {
    // Rotate who goes first, so none always meets the warmest (or coldest) cache.
    for (let j = 0; j < each.length; j++) await each[(i + j) % each.length]!();
    console.error(
      `  ${label} run ${i + 1}: sockit ${ours.at(-1)!.seconds.toFixed(3)} s, ceiling ${
        bare.at(-1)!.toFixed(3)
      } s, curl ${theirs.at(-1)!.toFixed(3)} s`,
    );
  }
  const best = Math.min(...ours.map((r) => r.seconds));
  const ceiling = Math.min(...bare);
  const curl = Math.min(...theirs);
  const rate = (s: number) => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
  const ratios = (s: number) => [(curl / s).toFixed(2), (ceiling / s).toFixed(2)];
  return {
    rows: [
      [`${label}: sockit http get -o`, best.toFixed(3), rate(best), ...ratios(best)],
      [`${label}: bare Deno ceiling`, ceiling.toFixed(3), rate(ceiling), ...ratios(ceiling)],
      [`${label}: curl -o`, curl.toFixed(3), rate(curl), ...ratios(curl)],
    ],
    result: versus(`${label}: throughput vs curl -o`, {
      sockit: bytes / best / 1e6,
      peer: bytes / curl / 1e6,
      ceiling: bytes / ceiling / 1e6,
      unit: "MB/s",
      ratio: curl / best,
    }, { atLeast: TARGET }),
    peak: Math.max(...ours.map((r) => r.peak)),
  };
}

try {
  if (!hasCommand("curl") || !hasCommand("python3")) throw new Error("needs curl and python3");
  await Deno.mkdir(`${dir}/share`);
  const made = await timeShell(`head -c ${size} /dev/urandom > ${dir}/share/big.bin`, 600_000);
  if (made.code !== 0) throw new Error(made.stderr);
  console.error(
    `http: ${mb(size)} from python3 http.server, ${mb(chunked)} chunked, best of ${runs}`,
  );
  const { server: python, port } = await pythonHttpServer(`${dir}/share`, { stdin: "null" });
  const chunkedServer = startPeer(DENO, [
    "run",
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}chunked_server.ts`,
    String(chunked),
  ], { name: "chunked server" });
  try {
    const chunkedPort = await chunkedServer.port();
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
      ["fetch (best run)", "seconds", "throughput", "× curl (curl time ÷ time)", "× ceiling"],
      ...plain.rows,
      ...chunk.rows,
    ]);
    const peak = Math.max(plain.peak, chunk.peak);
    console.log(
      `sockit peak RSS: ${mb(peak)} (target ≤ 100 MB); target: ≥ ${
        TARGET.toFixed(1)
      }× curl's throughput`,
    );
    const results: ResultRow[] = [
      plain.result,
      chunk.result,
      limit("http get peak RSS", { sockit: peak / 1e6, unit: "MB" }, { atMost: 100 }),
    ];
    emitResult("http", results, json);
  } finally {
    await python.stop();
    await chunkedServer.stop();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
