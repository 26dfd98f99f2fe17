import assert from "node:assert/strict";
import { send } from "../helpers/net.ts";
import { runSockit, sockit } from "../helpers/harness.ts";

/**
 * A deliberately misbehaving HTTP server for one test: each connection gets
 * `respond(path)` written raw, then closed (unless `stall`).
 */
function rawServer(
  respond: (path: string) => string | Uint8Array,
  options: { stall?: boolean } = {},
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(8192);
        let request = "";
        try {
          while (!request.includes("\r\n\r\n")) {
            const n = await conn.read(buffer);
            if (n === null) break;
            request += new TextDecoder().decode(buffer.subarray(0, n));
          }
          const path = /^\w+ (\S+)/.exec(request)?.[1] ?? "/";
          await send(conn, respond(path));
          if (!options.stall) conn.close();
        } catch {
          // client went away
        } finally {
          if (!options.stall) conns.delete(conn);
        }
      })();
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
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
    },
  };
}

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function getTo(dir: string, url: string, extra: string[] = []) {
  return runSockit(["http", "get", "-o", `${dir}/out`, ...extra, url], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
  });
}

const broken: [string, string, RegExp][] = [
  [
    "closes before the header ends",
    "HTTP/1.1 200 OK\r\nContent-Len",
    /closed before the header ended/,
  ],
  [
    "sends less than Content-Length",
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
    /cut short: 95 bytes missing/,
  ],
  [
    "sends a malformed chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n",
    /malformed chunk size "xyz"/,
  ],
  ["sends an invalid status line", "HTTTP/1.1 200 OK\r\n\r\n", /invalid status line/],
  [
    "sends an oversized header",
    "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n",
    /response header over 65536 bytes/,
  ],
  ["sends nothing", "", /closed without a response/],
];
for (const [name, response, message] of broken) {
  Deno.test(`http get -o: a server that ${name} → exit 1, no file`, async () => {
    await using server = rawServer(() => response);
    await inTemp(async (dir) => {
      const { code, stderr } = await getTo(dir, `${server.url}/x`);
      assert.equal(code, 1, stderr);
      assert.match(stderr, message);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "no FILE, no temporary file");
    });
  });
}

Deno.test("http get: an endless header stream is cut off, not buffered forever", async () => {
  const endless = "HTTP/1.1 200 OK\r\n" + "X-Again: and again\r\n".repeat(10_000);
  await using server = rawServer(() => endless);
  const { code, stderr } = await runSockit(["http", "get", `${server.url}/`]);
  assert.equal(code, 1);
  assert.match(stderr, /response header over 65536 bytes/);
});

Deno.test("http get: a longer body than Content-Length stops at Content-Length", async () => {
  await using server = rawServer(() =>
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more"
  );
  const { code, stdout } = await runSockit(["http", "get", `${server.url}/`]);
  assert.equal(code, 0);
  assert.equal(stdout, "hello");
});

