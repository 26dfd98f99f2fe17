/**
 * Fetching one SIZE-byte file (1 GiB) over loopback, written to disk:
 *
 *   sockit files get (SHA-256 verified, .part then rename), fresh server
 *   python3 -m http.server + curl -o + sha256sum   (the same guarantee by hand)
 *   nc -l < file → nc > file                       (raw pipe, no guarantee)
 *
 * Target: sockit's wall time ≤ 0.8× python+curl+sha256sum. A second sockit
 * fetch from the same server (hash already cached) is reported too, with the
 * peak RSS of server and client (target ≤ 100 MB each).
 *
 * Usage: deno task bench:files [--size BYTES] [--runs N] [--quick] [--json]
 *   (default 1 GiB, 3 runs; --quick: 128 MiB, 1 run)
 *
 * @module
 */

import { freePort, hasCommand, pythonHttpServer } from "../../tests/helpers/harness.ts";
import {
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

const { values: { size, runs }, json } = parseBenchArgs({
  size: { default: 1024 ** 3, quick: 128 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
});
const dir = await Deno.makeTempDir({ prefix: "sockit-bench-files-" });
const share = `${dir}/share`;
const out = `${dir}/out`;
await Deno.mkdir(share);
await Deno.mkdir(out);

async function clearOut() {
  for await (const entry of Deno.readDir(out)) await Deno.remove(`${out}/${entry.name}`);
}

/** One sockit fetch: fresh server (cold hash), then a second fetch (warm). */
async function sockitRun() {
  const server = startSockit(
    ["files", "serve", share, "--listen", "0", "-q"],
    [
      "--allow-net=127.0.0.1",
      `--allow-read=${share}`,
    ],
  );
  try {
    const port = await server.port();
    const fetchOnce = async () => {
      await clearOut();
      const client = startSockit(
        ["files", "get", `127.0.0.1:${port}`, "big.bin", "-o", `${out}/big.bin`, "-q"],
        ["--allow-net=127.0.0.1", `--allow-read=${out}`, `--allow-write=${out}`],
      );
      const started = performance.now();
      const { code, stderr } = await client.finish(600_000);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) throw new Error(`files get failed: ${stderr}`);
      return { seconds, clientPeak: client.memory().peak };
    };
    const cold = await fetchOnce();
    const warm = await fetchOnce();
    return { cold, warm, serverPeak: server.memory().peak };
  } finally {
    await server.stop();
  }
}

async function pythonRun(): Promise<number> {
  const { server, port } = await pythonHttpServer(share, { stdin: "null" });
  try {
    await clearOut();
    const target = shellQuote(`${out}/big.bin`);
    const result = await timeShell(
      `curl -sf -o ${target} http://127.0.0.1:${port}/big.bin && sha256sum ${target} > /dev/null`,
      600_000,
    );
    if (result.code !== 0) throw new Error(`curl/sha256sum failed: ${result.stderr}`);
    return result.seconds;
  } finally {
    await server.stop();
  }
}

async function ncRun(): Promise<number> {
  const port = freePort();
  const file = shellQuote(`${share}/big.bin`);
  const server = startPeer("sh", ["-c", `nc -v -N -l 127.0.0.1 ${port} < ${file}`], {
    name: "nc -l",
  });
  try {
    await server.waitFor(/Listening on/);
    await clearOut();
    const result = await timeShell(
      `nc 127.0.0.1 ${port} > ${shellQuote(`${out}/big.bin`)}`,
      600_000,
    );
    if (result.code !== 0) throw new Error(`nc failed: ${result.stderr}`);
    return result.seconds;
  } finally {
    await server.stop();
  }
}

try {
  console.error(`files: ${mb(size)} over loopback, written to disk, best of ${runs}`);
  const made = await timeShell(
    `head -c ${size} /dev/urandom > ${shellQuote(`${share}/big.bin`)}`,
    600_000,
  );
  if (made.code !== 0) throw new Error(made.stderr);
  const sockit = [];
  const python = [];
  const nc = [];
  for (let i = 1; i <= runs; i++) {
    sockit.push(await sockitRun());
    if (hasCommand("python3") && hasCommand("curl")) python.push(await pythonRun());
    if (hasCommand("nc")) nc.push(await ncRun());
    console.error(
      `  run ${i}: sockit ${sockit.at(-1)!.cold.seconds.toFixed(2)} s (warm ${
        sockit.at(-1)!.warm.seconds.toFixed(2)
      } s), python+curl+sha256sum ${python.at(-1)?.toFixed(2) ?? "-"} s, nc ${
        nc.at(-1)?.toFixed(2) ?? "-"
      } s`,
    );
  }
  const best = (xs: number[]) => Math.min(...xs);
  const cold = best(sockit.map((r) => r.cold.seconds));
  const warm = best(sockit.map((r) => r.warm.seconds));
  const rate = (s: number) => `${(size / s / 1e6).toFixed(0)} MB/s`;
  const rows = [["method", "seconds", "throughput", "÷ python+curl+sha256sum"]];
  const py = python.length ? best(python) : undefined;
  const ratio = (s: number) => (py ? (s / py).toFixed(2) : "-");
  rows.push(["sockit files get (fresh server)", cold.toFixed(3), rate(cold), ratio(cold)]);
  rows.push(["sockit files get (hash cached)", warm.toFixed(3), rate(warm), ratio(warm)]);
  if (py) rows.push(["python3 http.server + curl + sha256sum", py.toFixed(3), rate(py), "1.00"]);
  if (nc.length) {
    rows.push(["nc pipe (no check)", best(nc).toFixed(3), rate(best(nc)), ratio(best(nc))]);
  }
  printTable(rows);
  const serverPeak = Math.max(...sockit.map((r) => r.serverPeak));
  const clientPeak = Math.max(...sockit.flatMap((r) => [r.cold.clientPeak, r.warm.clientPeak]));
  console.log(
    `peak RSS: server ${mb(serverPeak)}, client ${
      mb(clientPeak)
    } (target ≤ 100 MB each); target: sockit ≤ 0.8× python+curl+sha256sum`,
  );
  const results: ResultRow[] = [];
  if (py) {
    const time = (name: string, seconds: number) =>
      versus(name, { sockit: seconds, peer: py, unit: "s", ratio: seconds / py }, { atMost: 0.8 });
    results.push(time("get time (fresh server) vs python+curl+sha256sum", cold));
    results.push(time("get time (hash cached) vs python+curl+sha256sum", warm));
  }
  results.push(limit("files serve peak RSS", { sockit: serverPeak / 1e6, unit: "MB" }, {
    atMost: 100,
  }));
  results.push(limit("files get peak RSS", { sockit: clientPeak / 1e6, unit: "MB" }, {
    atMost: 100,
  }));
  emitResult("files", results, json);
} finally {
  await Deno.remove(dir, { recursive: true });
}
