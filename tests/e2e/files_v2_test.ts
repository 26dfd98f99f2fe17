/**
 * File protocol version 2 against old and broken peers: a v1 client (and a
 * person typing) against the v2 server, the v2 client against a v1-only
 * server, trailers that do not match or report a change, files truncated or
 * grown during a send, and resuming across a server restart with a changed
 * file. The fake servers are written here on Deno.listen.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { versionOf, versionTag } from "../../src/share/version.ts";
import { sockit, type Spawned } from "../helpers/harness.ts";
import { readAll, send } from "../helpers/net.ts";

const encoder = new TextEncoder();
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** What a fake server sends for one request line: bytes, then maybe a close (null: just close). */
type Answer = Uint8Array | string | null | { send: Uint8Array | string; close: true };

/** A fake file server: `answer` maps each request line to what is sent back. */
function fakeServer(answer: (line: string) => Answer) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers: Promise<void>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      handlers.push(
        handle(conn).catch(() => {}).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // closed by dispose
          }
        }),
      );
    }
  })();
  async function handle(conn: Deno.Conn) {
    const buffer = new Uint8Array(64 * 1024);
    let pending = "";
    for (;;) {
      let lf;
      while ((lf = pending.indexOf("\n")) < 0) {
        const n = await conn.read(buffer);
        if (n === null) return;
        pending += new TextDecoder().decode(buffer.subarray(0, n));
      }
      const reply = answer(pending.slice(0, lf));
      pending = pending.slice(lf + 1);
      if (reply === null) return;
      if (typeof reply === "object" && "close" in reply) return await send(conn, reply.send);
      await send(conn, reply);
    }
  }
  return {
    target: `127.0.0.1:${listener.addr.port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // closed
        }
      }
      await serving;
      await Promise.allSettled(handlers);
    },
  };
}

function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

async function setup() {
  const base = await Deno.makeTempDir();
  await Deno.mkdir(`${base}/share`);
  await Deno.mkdir(`${base}/dl`);
  await Deno.writeTextFile(`${base}/share/notes.txt`, "hello world\n");
  return base;
}

function serve(base: string): Spawned {
  return sockit(
    ["files", "serve", `${base}/share`, "--listen", "0"],
    ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
  );
}

function get(base: string, target: string, args: string[]): Spawned {
  return sockit(
    ["files", "get", target, ...args, "--timeout", "10000"],
    ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`, `--allow-write=${base}/dl`],
    { stdin: "null", cwd: `${base}/dl` },
  );
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Exchanges `request` with a sockit server over a raw connection and returns every byte back. */
async function exchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, request);
    await conn.closeWrite();
    return new TextDecoder().decode(await readAll(conn));
  } finally {
    conn.close();
  }
}

