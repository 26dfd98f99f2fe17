/**
 * `files get | ls | put` against hostile or broken file servers, written in
 * the test on Deno.listen: servers that stop mid-header or mid-body, never
 * answer, never read, announce endless listings, send lines over the
 * protocol's limit or put terminal escapes in their replies. Every client
 * run must end within a bound, exit 1 and name the server.
 */

import assert from "node:assert/strict";
import { runSockit, silentPort, sockit, type Spawned } from "../helpers/harness.ts";
import { send } from "../helpers/net.ts";

const SHA = "a".repeat(64);

/** What the hostile server does after one request line. */
interface Answer {
  /** Bytes to send (may be cut anywhere). */
  send?: string | Uint8Array;
  /**
   * Then: `next` reads the next request (the default), `stall` holds the
   * connection without reading or answering, `drain` reads and discards
   * everything without answering, `close` closes it.
   */
  then?: "next" | "stall" | "drain" | "close";
  /** Instead of `send`: writes this line again and again until the client goes away. */
  repeat?: string;
}

/** A file server that answers each request line with `answer(line)`. */
function hostileServer(answer: (line: string) => Answer) {
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
      const line = pending.slice(0, lf);
      pending = pending.slice(lf + 1);
      const { send: bytes, then = "next", repeat } = answer(line);
      if (bytes !== undefined) await send(conn, bytes);
      if (repeat !== undefined) {
        const chunk = new TextEncoder().encode(repeat.repeat(1000));
        for (;;) await send(conn, chunk);
      }
      if (then === "close") return;
      if (then === "stall") return await new Promise<void>(() => {}); // until dispose closes it
      if (then === "drain") {
        while ((await conn.read(buffer)) !== null) {
          // discard
        }
        return;
      }
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
      // Stalled handlers never settle by themselves: their connections are closed above.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(handlers),
        new Promise((resolve) => timer = setTimeout(resolve, 1000)),
      ]);
      clearTimeout(timer);
    },
  };
}

/** A well-behaved HELLO, then `rest` for every other request. */
function afterHello(rest: (line: string) => Answer): (line: string) => Answer {
  return (line) => line.startsWith("HELLO") ? { send: "OK HELLO 1 hostile\n" } : rest(line);
}

/** Runs `sockit files ARGS` in a temporary folder it may write, bounded to 15 s. */
async function files(args: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    const proc: Spawned = sockit(
      ["files", ...args],
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
      { stdin: "null", cwd: dir },
    );
    const result = await proc.finish(15_000);
    return { ...result, dir, files: [...Deno.readDirSync(dir)].map((e) => e.name).sort() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** No raw ESC, BEL, other C0 controls (but LF), C1 controls or bidi overrides. */
function assertNoRawControls(text: string) {
  // deno-lint-ignore no-control-regex
  const raw = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(raw, null, `raw control ${JSON.stringify(raw?.[0])} in ${JSON.stringify(text)}`);
}

// --- defect 4: every wait is bounded by --timeout -------------------------------------------

const stalls: [string, (line: string) => Answer, string[]][] = [
  ["never answers HELLO", () => ({ then: "stall" }), ["ls"]],
  [
    "stops mid-header",
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT f 10 0\n" }
        : { send: "OK GET 10 0 0 10 aaaa", then: "stall" }
    ),
    ["get", "x.bin"],
  ],
  [
    "stops mid-body",
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT f 10 0\n" }
        : { send: `OK GET 10 0 0 10 ${SHA}\nabc`, then: "stall" }
    ),
    ["get", "x.bin"],
  ],
  [
    "stops mid-listing",
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT d 0 0\n" }
        : { send: "OK LIST 3\nf 1 0 a\nf 1 0 b", then: "stall" }
    ),
    ["ls"],
  ],
  [
    "never answers a STAT",
    afterHello(() => ({ then: "stall" })),
    ["get", "x.bin"],
  ],
];
for (const [name, answer, args] of stalls) {
  Deno.test(`files ${args[0]} --timeout: a server that ${name} → exit 1 naming the server`, async () => {
    await using server = hostileServer(answer);
    const [command, ...rest] = args;
    const result = await files([command!, server.target, ...rest, "--timeout", "300"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`timed out: no data from ${server.target.replace(/\./g, "\\.")} for 300 ms`),
    );
    assert.ok(!result.files.includes("x.bin"), "no LOCAL is left behind");
  });
}

