/**
 * Fetching one SIZE-byte file (1 GiB) over loopback, written to disk:
 *
 *   sockit files get (SHA-256 verified, .part then rename), fresh server
 *     (a file never seen: protocol v2 hashes it while sending, one pass)
 *   the same again from that server (its hash remembered)
 *   bare Deno ceiling: stream + SHA-256 on both sides, no protocol
 *   python3 -m http.server + curl -o + sha256sum   (the same guarantee by hand)
 *   nc -l < file → nc > file                       (raw pipe, no guarantee: the floor)
 *
 * Targets: first fetch ≤ 0.6×, cached ≤ 0.45× python+curl+sha256sum; peak
 * RSS of server and client ≤ 100 MB each.
 *
 * Then a folder of FILES small files (1-64 KiB, 100 per folder), fetched:
 *
 *   sockit files get -r (each file verified)
 *   the folder's .tar from the HTTP face (curl | tar -x)
 *   sockit files get -r URL (that .tar, read and extracted by sockit)
 *   python3 -m http.server + wget -r (no verification)
 *   bare Deno ceiling: the folder copied locally (folder_ceiling.ts), no network
 *
 * Targets: get -r and the .tar each ≥ 1.0× wget -r's speed.
 *
 * Usage: deno task bench:files [--size BYTES] [--runs N] [--files N] [--quick] [--json]
 *   (default 1 GiB, 3 runs, 10,000 files; --quick: 128 MiB, 1 run, 1,000 files)
 *
 * @module
 */

