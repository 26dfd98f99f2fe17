/**
 * The bare-runtime ceiling of `bench:http`: the least a Deno program does to
 * save an HTTP body. Connects with Deno.connect, sends a GET with
 * `Connection: close`, looks for nothing but the end of the header, and
 * writes every byte after it to OUT with `FsFile.write` (the file API
 * sockit uses) until the server closes: two 256 KiB read buffers
 * alternate, so one read's bytes are written while the next read fills the
 * other buffer. A chunked body is written as it comes, framing included:
 * the ceiling parses less than a client must.
 *
 * usage: deno run --allow-net=127.0.0.1 --allow-write=OUT http_ceiling.ts PORT PATH OUT
 *
 * @module
 */

const [port, path, out] = Deno.args;
const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
await conn.write(
  new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
);
using file = await Deno.open(out!, { write: true, create: true, truncate: true });
const buffers = [new Uint8Array(256 * 1024), new Uint8Array(256 * 1024)];
const writes = [Promise.resolve(), Promise.resolve()];
let slot = 0;

async function writeAll(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/** Reads into the next buffer, once the write of what it held is done. */
async function read(): Promise<Uint8Array | null> {
  slot ^= 1;
  await writes[slot];
  const n = await conn.read(buffers[slot]!);
  return n === null ? null : buffers[slot]!.subarray(0, n);
}

let chain = Promise.resolve();
function write(bytes: Uint8Array): void {
  chain = chain.then(() => writeAll(bytes));
  writes[slot] = chain;
}

// The header: bytes up to the first CRLF CRLF (it fits in the first few reads).
let head = new Uint8Array(0);
for (let bytes; (bytes = await read()) !== null;) {
  const joined = new Uint8Array(head.length + bytes.length);
  joined.set(head);
  joined.set(bytes, head.length);
  let end = -1;
  for (let i = Math.max(0, head.length - 3); i + 3 < joined.length; i++) {
    if (joined[i] === 13 && joined[i + 1] === 10 && joined[i + 2] === 13 && joined[i + 3] === 10) {
      end = i + 4;
      break;
    }
  }
  if (end >= 0) {
    write(joined.subarray(end));
    break;
  }
  head = joined;
}
for (let bytes; (bytes = await read()) !== null;) write(bytes);
await chain;
conn.close();
