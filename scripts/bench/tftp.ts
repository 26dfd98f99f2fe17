/**
 * Downloading one SIZE-byte file (100 MiB) over loopback TFTP, written to disk:
 *
 *   curl tftp://  from sockit tftp serve   vs   curl from in.tftpd (tftp-hpa)
 *     at blksize 1468 and 65464                 target ≥ 1.0× in.tftpd's rate
 *   sockit tftp get --windowsize 16 from sockit tftp serve (blksize 1468)
 *     vs curl from in.tftpd at blksize 1468    target ≥ 5×
 *
 * plus, for reference, sockit tftp get from in.tftpd (no windows there).
 * Rounds alternate the servers; the table shows medians and every result is
 * compared with the source file.
 *
 * Usage: deno task bench:tftp [--size BYTES] [--runs N] [--quick] [--json]
 *   (default 100 MiB, 3 runs; --quick: 10 MiB, 1 run)
 *
 * @module
 */

import { hasCommand, IN_TFTPD, type Spawned, startInTftpd } from "../../tests/helpers/harness.ts";
import {
  emitResult,
  mb,
  median as middle,
  parseBenchArgs,
  printTable,
  type ResultRow,
  shellQuote,
  sockitShell,
  startSockit,
  timeShell,
  versus,
} from "./_bench.ts";

const { values: { size, runs }, json } = parseBenchArgs({
  size: { default: 100 * 1024 ** 2, quick: 10 * 1024 ** 2 },
  runs: { default: 3, quick: 1 },
});

for (const tool of ["curl", "cmp", IN_TFTPD]) {
  if (!hasCommand(tool)) {
    console.error(`bench:tftp needs ${tool} (apt-get install -y curl tftpd-hpa)`);
    Deno.exit(1);
  }
}

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-tftp-" });
const share = `${dir}/share`;
const out = `${dir}/out.bin`;
await Deno.mkdir(share);
await Deno.chmod(dir, 0o755);
await Deno.chmod(share, 0o755);

async function timed(name: string, script: string): Promise<number> {
  await Deno.remove(out).catch(() => {});
  const result = await timeShell(script, 600_000);
  if (result.code !== 0) throw new Error(`${name} failed: ${result.stderr}${result.stdout}`);
  const same = await timeShell(`cmp ${shellQuote(out)} ${shellQuote(`${share}/big.bin`)}`);
  if (same.code !== 0) throw new Error(`${name}: the downloaded file differs: ${same.stdout}`);
  return result.seconds;
}

function curl(port: number, blksize: number): string {
  return `curl -sSf --tftp-blksize ${blksize} -o ${
    shellQuote(out)
  } tftp://127.0.0.1:${port}/big.bin`;
}

function sockitGet(port: number, windowsize: number): string {
  return sockitShell(
    [
      "tftp",
      "get",
      `127.0.0.1:${port}`,
      "big.bin",
      "-o",
      out,
      "--blksize",
      "1468",
      "--windowsize",
      String(windowsize),
      "-q",
    ],
    ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
  );
}

interface Round {
  hpa1468: number;
  hpa65464: number;
  hpaSockitGet: number;
  sockit1468: number;
  sockit65464: number;
  sockitWindow: number;
  sockitPeak: number;
  hpaPeak: number;
}

async function withInTftpd<T>(work: (port: number, server: Spawned) => Promise<T>): Promise<T> {
  const { server, port } = await startInTftpd(share, { trackMemory: true });
  try {
    return await work(port, server);
  } finally {
    await server.stop();
  }
}

async function withSockit<T>(work: (port: number, server: Spawned) => Promise<T>): Promise<T> {
  const server = startSockit([
    "tftp",
    "serve",
    share,
    "--listen",
    "127.0.0.1:0",
    "-q",
  ], ["--allow-net=127.0.0.1", `--allow-read=${share}`]);
  try {
    return await work(await server.port(), server);
  } finally {
    await server.stop();
  }
}

