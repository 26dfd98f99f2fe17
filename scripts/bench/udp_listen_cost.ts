// Bench helper: what `udp listen` spends per datagram besides the receive op
// itself, measured in one process without a socket (so the machine's other
// work moves it little): serveUdp over a stand-in DatagramConn whose
// receive(buf) resolves at once with a 1,200-byte datagram, output to a null
// sink, against a bare `await receive(buf)` loop over the same stand-in.
// Prints one JSON line: {"sockit": µs, "bare": µs} per datagram (medians).
// usage: udp_listen_cost.ts [ROOT]  (ROOT: another checkout's folder, for A/B)
const root = Deno.args[0] ?? new URL("../..", import.meta.url).pathname;
const { serveUdp } = await import(`${root}/src/udp/server.ts`);
const { Output } = await import(`${root}/src/console/output.ts`);

const COUNT = 200_000;
const payload = new TextEncoder().encode("x".repeat(1200));
const from: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: 40000 };

function standIn(count: number) {
  let n = 0;
  let closed = false;
  return {
    receive(buffer: Uint8Array): Promise<[Uint8Array, Deno.Addr]> {
      if (closed || n++ >= count) return Promise.reject(new Deno.errors.BadResource("closed"));
      buffer.set(payload);
      return Promise.resolve([buffer.subarray(0, payload.length), from]);
    },
    close() {
      closed = true;
    },
  };
}

async function sockitRun(): Promise<number> {
  const conn = standIn(COUNT);
  const out = new Output({
    stdout: { write: (p: Uint8Array) => Promise.resolve(p.length) },
    stderr: { writeSync: (p: Uint8Array) => p.length },
  });
  const started = performance.now();
  const address = { transport: "udp", hostname: "127.0.0.1", port: 1 };
  await serveUdp({ conn, address, close: () => conn.close() }, out, {});
  await out.flush();
  return (performance.now() - started) * 1000 / COUNT;
}

async function bareRun(): Promise<number> {
  const conn = standIn(COUNT);
  const buffer = new Uint8Array(65536);
  const started = performance.now();
  try {
    for (;;) await conn.receive(buffer);
  } catch {
    // closed
  }
  return (performance.now() - started) * 1000 / COUNT;
}

const sockit: number[] = [];
const bare: number[] = [];
for (let round = 0; round < 7; round++) {
  sockit.push(await sockitRun());
  bare.push(await bareRun());
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(JSON.stringify({ sockit: median(sockit), bare: median(bare) }));
