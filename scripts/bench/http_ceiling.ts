/**
 * The bare-runtime ceiling of `bench:http`: the least a Deno program does to
 * save an HTTP body. Connects with Deno.connect, sends a GET with
 * `Connection: close`, looks for nothing but the end of the header, and
 * writes every byte after it to OUT with awaited `FsFile.write` calls (the
 * file API sockit uses), reading into one 256 KiB buffer, until the server
 * closes. A chunked body is written as it comes, framing included: the
 * ceiling parses less than a client must.
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
const buffer = new Uint8Array(256 * 1024);

async function writeAll(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

// The header: bytes up to the first CRLF CRLF (it fits in the first few reads).
let head = new Uint8Array(0);
for (let n; (n = await conn.read(buffer)) !== null;) {
  const joined = new Uint8Array(head.length + n);
  joined.set(head);
  joined.set(buffer.subarray(0, n), head.length);
  let end = -1;
  for (let i = Math.max(0, head.length - 3); i + 3 < joined.length; i++) {
    if (joined[i] === 13 && joined[i + 1] === 10 && joined[i + 2] === 13 && joined[i + 3] === 10) {
      end = i + 4;
      break;
    }
  }
  if (end >= 0) {
    await writeAll(joined.subarray(end));
    break;
  }
  head = joined;
}
for (let n; (n = await conn.read(buffer)) !== null;) await writeAll(buffer.subarray(0, n));
conn.close();