Deno.test("files get --timeout: a body cut off by a stalled server keeps the .part for resuming", async () => {
  await using server = hostileServer(
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT f 10 0\n" }
        : { send: `OK GET 10 0 0 10 ${SHA}\nabc`, then: "stall" }
    ),
  );
  const result = await files(["get", server.target, "x.bin", "--timeout", "300"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /cut off after 3 of 10 bytes/);
  assert.match(result.stderr, /hint: run the same command again to resume/);
  assert.deepEqual(result.files, ["x.bin.part", "x.bin.part.meta"]);
});

Deno.test("files put --timeout: a server that never answers the upload → exit 1 naming the server", async () => {
  await using server = hostileServer(afterHello(() => ({ then: "drain" })));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/up.txt`, "upload\n");
    const result = await runSockit(
      ["files", "put", server.target, `${dir}/up.txt`, "--timeout", "300"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`] },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`timed out: no data from ${server.target} for 300 ms`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files put --timeout: a server that stops reading mid-upload → exit 1 naming the server", async () => {
  await using server = hostileServer(afterHello(() => ({ then: "stall" })));
  const dir = await Deno.makeTempDir();
  try {
    // Far more than loopback socket buffers hold, so the client's writes block.
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(48 * 1024 * 1024));
    const result = await runSockit(
      ["files", "put", server.target, `${dir}/big.bin`, "--timeout", "300"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`] },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`timed out: ${server.target} took no data for 300 ms`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files ls --timeout: a server that never accepts the connection → exit 1 naming it", async () => {
  // A listener with a full accept queue drops further SYNs: the connect hangs.
  const { blocker, port } = await silentPort();
  await using _ = blocker;
  const result = await files(["ls", `127.0.0.1:${port}`, "--timeout", "300"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`timed out connecting to 127\\.0\\.0\\.1:${port} after 300 ms`),
  );
});

Deno.test("files get --help names the default --timeout", async () => {
  const { stdout } = await runSockit(["files", "get", "--help"]);
  assert.match(stdout, /--timeout MS .*\(60000\)/);
});

// --- defect 5: the protocol's limits hold in the client -----------------------------------

Deno.test("files ls: a listing announced over the protocol's limit stops with a protocol error", async () => {
  await using server = hostileServer(
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT d 0 0\n" }
        : { send: "OK LIST 9007199254740991\n", repeat: "f 1 0 name\n" }
    ),
  );
  const result = await files(["ls", server.target]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`${server.target} broke the protocol: .*9007199254740991 entries.*100000`),
  );
});

Deno.test("files ls: a listing of more entries than announced reads only what was announced", async () => {
  await using server = hostileServer(
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT d 0 0\n" }
        : { send: "OK LIST 2\nf 1 0 a\nf 1 0 b\n", repeat: "f 1 0 more\n" }
    ),
  );
  const result = await files(["ls", server.target]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split("\n").length, 2);
});

Deno.test("files get -r: a listing announced over the protocol's limit stops with a protocol error", async () => {
  await using server = hostileServer(
    afterHello((line) =>
      line.startsWith("LIST")
        ? { send: "OK LIST 100001\n", repeat: "d 0 0 sub\n" }
        : { send: "OK STAT d 0 0\n" }
    ),
  );
  const result = await files(["get", server.target, "/", "-r", "-o", "into"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /broke the protocol: .*100001 entries.*100000/);
});

Deno.test("files get -r: listings nested without end stop at a bound of pending entries", async () => {
  // Every folder holds 100,000 folders: each listing is legal, the walk must not hold them all.
  const listing = "OK LIST 100000\n" +
    Array.from({ length: 100_000 }, (_, i) => `d 0 0 d${i}\n`).join("");
  await using server = hostileServer(
    afterHello((line) => line.startsWith("LIST") ? { send: listing } : { send: "OK STAT d 0 0\n" }),
  );
  const result = await files(["get", server.target, "/", "-r", "-o", "into"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`${server.target} listed more than 200000 entries of the tree waiting at once`),
  );
});

// --- defect 8: a line over the limit is the server's protocol error --------------------------

for (const verbose of [false, true]) {
  Deno.test(`files ls${verbose ? " -v" : ""}: a reply line over 4096 bytes names the server, no stack trace`, async () => {
    await using server = hostileServer(afterHello(() => ({ send: "OK STAT " + "x".repeat(5000) })));
    const result = await files(["ls", server.target, ...(verbose ? ["-v"] : [])]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`${server.target} broke the protocol: a reply line over 4096 bytes`),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });
}

Deno.test("files get: a HELLO reply over 4096 bytes names the server", async () => {
  await using server = hostileServer(() => ({ send: "OK HELLO 1 " + "x".repeat(5000) + "\n" }));
  const result = await files(["get", server.target, "x.bin", "-v"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`${server.target} broke the protocol: a reply line over`));
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});

// --- defect 7: nothing a server sends reaches the terminal raw ---------------------------------

const EVIL = "\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eevil";

const hostileReplies: [string, (line: string) => Answer, string[]][] = [
  ["an unexpected HELLO reply", () => ({ send: `${EVIL}\n` }), ["ls"]],
  ["an ERR reason", () => ({ send: `ERR 500 ${EVIL}\n` }), ["ls"]],
  ["a HELLO version", () => ({ send: `OK HELLO ${EVIL}\n` }), ["ls"]],
  ["an ERR reason after HELLO", afterHello(() => ({ send: `ERR 403 ${EVIL}\n` })), ["ls"]],
  ["a reply verb", afterHello(() => ({ send: `OK ${EVIL}\n` })), ["ls"]],
  ["a STAT type", afterHello(() => ({ send: `OK STAT ${EVIL} 1 0\n` })), ["get", "x"]],
  ["a STAT size", afterHello(() => ({ send: `OK STAT f ${EVIL} 0\n` })), ["get", "x"]],
  [
    "a LIST entry",
    afterHello((line) =>
      line.startsWith("STAT") ? { send: "OK STAT d 0 0\n" } : { send: `OK LIST 1\n${EVIL}\n` }
    ),
    ["ls"],
  ],
  [
    "a name in a cut-off tree download",
    afterHello((line) => {
      if (line.startsWith("LIST")) {
        return { send: `OK LIST 1\nf 10 0 ${encodeURIComponent(EVIL)}\n` };
      }
      if (line.startsWith("STAT")) return { send: "OK STAT f 10 0\n" };
      return { send: `OK GET 10 0 0 10 ${SHA}\nabc`, then: "close" };
    }),
    ["get", "/", "-r", "-o", "into"],
  ],
];
for (const [name, answer, args] of hostileReplies) {
  Deno.test(`files ${args[0]}: ${name} from the server is escaped on stderr`, async () => {
    await using server = hostileServer(answer);
    const [command, ...rest] = args;
    for (const verbose of [[], ["-v"]]) {
      const result = await files([command!, server.target, ...rest, ...verbose]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /sockit: error: /);
      assertNoRawControls(result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });
}

// --- output policy: -o - streams, and says so when the hash does not match -------------------

Deno.test("files get -o -: a body that fails its SHA-256 exits 1 saying the output was not verified", async () => {
  await using server = hostileServer(
    afterHello((line) =>
      line.startsWith("STAT")
        ? { send: "OK STAT f 5 0\n" }
        : { send: `OK GET 5 0 0 5 ${SHA}\nhello`, then: "close" }
    ),
  );
  const { code, stdout, stderr, files: left } = await files([
    "get",
    server.target,
    "x.txt",
    "-o",
    "-",
    "--timeout",
    "5000",
  ]);
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "hello");
  assert.match(stderr, /SHA-256 mismatch: .*the output written to stdout was not verified/);
  assert.deepEqual(left, []);
});