Deno.test("http get: a server that stalls mid-body times out, exit 1, no file", async () => {
  await using server = rawServer(() => "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial", {
    stall: true,
  });
  await inTemp(async (dir) => {
    const { code, stderr } = await getTo(dir, `${server.url}/`, ["--timeout", "300"]);
    assert.equal(code, 1);
    assert.match(stderr, /timed out: no data from 127\.0\.0\.1:\d+ for 300 ms/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("http get -L: relative and scheme-less Locations are followed; loops are caught", async () => {
  await using server = rawServer((path) => {
    if (path === "/start") {
      return "HTTP/1.1 302 Found\r\nLocation: next\r\nContent-Length: 0\r\n\r\n";
    }
    if (path === "/next") {
      return "HTTP/1.1 301 Moved\r\nLocation: /final?x=1\r\nContent-Length: 0\r\n\r\n";
    }
    if (path === "/final?x=1") return "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone";
    if (path === "/loop-a") {
      return "HTTP/1.1 307 Temp\r\nLocation: /loop-b\r\nContent-Length: 0\r\n\r\n";
    }
    if (path === "/loop-b") {
      return "HTTP/1.1 308 Perm\r\nLocation: /loop-a\r\nContent-Length: 0\r\n\r\n";
    }
    return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  });
  const followed = await runSockit(["http", "get", "-L", `${server.url}/start`]);
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(followed.stdout, "done");
  assert.match(
    followed.stderr,
    /following 302 to http:\/\/127\.0\.0\.1:\d+\/next[\s\S]*following 301/,
  );
  const notFollowed = await runSockit(["http", "get", "-i", `${server.url}/start`]);
  assert.match(notFollowed.stdout, /^HTTP\/1\.1 302 Found\r\nLocation: next\r\n/);
  const loop = await runSockit(["http", "get", "-L", `${server.url}/loop-a`]);
  assert.equal(loop.code, 1);
  assert.match(loop.stderr, /redirect loop at http:\/\/127\.0\.0\.1:\d+\/loop-a/);
  const capped = await runSockit(["http", "get", "-L", "--max-redirs", "1", `${server.url}/start`]);
  assert.equal(capped.code, 1);
  assert.match(capped.stderr, /more than 1 redirects/);
});

Deno.test("http get --json reports status, headers, size and time", async () => {
  await using server = rawServer(() =>
    "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc"
  );
  const { code, stdout } = await runSockit(["http", "get", "--json", `${server.url}/`]);
  assert.equal(code, 0);
  const event = JSON.parse(stdout);
  assert.equal(event.status, 201);
  assert.equal(event.size, 3);
  assert.deepEqual(event.headers, [["X-A", "1"], ["Content-Length", "3"]]);
  assert.equal(typeof event.seconds, "number");
});

const badUrls: [string, RegExp][] = [
  ["ftp://127.0.0.1/", /unsupported scheme "ftp"/],
  ["127.0.0.1:8080/", /unsupported scheme|missing scheme/],
  ["http://127.0.0.1:70000/", /Cannot parse URL/],
  ["http://bad host/", /Cannot parse URL/],
];
for (const [url, message] of badUrls) {
  Deno.test(`http get ${url} exits 2`, async () => {
    const { code, stderr } = await runSockit(["http", "get", url]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  });
}

Deno.test("http get: refused connection exits 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const { code, stderr } = await runSockit(["http", "get", `http://127.0.0.1:${port}/`]);
  assert.equal(code, 1);
  assert.match(stderr, /connection refused/);
});

Deno.test("http get fetches from sockit's own files --http face", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/share`);
    await Deno.writeTextFile(`${dir}/share/a.txt`, "from the face\n");
    await using server = sockit(
      ["files", "serve", `${dir}/share`, "--listen", "0", "--http", "0"],
      [
        "--allow-net=127.0.0.1",
        `--allow-read=${dir}/share`,
      ],
    );
    const port = await server.port({ label: "http" });
    const { stdout } = await runSockit(["http", "get", `http://127.0.0.1:${port}/a.txt`]);
    assert.equal(stdout, "from the face\n");
  });
});

/** Bytes of `text` one per character (latin1): lets a test send raw 0x80-0xff bytes. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/** No raw ESC, BEL, other C0 controls (but LF), C1 controls or bidi overrides. */
function assertNoRawControls(text: string) {
  // deno-lint-ignore no-control-regex
  const raw = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(raw, null, `raw control ${JSON.stringify(raw?.[0])} in ${JSON.stringify(text)}`);
}

const EVIL = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\xe2\x80\xaeevil";

const hostileResponses: [string, string, RegExp][] = [
  ["status line", `HTTP/1.1${EVIL} 200 OK\r\n\r\n`, /invalid status line/],
  ["header line", `HTTP/1.1 200 OK\r\n${EVIL}: x\r\n\r\n`, /malformed header line/],
  [
    "chunk size",
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${EVIL}\r\n`,
    /malformed chunk size/,
  ],
  ["Content-Length", `HTTP/1.1 200 OK\r\nContent-Length: ${EVIL}\r\n\r\n`, /Content-Length/],
  ["redirect", `HTTP/1.1 302 Found\r\nLocation: http://a b${EVIL}/\r\n\r\n`, /redirect/],
  ["reason phrase with --fail", `HTTP/1.1 500 ${EVIL}\r\nContent-Length: 0\r\n\r\n`, /HTTP 500/],
];
for (const [name, response, message] of hostileResponses) {
  Deno.test(`http get: control characters in a server's ${name} are escaped on stderr`, async () => {
    await using server = rawServer(() => latin1(response));
    for (const verbose of [[], ["-v"]]) {
      const { code, stderr } = await runSockit([
        "http",
        "get",
        "-L",
        "--fail",
        ...verbose,
        `${server.url}/`,
      ]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, message);
      assertNoRawControls(stderr);
    }
  });
}

Deno.test("http get -v escapes the headers it echoes; -i prints them raw, like curl", async () => {
  const response = `HTTP/1.1 200 OK${EVIL}\r\nX-Evil: ${EVIL}\r\nContent-Length: 2\r\n\r\nok`;
  await using server = rawServer(() => latin1(response));
  const verbose = await runSockit(["http", "get", "-v", `${server.url}/`]);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.equal(verbose.stdout, "ok");
  assert.match(verbose.stderr, /< X-Evil: \\x1b\]0;PWNED\\x07/);
  assertNoRawControls(verbose.stderr);
  const include = await runSockit(["http", "get", "-i", `${server.url}/`]);
  assert.equal(include.code, 0, include.stderr);
  assert.ok(include.stdoutBytes.includes(0x1b), "-i passes the header bytes through");
});

/** A server that answers every request with `head`, then `then` again and again, never closing. */
function endlessServer(head: string, then: string, pauseMs: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          await conn.read(new Uint8Array(8192));
          await send(conn, head);
          for (;;) {
            await send(conn, then);
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        } catch {
          // the client went away
        } finally {
          if (conns.delete(conn)) conn.close();
        }
      })();
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) conn.close();
      conns.clear();
      await serving;
      // A paused writer notices the close within one pause.
      await new Promise((resolve) => setTimeout(resolve, pauseMs + 50));
    },
  };
}