import { DENO, freePort, hasCommand, pythonHttpServer } from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  limit,
  mb,
  parseBenchArgs,
  printTable,
  type ResultRow,
  shellQuote,
  sockitShell,
  startPeer,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { size, runs, files: fileCount }, json } = parseBenchArgs({
  size: { default: 1024 ** 3, quick: 128 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
  files: { default: 10_000, quick: 1_000 },
});
const dir = await Deno.makeTempDir({ prefix: "sockit-bench-files-" });
const share = `${dir}/share`;
const out = `${dir}/out`;
await Deno.mkdir(share);
await Deno.mkdir(out);

/** Empties the output folder, then `sync`s (see {@linkcode emptyOut}). */
async function clearOut() {
  for await (const entry of Deno.readDir(out)) await Deno.remove(`${out}/${entry.name}`);
  await new Deno.Command("sync").output();
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

async function ceilingRun(): Promise<number> {
  const server = startPeer(DENO, [
    "run",
    "--no-prompt",
    `--allow-read=${share}`,
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}files_ceiling.ts`,
    "serve",
    `${share}/big.bin`,
  ], { name: "deno ceiling" });
  try {
    const [, port] = await server.waitFor(/^(\d+)\n/, { on: "stdout" });
    await clearOut();
    const result = await timeShell(
      `${shellQuote(DENO)} run --no-prompt -A ${
        shellQuote(`${BENCH_DIR}files_ceiling.ts`)
      } get ${port} ${shellQuote(`${out}/big.bin`)}`,
      600_000,
    );
    if (result.code !== 0) throw new Error(`ceiling failed: ${result.stderr}`);
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

/** Writes `fileCount` files of 1-64 KiB into `share/tree`, 100 per folder; returns their bytes. */
async function makeTree(): Promise<number> {
  let total = 0;
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pool = crypto.getRandomValues(new Uint8Array(65536));
  for (let i = 0; i < fileCount; i++) {
    const folder = `${share}/tree/d${Math.floor(i / 100)}`;
    if (i % 100 === 0) await Deno.mkdir(folder, { recursive: true });
    const length = 1024 + Math.floor(random() * 63 * 1024);
    pool[0] = i & 255;
    pool[1] = i >> 8;
    await Deno.writeFile(`${folder}/f${i}.bin`, pool.subarray(0, length));
    total += length;
  }
  return total;
}

async function countFiles(path: string): Promise<number> {
  let n = 0;
  for await (const entry of Deno.readDir(path)) {
    if (entry.isDirectory) n += await countFiles(`${path}/${entry.name}`);
    else if (entry.isFile) n++;
  }
  return n;
}

/**
 * Empties the output folder and writes back what the last method left dirty
 * (`sync`), so no method is timed while the kernel writes another's 330 MB.
 */
async function emptyOut() {
  await Deno.remove(out, { recursive: true });
  await Deno.mkdir(out);
  await new Deno.Command("sync").output();
}

/** The folder: get -r and the .tar against wget -r from python's http.server, best of `runs`. */
async function folderBench(): Promise<ResultRow[]> {
  const bytes = await makeTree();
  console.error(`\nfolder: ${fileCount} files (${mb(bytes)}), best of ${runs}`);
  const server = startSockit(
    ["files", "serve", share, "--listen", "0", "--http", "0", "-q"],
    ["--allow-net=127.0.0.1", `--allow-read=${share}`],
  );
  const times = {
    getR: [] as number[],
    tar: [] as number[],
    getTar: [] as number[],
    wget: [] as number[],
    ceiling: [] as number[],
  };
  try {
    const port = await server.port({ label: "files" });
    const http = await server.port({ label: "http" });
    const check = async (what: string, path: string) => {
      const n = await countFiles(path);
      if (n !== fileCount) throw new Error(`${what}: ${n} of ${fileCount} files`);
    };
    for (let i = 1; i <= runs; i++) {
      await emptyOut();
      const get = await timeShell(
        sockitShell(
          ["files", "get", `127.0.0.1:${port}`, "tree", "-r", "-o", `${out}/tree`, "-q"],
          ["--allow-net=127.0.0.1", `--allow-read=${out}`, `--allow-write=${out}`],
        ),
        600_000,
      );
      if (get.code !== 0) throw new Error(`files get -r failed: ${get.stderr}`);
      await check("get -r", `${out}/tree`);
      times.getR.push(get.seconds);
      await emptyOut();
      const tar = await timeShell(
        `curl -sf 'http://127.0.0.1:${http}/tree/?tar' | tar -x -C ${shellQuote(out)}`,
        600_000,
      );
      if (tar.code !== 0) throw new Error(`tar download failed: ${tar.stderr}`);
      await check(".tar", `${out}/tree`);
      times.tar.push(tar.seconds);
      await emptyOut();
      const getTar = await timeShell(
        sockitShell(
          ["files", "get", "-r", `http://127.0.0.1:${http}/tree/`, "-o", `${out}/tree`, "-q"],
          ["--allow-net=127.0.0.1", `--allow-read=${out}`, `--allow-write=${out}`],
        ),
        600_000,
      );
      if (getTar.code !== 0) throw new Error(`files get -r URL failed: ${getTar.stderr}`);
      await check("get -r URL", `${out}/tree`);
      times.getTar.push(getTar.seconds);
      await emptyOut();
      const copy = await timeShell(
        [
          DENO,
          "run",
          "--no-prompt",
          "-A",
          `${BENCH_DIR}folder_ceiling.ts`,
          `${share}/tree`,
          `${out}/tree`,
        ]
          .map(shellQuote).join(" "),
        600_000,
      );
      if (copy.code !== 0) throw new Error(`folder ceiling failed: ${copy.stderr}`);
      await check("ceiling", `${out}/tree`);
      times.ceiling.push(copy.seconds);
      if (hasCommand("wget") && hasCommand("python3")) {
        const { server: python, port: pyPort } = await pythonHttpServer(share, { stdin: "null" });
        try {
          await emptyOut();
          const wget = await timeShell(
            `cd ${shellQuote(out)} && wget -q -r -np -nH -R 'index.html*' ` +
              `http://127.0.0.1:${pyPort}/tree/`,
            600_000,
          );
          if (wget.code !== 0 && wget.code !== 8) throw new Error(`wget failed: ${wget.stderr}`);
          await check("wget -r", `${out}/tree`);
          times.wget.push(wget.seconds);
        } finally {
          await python.stop();
        }
      }
      console.error(
        `  run ${i}: get -r ${times.getR.at(-1)!.toFixed(2)} s, .tar ${
          times.tar.at(-1)!.toFixed(2)
        } s, get -r URL ${times.getTar.at(-1)!.toFixed(2)} s, ceiling ${
          times.ceiling.at(-1)!.toFixed(2)
        } s, wget -r ${times.wget.at(-1)?.toFixed(2) ?? "-"} s`,
      );
    }
  } finally {
    await server.stop();
  }
  const best = (xs: number[]) => Math.min(...xs);
  const wget = times.wget.length ? best(times.wget) : undefined;
  const rows = [["method", "seconds", "files/s", "speed ÷ wget -r"]];
  const speed = (s: number) => (wget ? (wget / s).toFixed(2) : "-");
  const line = (name: string, s: number) =>
    rows.push([name, s.toFixed(3), (fileCount / s).toFixed(0), speed(s)]);
  line("sockit files get -r (verified)", best(times.getR));
  line("sockit HTTP face .tar | tar -x", best(times.tar));
  line("sockit files get -r URL (.tar)", best(times.getTar));
  line("bare Deno ceiling (local copy of the folder)", best(times.ceiling));
  if (wget) line("python3 http.server + wget -r", wget);
  printTable(rows);
  if (!wget) return [];
  const faster = (name: string, s: number) =>
    versus(name, {
      sockit: s,
      ceiling: best(times.ceiling),
      peer: wget,
      unit: "s",
      ratio: wget / s,
    }, {
      atLeast: 1,
    });
  return [
    faster(`get -r of ${fileCount} files vs wget -r (speed)`, best(times.getR)),
    faster(`.tar of ${fileCount} files vs wget -r (speed)`, best(times.tar)),
    faster(`get -r URL (.tar) of ${fileCount} files vs wget -r (speed)`, best(times.getTar)),
  ];
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
  const ceiling = [];
  for (let i = 1; i <= runs; i++) {
    sockit.push(await sockitRun());
    ceiling.push(await ceilingRun());
    if (hasCommand("python3") && hasCommand("curl")) python.push(await pythonRun());
    if (hasCommand("nc")) nc.push(await ncRun());
    console.error(
      `  run ${i}: sockit ${sockit.at(-1)!.cold.seconds.toFixed(2)} s (warm ${
        sockit.at(-1)!.warm.seconds.toFixed(2)
      } s), ceiling ${ceiling.at(-1)!.toFixed(2)} s, python+curl+sha256sum ${
        python.at(-1)?.toFixed(2) ?? "-"
      } s, nc ${nc.at(-1)?.toFixed(2) ?? "-"} s`,
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
  const top = best(ceiling);
  rows.push(["bare Deno ceiling (stream + sha256)", top.toFixed(3), rate(top), ratio(top)]);
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
    } (target ≤ 100 MB each); targets: first fetch ≤ 0.6×, cached ≤ 0.45× ` +
      "python+curl+sha256sum",
  );
  const results: ResultRow[] = [];
  if (py) {
    const time = (name: string, seconds: number, atMost: number) =>
      versus(name, { sockit: seconds, ceiling: top, peer: py, unit: "s", ratio: seconds / py }, {
        atMost,
      });
    results.push(time("get time (fresh server) vs python+curl+sha256sum", cold, 0.6));
    results.push(time("get time (hash cached) vs python+curl+sha256sum", warm, 0.45));
  }
  results.push(limit("files serve peak RSS", { sockit: serverPeak / 1e6, unit: "MB" }, {
    atMost: 100,
  }));
  results.push(limit("files get peak RSS", { sockit: clientPeak / 1e6, unit: "MB" }, {
    atMost: 100,
  }));
  await Deno.remove(`${share}/big.bin`);
  results.push(...await folderBench());
  emitResult("files", results, json);
} finally {
  await Deno.remove(dir, { recursive: true });
}
