/**
 * The bare-runtime ceiling of `bench:tftp`: the least a Deno program does
 * to move a file over TFTP (octet mode, RFC 1350 with the blksize, tsize
 * and windowsize options), with no checks, limits or reports.
 *
 *   serve DIR       listens on 127.0.0.1:0 (prints the port); answers read
 *                   requests one at a time from a socket of their own: an
 *                   OACK if options came, then windows of DATA, each block
 *                   read from the file straight into its packet, the next
 *                   window read while the client handles this one; an ACK
 *                   moves the window, an unanswered window is sent again
 *                   after a second.
 *   get PORT NAME OUT BLKSIZE WINDOWSIZE
 *                   sends the request, ACKs the OACK, writes blocks in order
 *                   to OUT in 256 KiB writeSync calls (as sockit's client
 *                   does), ACKs each window (or, on a gap, the last block in
 *                   order) and the last block once it is written.
 *
 * usage: deno run --allow-net=127.0.0.1 --allow-read=DIR tftp_ceiling.ts serve DIR
 *        deno run --allow-net=127.0.0.1 --allow-write=OUT tftp_ceiling.ts get …
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const [mode, ...rest] = Deno.args;

/** NUL-separated strings after the opcode: [filename, mode, name, value, …]. */
function strings(packet: Uint8Array): string[] {
  return decoder.decode(packet.subarray(2)).split("\0").slice(0, -1);
}

function ack(block: number): Uint8Array {
  return new Uint8Array([0, 4, block >> 8, block & 255]);
}

async function serve(dir: string): Promise<void> {
  const requests = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  console.log((requests.addr as Deno.NetAddr).port);
  const buffer = new Uint8Array(65536);
  for (;;) {
    const [packet, from] = await requests.receive(buffer);
    if (packet[1] !== 1) continue; // only read requests
    await send(dir, strings(packet), from as Deno.NetAddr).catch(() => {});
  }
}

async function send(dir: string, request: string[], client: Deno.NetAddr): Promise<void> {
  const [name, , ...options] = request;
  using file = Deno.openSync(`${dir}/${name}`);
  const size = file.statSync().size;
  let blksize = 512;
  let windowsize = 1;
  const accepted: string[] = [];
  for (let i = 0; i + 1 < options.length; i += 2) {
    const option = options[i]!.toLowerCase();
    const value = options[i + 1]!;
    if (option === "blksize") blksize = Number(value);
    else if (option === "windowsize") windowsize = Number(value);
    else if (option === "tsize") accepted.push(option, String(size));
    if (option === "blksize" || option === "windowsize") accepted.push(option, value);
  }
  const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const incoming = new Uint8Array(1024);
  const last = Math.floor(size / blksize); // the short (possibly empty) final block's index
  let base = 0; // the first block not yet acknowledged
  /** A window's packets, read from the file: two sets in turn, one in flight, one read ahead. */
  const sets = [0, 1].map(() => ({
    base: -1,
    packets: Array.from({ length: windowsize }, () => new Uint8Array(4 + blksize)),
    sent: [] as Uint8Array[],
  }));
  let turn = 0;
  const fill = (set: typeof sets[number], from: number) => {
    set.base = from;
    set.sent = [];
    for (let index = from; index < from + windowsize && index <= last; index++) {
      const packet = set.packets[index - from]!;
      const block = (index + 1) % 65536;
      packet.set([0, 3, block >> 8, block & 255]);
      file.seekSync(index * blksize, Deno.SeekMode.Start);
      let filled = 0;
      const want = Math.min(blksize, size - index * blksize);
      while (filled < want) filled += file.readSync(packet.subarray(4 + filled, 4 + want)) ?? 0;
      set.sent.push(packet.subarray(0, 4 + want));
    }
  };
  let sent: Uint8Array[] = [];
  let progress = performance.now();
  /** Sends the window at `base` (read ahead when it was the one expected), then reads the next. */
  const sendWindow = async () => {
    if (sets[turn]!.base !== base) fill(sets[turn]!, base);
    sent = sets[turn]!.sent;
    for (const packet of sent) await conn.send(packet, client);
    turn ^= 1;
    if (base + windowsize <= last) fill(sets[turn]!, base + windowsize);
  };
  // A window nobody answered goes out again after a second, five times at most.
  let retries = 0;
  const timer = setInterval(() => {
    if (performance.now() - progress < 1000) return;
    if (++retries > 5) conn.close();
    else for (const packet of sent) conn.send(packet, client).catch(() => {});
  }, 1000);
  try {
    if (accepted.length > 0) {
      const oack = encoder.encode(`\0\x06${accepted.join("\0")}\0`);
      sent = [oack];
      await conn.send(oack, client);
      for (;;) {
        const [packet] = await conn.receive(incoming);
        if (packet[1] === 4 && packet[2] === 0 && packet[3] === 0) break;
      }
    } else await sendWindow();
    if (accepted.length > 0) await sendWindow();
    while (base <= last) {
      const [packet] = await conn.receive(incoming);
      if (packet[1] !== 4) return;
      const block = (packet[2]! << 8) | packet[3]!;
      // Which block of the window it names; older ACKs move nothing.
      const k = sent.findIndex((p) => ((p[2]! << 8) | p[3]!) === block);
      if (k < 0) continue;
      base += k + 1;
      progress = performance.now();
      retries = 0;
      if (base <= last) await sendWindow();
    }
  } finally {
    clearInterval(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

async function get(
  port: number,
  name: string,
  out: string,
  blksize: number,
  windowsize: number,
): Promise<void> {
  const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  using file = Deno.openSync(out, { write: true, create: true, truncate: true });
  const batch = new Uint8Array(256 * 1024);
  let filled = 0;
  const flush = () => {
    for (let at = 0; at < filled;) at += file.writeSync(batch.subarray(at, filled));
    filled = 0;
  };
  const request = `\0\x01${name}\0octet\0blksize\0${blksize}\0windowsize\0${windowsize}\0`;
  await conn.send(encoder.encode(request), { transport: "udp", hostname: "127.0.0.1", port });
  const buffer = new Uint8Array(4 + blksize);
  let server: Deno.Addr | undefined;
  let next = 1; // the wire number of the block expected
  let sinceAck = 0;
  for (;;) {
    const [packet, from] = await conn.receive(buffer);
    server ??= from;
    if (packet[1] === 6) {
      await conn.send(ack(0), server);
      continue;
    }
    if (packet[1] !== 3) throw new Error(`TFTP error: ${strings(packet).join(" ")}`);
    const block = (packet[2]! << 8) | packet[3]!;
    if (block !== next) {
      await conn.send(ack((next + 65535) % 65536), server); // a gap: resume after the last in order
      sinceAck = 0;
      continue;
    }
    const data = packet.subarray(4);
    if (filled + data.length > batch.length) flush();
    batch.set(data, filled);
    filled += data.length;
    const lastBlock = data.length < blksize;
    if (lastBlock) flush(); // on disk before the last ACK
    if (lastBlock || ++sinceAck >= windowsize) {
      await conn.send(ack(block), server);
      sinceAck = 0;
    }
    next = (next + 1) % 65536;
    if (lastBlock) break;
  }
  conn.close();
}

if (mode === "serve") await serve(rest[0]!);
else if (mode === "get") {
  const [port, name, out, blksize, windowsize] = rest;
  await get(Number(port), name!, out!, Number(blksize), Number(windowsize));
}
