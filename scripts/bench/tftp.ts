/**
 * Downloading one SIZE-byte file (100 MiB) over loopback TFTP, written to disk:
 *
 *   curl tftp://  from sockit tftp serve   vs   curl from in.tftpd (tftp-hpa)
 *     at blksize 1468 and 65464                 target ≥ 1.0× in.tftpd's rate
 *   sockit tftp get --windowsize 16 from sockit tftp serve (blksize 1468)
 *     vs curl from in.tftpd at blksize 1468    target ≥ 5×
 *
 * beside the bare-runtime ceiling (tftp_ceiling.ts: a minimal Deno server
 * that curl fetches from at both blksizes, and a minimal Deno client that
 * fetches from it with windowsize 16), plus, for reference, sockit tftp get
 * from in.tftpd (no windows there). Rounds rotate the servers; the table
 * shows medians and every result is compared with the source file.
 *
 * Usage: deno task bench:tftp [--size BYTES] [--runs N] [--quick] [--json]
 *   (default 100 MiB, 3 runs; --quick: 10 MiB, 1 run)
 *
 * @module
 */

import {
  DENO,
  hasCommand,
  IN_TFTPD,
  type Spawned,
  startInTftpd,
} from "../../tests/helpers/harness.ts";
import {
  BENCH_DIR,
  emitResult,
  mb,
  median as middle,
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

/** The ceiling's client: windowsize 16 at blksize 1468, like the sockit get row. */
function ceilingGet(port: number): string {
  return [
    DENO,
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-write=${dir}`,
    `${BENCH_DIR}tftp_ceiling.ts`,
    "get",
    String(port),
    "big.bin",
    out,
    "1468",
    "16",
  ].map(shellQuote).join(" ");
}

interface Round {
  ceiling1468: number;
  ceiling65464: number;
  ceilingWindow: number;
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

async function withCeiling<T>(work: (port: number) => Promise<T>): Promise<T> {
  const server = startPeer(DENO, [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-read=${share}`,
    `${BENCH_DIR}tftp_ceiling.ts`,
    "serve",
    share,
  ], { name: "tftp ceiling" });
  try {
    const [, port] = await server.waitFor(/^(\d+)\n/, { on: "stdout" });
    return await work(Number(port));
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
  const ceiling = () =>
    withCeiling(async (port) => ({
      ceiling1468: await timed("curl from the ceiling", curl(port, 1468)),
      ceiling65464: await timed("curl from the ceiling", curl(port, 65464)),
      ceilingWindow: await timed("ceiling get --windowsize 16", ceilingGet(port)),
    }));
  // Rotate which server goes first, so none always meets a warmer cache.
  const servers = [hpa, sockit, ceiling];
  let r = {};
  for (let j = 0; j < servers.length; j++) r = { ...r, ...await servers[(i + j) % 3]!() };
  return r as Round;
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
      `  run ${i + 1}: 1468 sockit ${r.sockit1468.toFixed(2)} s / ceiling ${
        r.ceiling1468.toFixed(2)
      } s / in.tftpd ${r.hpa1468.toFixed(2)} s; 65464 sockit ${
        r.sockit65464.toFixed(2)
      } s / ceiling ${r.ceiling65464.toFixed(2)} s / in.tftpd ${
        r.hpa65464.toFixed(2)
      } s; get -w16 sockit ${r.sockitWindow.toFixed(2)} s / ceiling ${
        r.ceilingWindow.toFixed(2)
      } s`,
    );
  }
  const median = (key: keyof Round) => middle(rounds.map((r) => r[key]));
  const rate = (s: number) => `${(size / s / 1e6).toFixed(1)} MB/s`;
  const rows = [[
    "transfer",
    "seconds",
    "throughput",
    "× in.tftpd (same blksize)",
    "× ceiling",
  ]];
  const add = (name: string, seconds: number, base: number, ceiling?: number) =>
    rows.push([
      name,
      seconds.toFixed(3),
      rate(seconds),
      (base / seconds).toFixed(2),
      ceiling === undefined ? "" : (ceiling / seconds).toFixed(2),
    ]);
  const [hpa1468, hpa65464] = [median("hpa1468"), median("hpa65464")];
  const [ceiling1468, ceiling65464] = [median("ceiling1468"), median("ceiling65464")];
  add("curl ← in.tftpd, blksize 1468", hpa1468, hpa1468, ceiling1468);
  add("curl ← sockit,   blksize 1468", median("sockit1468"), hpa1468, ceiling1468);
  add("curl ← ceiling,  blksize 1468", ceiling1468, hpa1468, ceiling1468);
  add("curl ← in.tftpd, blksize 65464", hpa65464, hpa65464, ceiling65464);
  add("curl ← sockit,   blksize 65464", median("sockit65464"), hpa65464, ceiling65464);
  add("curl ← ceiling,  blksize 65464", ceiling65464, hpa65464, ceiling65464);
  add("sockit get ← in.tftpd, blksize 1468", median("hpaSockitGet"), hpa1468);
  const ceilingWindow = median("ceilingWindow");
  add("sockit get -w 16 ← sockit, blksize 1468", median("sockitWindow"), hpa1468, ceilingWindow);
  add("ceiling get -w 16 ← ceiling, blksize 1468", ceilingWindow, hpa1468, ceilingWindow);
  printTable(rows);
  console.log(
    `peak RSS: sockit tftp serve ${mb(Math.max(...rounds.map((r) => r.sockitPeak)))}, ` +
      `in.tftpd ${mb(Math.max(...rounds.map((r) => r.hpaPeak)))} (its forked children not counted)`,
  );
  console.log(
    "targets: curl ← sockit ≥ 1.0× curl ← in.tftpd at 1468 and 65464; " +
      "sockit get -w 16 ≥ 5× curl ← in.tftpd at 1468",
  );
  const versusHpa = (
    name: string,
    sockit: number,
    hpa: number,
    atLeast: number,
    ceiling: number,
  ) =>
    versus(name, {
      sockit: size / sockit / 1e6,
      peer: size / hpa / 1e6,
      ceiling: size / ceiling / 1e6,
      unit: "MB/s",
      ratio: hpa / sockit,
    }, { atLeast });
  const results: ResultRow[] = [
    versusHpa(
      "curl ← sockit vs ← in.tftpd, blksize 1468",
      median("sockit1468"),
      hpa1468,
      1,
      ceiling1468,
    ),
    versusHpa(
      "curl ← sockit vs ← in.tftpd, blksize 65464",
      median("sockit65464"),
      hpa65464,
      1,
      ceiling65464,
    ),
    versusHpa(
      "sockit get -w 16 vs curl ← in.tftpd, blksize 1468",
      median("sockitWindow"),
      hpa1468,
      5,
      ceilingWindow,
    ),
  ];
  emitResult("tftp", results, json);
} finally {
  await Deno.remove(dir, { recursive: true });
}
