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
 * Usage: deno task bench:tftp [--size BYTES] [--runs N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  Background,
  have,
  mb,
  printTable,
  shellQuote,
  sockitShell,
  startSockit,
  timeShell,
} from "./_harness.ts";

const IN_TFTPD = "/usr/sbin/in.tftpd";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: String(100 * 1024 ** 2) },
    runs: { type: "string", default: "3" },
  },
});
const size = Number(values.size);
const runs = Number(values.runs);

for (const tool of ["curl", "cmp", IN_TFTPD]) {
  if (!have(tool)) {
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

/** A UDP port free a moment ago (in.tftpd cannot pick port 0 and report it). */
function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const { port } = socket.addr as Deno.NetAddr;
  socket.close();
  return port;
}

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

async function withInTftpd<T>(work: (port: number, server: Background) => Promise<T>): Promise<T> {
  const port = freeUdpPort();
  const user = new TextDecoder().decode(
    new Deno.Command("id", { args: ["-un"] }).outputSync().stdout,
  )
    .trim();
  const server = new Background("in.tftpd", IN_TFTPD, [
    "-L",
    "-a",
    `127.0.0.1:${port}`,
    "-u",
    user,
    "-s",
    share,
  ]);
  try {
    // in.tftpd prints nothing when ready: wait until it answers a request.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const probe = await timeShell(
        `curl -sf --max-time 1 -o /dev/null tftp://127.0.0.1:${port}/probe.txt`,
        5_000,
      );
      if (probe.code === 0) break;
    }
    return await work(port, server);
  } finally {
    await server.stop();
  }
}

async function withSockit<T>(work: (port: number, server: Background) => Promise<T>): Promise<T> {
  const server = startSockit("sockit tftp serve", [
    "tftp",
    "serve",
    share,
    "--listen",
    "127.0.0.1:0",
    "-q",
  ], ["--allow-net=127.0.0.1", `--allow-read=${share}`]);
  try {
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    return await work(Number(port), server);
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
      `echo ok > ${shellQuote(`${share}/probe.txt`)} && chmod a+r ${shellQuote(share)}/*`,
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
  const median = (key: keyof Round) => {
    const xs = rounds.map((r) => r[key]).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
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
} finally {
  await Deno.remove(dir, { recursive: true });
}