Deno.test("http get: endless 1xx interim responses are cut off after 100", async () => {
  await using server = endlessServer("", "HTTP/1.1 100 Continue\r\n\r\n", 0);
  const { code, stderr } = await runSockit(["http", "get", `${server.url}/`]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /bad response from 127\.0\.0\.1:\d+: more than 100 interim \(1xx\)/);
});

Deno.test("http get --timeout: 1xx responses that keep coming count against the timeout", async () => {
  await using server = endlessServer("", "HTTP/1.1 102 Processing\r\n\r\n", 50);
  const { code, stderr } = await runSockit(["http", "get", "--timeout", "500", `${server.url}/`]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /timed out: no complete response header from 127\.0\.0\.1:\d+ in 500 ms/);
});

Deno.test("http get --timeout: a header that trickles in counts against the timeout", async () => {
  await using server = endlessServer("HTTP/1.1 200 OK\r\n", "X-Slow: y\r\n", 50);
  const { code, stderr } = await runSockit(["http", "get", "--timeout", "500", `${server.url}/`]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /timed out: no complete response header from 127\.0\.0\.1:\d+ in 500 ms/);
});

Deno.test("http get -i: a bare CR between header fields is refused, not printed", async () => {
  await using server = rawServer(() =>
    "HTTP/1.1 200 OK\r\nFoo: 1\rBar: 2\r\nContent-Length: 2\r\n\r\nok"
  );
  const { code, stdout, stderr } = await runSockit(["http", "get", "-i", `${server.url}/`]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /bad response from 127\.0\.0\.1:\d+: a bare CR/);
  assert.equal(stdout, "");
});

Deno.test("http get -i: bare-LF line endings are parsed at once, not waited out", async () => {
  await using server = rawServer(() => "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", { stall: true });
  const { code, stdout, stderr } = await runSockit([
    "http",
    "get",
    "-i",
    "--timeout",
    "10000",
    `${server.url}/`,
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
});

Deno.test("http get -i: an empty line after 100 Continue is skipped", async () => {
  await using server = rawServer(() =>
    "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
  );
  const { code, stdout, stderr } = await runSockit(["http", "get", "-i", `${server.url}/`]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
});

Deno.test("http get: an unsolicited 101 Switching Protocols fails at once", async () => {
  await using server = rawServer(
    () => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    { stall: true },
  );
  const { code, stderr } = await runSockit([
    "http",
    "get",
    "--timeout",
    "10000",
    `${server.url}/`,
  ]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /101 Switching Protocols without an upgrade request/);
});