async function round(i: number): Promise<Round> {
  const hpa = () =>
    withInTftpd(async (port, server) => ({
      hpa1468: await timed("curl from in.tftpd", curl(port, 1468)),
      hpa65464: await timed("curl from in.tftpd", curl(port, 65464)),
      hpaSockitGet: await timed("sockit get from in.tftpd", sockitGet(port, 1)),
      hpaPeak: server.memory().peak,
    }));
  const sockit = () =>
    withSockit(async (port, server) => ({
      sockit1468: await timed("curl from sockit", curl(port, 1468)),
      sockit65464: await timed("curl from sockit", curl(port, 65464)),
      sockitWindow: await timed("sockit get --windowsize 16", sockitGet(port, 16)),
      sockitPeak: server.memory().peak,
    }));
  // Alternate which server goes first, so neither always meets a warmer cache.
  if (i % 2 === 0) return { ...(await hpa()), ...(await sockit()) };
  const s = await sockit();
  return { ...(await hpa()), ...s };
}

try {
  console.error(`tftp: ${mb(size)} over loopback, written to disk, median of ${runs}`);
  const made = await timeShell(
    `head -c ${size} /dev/urandom > ${shellQuote(`${share}/big.bin`)} && ` +
      `chmod a+r ${shellQuote(share)}/*`,
    600_000,
  );
  if (made.code !== 0) throw new Error(made.stderr);
  const rounds: Round[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await round(i);
    rounds.push(r);
    console.error(
      `  run ${i + 1}: 1468 sockit ${r.sockit1468.toFixed(2)} s / in.tftpd ${
        r.hpa1468.toFixed(2)
      } s; 65464 sockit ${r.sockit65464.toFixed(2)} s / in.tftpd ${
        r.hpa65464.toFixed(2)
      } s; sockit get -w16 ${r.sockitWindow.toFixed(2)} s`,
    );
  }
  const median = (key: keyof Round) => middle(rounds.map((r) => r[key]));
  const rate = (s: number) => `${(size / s / 1e6).toFixed(1)} MB/s`;
  const rows = [["transfer", "seconds", "throughput", "× in.tftpd (same blksize)"]];
  const add = (name: string, seconds: number, base: number) =>
    rows.push([name, seconds.toFixed(3), rate(seconds), (base / seconds).toFixed(2)]);
  add("curl ← in.tftpd, blksize 1468", median("hpa1468"), median("hpa1468"));
  add("curl ← sockit,   blksize 1468", median("sockit1468"), median("hpa1468"));
  add("curl ← in.tftpd, blksize 65464", median("hpa65464"), median("hpa65464"));
  add("curl ← sockit,   blksize 65464", median("sockit65464"), median("hpa65464"));
  add("sockit get ← in.tftpd, blksize 1468", median("hpaSockitGet"), median("hpa1468"));
  add("sockit get -w 16 ← sockit, blksize 1468", median("sockitWindow"), median("hpa1468"));
  printTable(rows);
  console.log(
    `peak RSS: sockit tftp serve ${mb(Math.max(...rounds.map((r) => r.sockitPeak)))}, ` +
      `in.tftpd ${mb(Math.max(...rounds.map((r) => r.hpaPeak)))} (its forked children not counted)`,
  );
  console.log(
    "targets: curl ← sockit ≥ 1.0× curl ← in.tftpd at 1468 and 65464; " +
      "sockit get -w 16 ≥ 5× curl ← in.tftpd at 1468",
  );
  const versusHpa = (name: string, sockit: number, hpa: number, atLeast: number) =>
    versus(name, {
      sockit: size / sockit / 1e6,
      peer: size / hpa / 1e6,
      unit: "MB/s",
      ratio: hpa / sockit,
    }, { atLeast });
  const results: ResultRow[] = [
    versusHpa(
      "curl ← sockit vs ← in.tftpd, blksize 1468",
      median("sockit1468"),
      median("hpa1468"),
      1,
    ),
    versusHpa(
      "curl ← sockit vs ← in.tftpd, blksize 65464",
      median("sockit65464"),
      median("hpa65464"),
      1,
    ),
    versusHpa(
      "sockit get -w 16 vs curl ← in.tftpd, blksize 1468",
      median("sockitWindow"),
      median("hpa1468"),
      5,
    ),
  ];
  emitResult("tftp", results, json);
} finally {
  await Deno.remove(dir, { recursive: true });
}