Deno.test("a v1 client and a person typing get v1 replies from the v2 server; HELLO 2 gets trailers", async () => {
  const base = await setup();
  try {
    await using server = serve(base);
    const port = await server.port();
    const hash = sha256(encoder.encode("hello world\n"));
    const v1 = await exchange(port, "HELLO 1\nGET notes.txt\n");
    assert.match(v1, /^OK HELLO 1 sockit\/\S+\n/);
    assert.ok(
      v1.endsWith(`OK GET 12 ${/OK GET 12 (\d+)/.exec(v1)![1]} 0 12 ${hash}\nhello world\n`),
    );
    const typed = await exchange(port, "GET notes.txt\n");
    assert.match(typed, new RegExp(`^OK GET 12 \\d+ 0 12 ${hash}\nhello world\n$`));
    const v2 = await exchange(port, "HELLO 2\nGET notes.txt 6\nHASH notes.txt\n");
    assert.match(
      v2,
      new RegExp(
        `^OK HELLO 2 sockit/\\S+\nOK GET 12 \\d+ 6 6 [0-9a-f]{16}\nworld\nOK SHA256 ${hash}\n` +
          `OK HASH 12 \\d+ ${hash}\n$`,
      ),
    );
    // A client from the future is answered with the newest version this server speaks.
    assert.match(await exchange(port, "HELLO 7\n"), /^OK HELLO 2 /);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("the v2 client downloads from a v1-only server (HELLO answered 1, hash in the header)", async () => {
  const base = await setup();
  try {
    const body = "from an old server\n";
    const requests: string[] = [];
    await using old = fakeServer((line) => {
      requests.push(line);
      if (line.startsWith("HELLO")) return "OK HELLO 1 old/0.0.1\n";
      if (line.startsWith("STAT")) return `OK STAT f ${body.length} 0\n`;
      if (line.startsWith("GET")) {
        return `OK GET ${body.length} 0 0 ${body.length} ${sha256(encoder.encode(body))}\n${body}`;
      }
      return "ERR 400 unknown\n";
    });
    const { code, stderr } = await get(base, old.target, ["old.txt"]).finish();
    assert.equal(code, 0, stderr);
    assert.equal(await Deno.readTextFile(`${base}/dl/old.txt`), body);
    assert.deepEqual(requests, ["HELLO 2", "STAT old.txt", "GET old.txt 0"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/** A v2 server whose GET reply is `header`, `body` and then `trailer`. */
function v2Server(body: string, trailer: string) {
  return fakeServer((line) => {
    if (line.startsWith("HELLO")) return "OK HELLO 2 fake\n";
    if (line.startsWith("STAT")) return `OK STAT f ${body.length} 0\n`;
    if (line.startsWith("GET")) {
      return `OK GET ${body.length} 0 0 ${body.length} 0123456789abcdef\n${body}${trailer}`;
    }
    return "ERR 400 unknown\n";
  });
}

for (
  const [name, trailer, expected] of [
    [
      "a trailer that does not match",
      `OK SHA256 ${"0".repeat(64)}\n`,
      /SHA-256 mismatch for x\.txt: .*discarded/,
    ],
    [
      "an ERR 503 trailer",
      "ERR 503 the file changed while being sent; ask again\n",
      /x\.txt changed on the server while it was sent .*discarded\nhint: run the same command again/,
    ],
  ] as const
) {
  Deno.test(`files get: ${name} → exit 1, the download discarded, nothing at the final name`, async () => {
    const base = await setup();
    try {
      await using server = v2Server("hello", trailer);
      const { code, stderr } = await get(base, server.target, ["x.txt"]).finish();
      assert.equal(code, 1, stderr);
      assert.match(stderr, expected);
      assert.deepEqual(listing(`${base}/dl`), []);
      const piped = await get(base, server.target, ["x.txt", "-o", "-"]).finish();
      assert.equal(piped.code, 1, piped.stderr);
      assert.equal(piped.stdout, "hello");
      assert.match(piped.stderr, /not verified|not one version/);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  });
}

/** Reads exactly `length` bytes from `conn` (bounded), then the rest up to its close. */
async function readBodyAndRest(conn: Deno.Conn, length: number): Promise<string> {
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  const tail: Uint8Array[] = [];
  const deadline = Date.now() + 60_000;
  for (let n; (n = await conn.read(buffer)) !== null;) {
    if (Date.now() > deadline) throw new Error("still reading after 60 s");
    const over = total + n - length;
    if (over > 0) tail.push(buffer.slice(n - over, n));
    total += n;
  }
  assert.ok(total >= length, `the whole announced length arrives (${total} of ${length})`);
  return new TextDecoder().decode(concat(...tail));
}

/** Reads `conn` a byte at a time up to and including LF. */
async function readLine(conn: Deno.Conn): Promise<string> {
  const byte = new Uint8Array(1);
  let text = "";
  while (!text.endsWith("\n") && text.length < 4096) {
    if ((await conn.read(byte)) === null) throw new Error(`closed after "${text}"`);
    text += String.fromCharCode(byte[0]!);
  }
  return text;
}

for (
  const [name, change] of [
    ["truncated", (path: string) => Deno.truncate(path, 1024 * 1024)],
    ["grown", async (path: string) => {
      await using file = await Deno.open(path, { append: true });
      await file.write(encoder.encode("more"));
    }],
  ] as const
) {
  Deno.test(`v2 GET of a file ${name} during the send: the full length, then an ERR 503 trailer`, async () => {
    const base = await setup();
    try {
      const size = 32 * 1024 * 1024;
      const path = `${base}/share/big.bin`;
      await Deno.writeFile(path, new Uint8Array(size).fill(7));
      await using server = serve(base);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: await server.port() });
      try {
        await send(conn, "HELLO 2\nGET big.bin\nQUIT\n");
        assert.match(await readLine(conn), /^OK HELLO 2 /);
        assert.match(await readLine(conn), new RegExp(`^OK GET ${size} \\d+ 0 ${size} `));
        // The server is blocked far before the end (32 MiB do not fit in socket buffers).
        await change(path);
        const rest = await readBodyAndRest(conn, size);
        assert.match(rest, /^ERR 503 the file (shrank|changed) while being sent; ask again\n$/);
      } finally {
        conn.close();
      }
      await server.waitFor(/big\.bin: the file (shrank|changed) while being sent/);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  });
}

Deno.test("resume across a server restart: an unchanged file resumes, a replaced one starts over", async () => {
  const base = await setup();
  try {
    const path = `${base}/share/data.bin`;
    const old = new Uint8Array(300_000).map((_, i) => i % 251);
    await Deno.writeFile(path, old);
    const info = await Deno.stat(path);
    // The first server breaks off halfway, naming the file's real version.
    const cutOff = () =>
      fakeServer((line) => {
        if (line.startsWith("HELLO")) return "OK HELLO 2 sockit/old\n";
        if (line.startsWith("STAT")) return `OK STAT f ${old.length} ${info.mtime!.getTime()}\n`;
        const tag = versionTag(versionOf(info));
        return {
          send: concat(
            `OK GET ${old.length} ${info.mtime!.getTime()} 0 ${old.length} ${tag}\n`,
            old.subarray(0, 100_000),
          ),
          close: true,
        };
      });
    for (const replaced of [false, true]) {
      {
        await using first = cutOff();
        const cut = await get(base, first.target, ["data.bin"]).finish();
        assert.equal(cut.code, 1, cut.stderr);
        assert.match(cut.stderr, /cut off after 100000 of 300000 bytes/);
      }
      const fresh = old.map((b) => b ^ 0x55);
      if (replaced) {
        // Another file, same size and mtime, renamed into place (rsync -t).
        await Deno.writeFile(`${base}/share/.tmp`, fresh);
        await Deno.utime(`${base}/share/.tmp`, info.atime!, info.mtime!);
        await Deno.rename(`${base}/share/.tmp`, path);
      }
      await using second = serve(base);
      const again = await get(base, `127.0.0.1:${await second.port()}`, ["data.bin"]).finish();
      assert.equal(again.code, 0, again.stderr);
      if (replaced) {
        assert.doesNotMatch(again.stderr, /resuming/);
        assert.match(again.stderr, /changed since the last attempt; starting over/);
      } else {
        assert.match(again.stderr, /resuming data\.bin at 100000 of 300000 bytes/);
      }
      assert.deepEqual(await Deno.readFile(`${base}/dl/data.bin`), replaced ? fresh : old);
      assert.deepEqual(listing(`${base}/dl`), ["data.bin"]);
      await Deno.remove(`${base}/dl/data.bin`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a resumed .part whose prefix differs from the file is caught by the trailer: nothing kept", async () => {
  const base = await setup();
  try {
    const path = `${base}/share/data.bin`;
    const data = new Uint8Array(200_000).map((_, i) => i % 13);
    await Deno.writeFile(path, data);
    const info = await Deno.stat(path);
    const prefix = data.slice(0, 50_000);
    prefix[10] = prefix[10]! ^ 1;
    await Deno.writeFile(`${base}/dl/data.bin.part`, prefix);
    await Deno.writeTextFile(
      `${base}/dl/data.bin.part.meta`,
      JSON.stringify({
        size: data.length,
        mtime: info.mtime!.getTime(),
        tag: versionTag(versionOf(info)),
      }),
    );
    await using server = serve(base);
    const { code, stderr } = await get(base, `127.0.0.1:${await server.port()}`, ["data.bin"])
      .finish();
    assert.equal(code, 1, stderr);
    assert.match(stderr, /resuming data\.bin at 50000/);
    assert.match(stderr, /SHA-256 mismatch for data\.bin: .*discarded/);
    assert.deepEqual(listing(`${base}/dl`), []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("v2: a hash remembered for a settled file is never trailed after an in-place rewrite (cp -p)", async () => {
  const base = await setup();
  try {
    const path = `${base}/share/notes.txt`;
    const ctime = (await Deno.stat(path)).ctime!.getTime();
    while (Date.now() < ctime + 1500) await new Promise((r) => setTimeout(r, 50));
    await using server = serve(base);
    const port = await server.port();
    const trailer = async () => {
      const text = await exchange(port, "HELLO 2\nGET notes.txt\n");
      return /\nOK SHA256 ([0-9a-f]{64})\n$/.exec(text)?.[1] ?? text;
    };
    const first = sha256(encoder.encode("hello world\n"));
    assert.equal(await trailer(), first);
    assert.equal(await trailer(), first, "the remembered hash");
    const before = await Deno.stat(path);
    {
      using file = await Deno.open(path, { write: true });
      await file.write(encoder.encode("HELLO"));
    }
    await Deno.utime(path, before.atime!, before.mtime!);
    assert.equal(await trailer(), sha256(encoder.encode("HELLO world\n")));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files get -r skips identical files, resumes a .part, keeps a different file, and sums up", async () => {
  const base = await setup();
  try {
    await Deno.mkdir(`${base}/share/sub`);
    await Deno.writeTextFile(`${base}/share/sub/a.txt`, "alpha\n");
    const big = new Uint8Array(100_000).map((_, i) => i % 7);
    await Deno.writeFile(`${base}/share/sub/big.bin`, big);
    await using server = serve(base);
    const target = `127.0.0.1:${await server.port()}`;
    const first = await get(base, target, ["/", "-r", "-o", "copy"]).finish();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /3 fetched, 0 already there, 0 resumed into copy\n/);
    const again = await get(base, target, ["/", "-r", "-o", "copy", "--json"]).finish();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout.trim().split("\n").at(-1)!), {
      event: "fetched",
      path: "copy",
      files: 3,
      fetched: 0,
      present: 3,
      resumed: 0,
      differ: 0,
    });
    const piped = await get(base, target, ["notes.txt", "-o", "-"]).finish();
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, "hello world\n", "-o - over v2: verified by the trailer");
    assert.deepEqual(listing(`${base}/dl`), ["copy"], "nothing on disk");
    // Same size, other bytes: differs, kept.
    await Deno.writeTextFile(`${base}/dl/copy/sub/a.txt`, "ALPHA\n");
    // An interrupted download of big.bin: its first 40000 bytes in a .part of this version.
    await Deno.remove(`${base}/dl/copy/sub/big.bin`);
    await Deno.writeFile(`${base}/dl/copy/sub/big.bin.part`, big.subarray(0, 40_000));
    const info = await Deno.stat(`${base}/share/sub/big.bin`);
    await Deno.writeTextFile(
      `${base}/dl/copy/sub/big.bin.part.meta`,
      JSON.stringify({
        size: big.length,
        mtime: info.mtime!.getTime(),
        tag: versionTag(versionOf(info)),
      }),
    );
    const third = await get(base, target, ["/", "-r", "-o", "copy"]).finish();
    assert.equal(third.code, 1, third.stderr);
    assert.match(third.stderr, /copy\/sub\/a\.txt differs from the server's; kept/);
    assert.match(third.stderr, /resuming copy\/sub\/big\.bin at 40000 of 100000 bytes/);
    assert.match(
      third.stderr,
      /0 fetched, 1 already there, 1 resumed, 1 differ \(kept\) into copy\nsockit: error: 1 file in copy differ.*\nhint: use --force/,
    );
    assert.equal(await Deno.readTextFile(`${base}/dl/copy/sub/a.txt`), "ALPHA\n");
    assert.deepEqual(await Deno.readFile(`${base}/dl/copy/sub/big.bin`), big);
    const forced = await get(base, target, ["/", "-r", "-o", "copy", "--force"]).finish();
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /1 fetched, 2 already there, 0 resumed into copy\n/);
    assert.equal(await Deno.readTextFile(`${base}/dl/copy/sub/a.txt`), "alpha\n");
    assert.deepEqual(listing(`${base}/dl/copy/sub`), ["a.txt", "big.bin"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
