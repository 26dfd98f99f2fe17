/**
 * Proxy clients against proxies written in the test, so every answer a
 * proxy can give is covered: SOCKS5 success (with and without
 * username/password, names and addresses), refusals with their reasons, an
 * HTTP CONNECT tunnel (with bytes that arrive with its answer), and proxies
 * that refuse, lie, close mid-handshake, answer garbage or never answer.
 */
import assert from "node:assert/strict";
import { parseProxyUrl } from "../../src/inet/proxy_url.ts";
import { connectThroughProxy, ProxyError } from "../../src/net/proxy.ts";

const encoder = new TextEncoder();

/** A one-connection fake proxy: `script` gets the accepted connection. */
function fakeProxy(script: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      await script(conn);
    } catch {
      // the client gave up first
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await conn.read(out.subarray(at));
    if (got === null) throw new Error("closed");
    at += got;
  }
  return out;
}

async function readHeader(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(1);
  while (!text.endsWith("\r\n\r\n")) {
    if ((await conn.read(buf)) === null) throw new Error("closed");
    text += String.fromCharCode(buf[0] ?? 0);
  }
  return text;
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return chunks.join("");
    chunks.push(new TextDecoder().decode(buf.subarray(0, n)));
  }
}

Deno.test("socks5h: the name goes to the proxy, with username and password, and the tunnel carries bytes", async () => {
  let request: number[] = [];
  let auth: number[] = [];
  await using proxy = fakeProxy(async (conn) => {
    assert.deepEqual([...await readExactly(conn, 4)], [5, 2, 0, 2]);
    await conn.write(Uint8Array.of(5, 2));
    const head = await readExactly(conn, 2);
    const user = await readExactly(conn, head[1] ?? 0);
    const plen = await readExactly(conn, 1);
    const pass = await readExactly(conn, plen[0] ?? 0);
    auth = [...head, ...user, ...plen, ...pass];
    await conn.write(Uint8Array.of(1, 0));
    const fixed = await readExactly(conn, 5);
    const rest = await readExactly(conn, (fixed[4] ?? 0) + 2);
    request = [...fixed, ...rest];
    await conn.write(Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90));
    await conn.write(encoder.encode("tunnel"));
  });
  const conn = await connectThroughProxy(
    parseProxyUrl(`socks5h://ann:s3cret@127.0.0.1:${proxy.port}`),
    "example.test",
    443,
    { timeoutMs: 5000 },
  );
  assert.equal(await readAll(conn), "tunnel");
  conn.close();
  assert.deepEqual(auth, [1, 3, ...encoder.encode("ann"), 6, ...encoder.encode("s3cret")]);
  assert.deepEqual(request, [5, 1, 0, 3, 12, ...encoder.encode("example.test"), 1, 187]);
});

Deno.test("socks5: an address is sent as IPv4 or IPv6 bytes, and a refusal names its reason", async () => {
  for (
    const [host, bytes] of [["127.0.0.1", [1, 127, 0, 0, 1]], ["::1", [
      4,
      ...new Array(15).fill(0),
      1,
    ]]] as const
  ) {
    let request: number[] = [];
    await using proxy = fakeProxy(async (conn) => {
      await readExactly(conn, 3);
      await conn.write(Uint8Array.of(5, 0));
      request = [...await readExactly(conn, 3 + bytes.length + 2)];
      await conn.write(Uint8Array.of(5, 5, 0, 1, 0, 0, 0, 0, 0, 0));
    });
    const refused = await connectThroughProxy(
      parseProxyUrl(`socks5://127.0.0.1:${proxy.port}`),
      host,
      22,
    )
      .catch((e) => e);
    assert.ok(refused instanceof ProxyError);
    assert.match(refused.message, /could not connect to .*:22: connection refused/);
    assert.deepEqual(request, [5, 1, 0, ...bytes, 0, 22]);
  }
});

Deno.test("socks5: a proxy that wants credentials nobody gave is named as such", async () => {
  await using proxy = fakeProxy(async (conn) => {
    await readExactly(conn, 3);
    await conn.write(Uint8Array.of(5, 0xff));
  });
  const err = await connectThroughProxy(
    parseProxyUrl(`socks5://127.0.0.1:${proxy.port}`),
    "127.0.0.1",
    1,
  )
    .catch((e) => e);
  assert.match(String(err), /accepts none of the offered methods \(none\); it may want a username/);
});

Deno.test("http CONNECT: the tunnel starts with bytes sent along with the proxy's answer", async () => {
  let head = "";
  await using proxy = fakeProxy(async (conn) => {
    head = await readHeader(conn);
    await conn.write(encoder.encode("HTTP/1.1 200 Connection established\r\n\r\nearly "));
    await conn.write(encoder.encode("late"));
  });
  const conn = await connectThroughProxy(
    parseProxyUrl(`http://bob:pw@127.0.0.1:${proxy.port}`),
    "::1",
    8080,
  );
  assert.equal(await readAll(conn), "early late");
  conn.close();
  assert.match(head, /^CONNECT \[::1\]:8080 HTTP\/1\.1\r\nHost: \[::1\]:8080\r\n/);
  assert.match(head, new RegExp(`Proxy-Authorization: Basic ${btoa("bob:pw")}\r\n`));
});

Deno.test("http CONNECT: refusals, garbage, a header without end, a close and silence are each one clear error", async () => {
  const cases: [string, (conn: Deno.Conn) => Promise<void>, RegExp][] = [
    ["407", async (conn) => {
      await readHeader(conn);
      await conn.write(encoder.encode("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"));
    }, /refused CONNECT 127\.0\.0\.1:9: 407 Proxy Authentication Required \(it wants a username/],
    ["garbage", async (conn) => {
      await readHeader(conn);
      await conn.write(encoder.encode("SSH-2.0-OpenSSH\x1b[2J\r\n\r\n"));
    }, /is not an HTTP proxy \(it answered "SSH-2\.0-OpenSSH\\x1b\[2J"\)/],
    ["endless", async (conn) => {
      await readHeader(conn);
      await conn.write(encoder.encode("HTTP/1.1 200 OK\r\n"));
      const line = encoder.encode(`X: ${"a".repeat(1000)}\r\n`);
      for (let i = 0; i < 20; i++) await conn.write(line);
    }, /sent a header over 16384 bytes/],
    ["close", async (conn) => {
      await readHeader(conn);
    }, /closed the connection during the handshake/],
    ["silent", async (conn) => {
      await readHeader(conn);
      // Say nothing until the client gives up and closes (its 300 ms bound).
      await conn.read(new Uint8Array(1)).catch(() => null);
    }, /did not finish its handshake within 300 ms/],
  ];
  for (const [name, script, expected] of cases) {
    await using proxy = fakeProxy(script);
    const err = await connectThroughProxy(
      parseProxyUrl(`http://127.0.0.1:${proxy.port}`),
      "127.0.0.1",
      9,
      { timeoutMs: 300 },
    ).catch((e) => e);
    assert.ok(err instanceof ProxyError, `${name}: ${err}`);
    assert.match(err.message, expected, name);
  }
});

Deno.test("a proxy URL is refused with what is wrong", () => {
  assert.throws(() => parseProxyUrl("127.0.0.1:1080"), /expected socks5:\/\/HOST:PORT/);
  assert.throws(() => parseProxyUrl("ftp://h:1"), /ftp:\/\/ is not supported/);
  assert.throws(() => parseProxyUrl("http://h:0"), /port must be 1-65535/);
  assert.throws(() => parseProxyUrl("http://h:1/path"), /has no path/);
  assert.equal(parseProxyUrl("socks5://h").port, 1080);
});
