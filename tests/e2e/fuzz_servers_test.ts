/**
 * Server-level fuzzing: each sockit server runs as a user runs it, with
 * exactly its permission plan, and gets a few thousand mutated requests
 * (seeded, loopback only, every wait bounded) from the corpora of
 * `scripts/fuzz/`. After every thousand it must still answer a valid
 * request correctly, and its resident memory must stay bounded; on the way,
 * every answer is checked for what a hostile request must never get (a
 * dropped request, a malformed or path-leaking HTTP response, control
 * characters relayed or printed, an echo that differs).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Rng } from "../../scripts/fuzz/rng.ts";
import { asBytes, mutate, SHARED_TOKENS } from "../../scripts/fuzz/mutate.ts";
import { concat, UNSAFE_CHARS } from "../../scripts/fuzz/property.ts";
import * as filesTargets from "../../scripts/fuzz/files.ts";
import * as chatTargets from "../../scripts/fuzz/chat.ts";
import * as tftpTargets from "../../scripts/fuzz/tftp.ts";
import * as textTargets from "../../scripts/fuzz/text.ts";
import {
  HttpParseError,
  type ResponseEvent,
  ResponseParser,
} from "../../src/http/response_parser.ts";
import { runSockit, sockit, type Spawned } from "../helpers/harness.ts";

const SEED = 14;
/** Mutated requests between two checks, and how many checks. */
const PER_ROUND = 1000;
const ROUNDS = 3;
/** A generous bound on the server's resident memory. */
const MAX_RSS = 300 * 1024 * 1024;
const CONCURRENCY = 8;
const HOST = "127.0.0.1";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The server's permission plan, as `sockit --permissions …` prints it. */
async function planOf(args: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await runSockit(["--permissions", ...args], {
    permissions: ["--allow-read"],
  });
  assert.equal(code, 0, stderr);
  return stdout.trim().split(" ").filter((flag) => flag !== "");
}

/** Starts a server with exactly its plan. */
async function start(args: string[]): Promise<Spawned> {
  return sockit(args, await planOf(args), { stdin: "null" });
}

/**
 * A temp share: a file, a folder with a file, a hidden file, and links that
 * loop, dangle and lead outside.
 */
async function share(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-fuzz-" });
  await Deno.mkdir(`${dir}/docs`);
  await Deno.writeTextFile(`${dir}/a.txt`, "hello\n");
  await Deno.writeTextFile(`${dir}/docs/b.txt`, "inner\n");
  await Deno.writeTextFile(`${dir}/.hidden`, "secret\n");
  await Deno.symlink("loop", `${dir}/loop`);
  await Deno.symlink("missing", `${dir}/dangling`);
  await Deno.symlink("/etc/hostname", `${dir}/outside`);
  return dir;
}

/** Request `index` of a test (a seed, then mutations): a pure function of (SEED, name, index). */
function mutated(
  name: string,
  index: number,
  seeds: readonly (string | Uint8Array)[],
  maxBytes: number,
): Uint8Array {
  const pool = seeds.map(asBytes);
  if (index < pool.length) return pool[index]!; // the corpus itself first
  const rng = Rng.forInput(SEED, name, index);
  return mutate(rng.pick(pool), rng, { pool, tokens: SHARED_TOKENS, maxBytes });
}

/** Runs `task(i)` for i in [from, to) with at most CONCURRENCY at once. */
async function each(from: number, to: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await task(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * Resident memory of a process in bytes (VmRSS of /proc/PID/status), 0 once it
 * is gone. Read through `cat`: Deno grants /proc/PID files only to --allow-all.
 */
async function rss(pid: number): Promise<number> {
  const { success, stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) return 0;
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(decoder.decode(stdout))?.[1] ?? 0) * 1024;
}

/** Checks the server after a round: alive, answering `probe` correctly, memory bounded. */
async function checkpoint(server: Spawned, round: number, probe: () => Promise<void>) {
  await probe();
  const current = await rss(server.child.pid);
  assert.ok(
    current > 0,
    `round ${round}: the server is gone; stderr:\n${server.stderr.slice(-2000)}`,
  );
  assert.ok(
    current < MAX_RSS,
    `round ${round}: resident memory ${(current / 2 ** 20).toFixed(0)} MiB over ${
      MAX_RSS / 2 ** 20
    } MiB`,
  );
}

/** Ends a server the way a user does (Ctrl-C) and checks it goes. */
async function stop(server: Spawned): Promise<void> {
  server.kill("SIGINT");
  const { code } = await server.finish(10_000);
  assert.equal(code, 130, server.stderr.slice(-2000));
}

/** What came back on one connection. */
interface Exchange {
  bytes: Uint8Array;
  /** The server neither closed nor finished within the bound. */
  timedOut: boolean;
}

/** The peer went away, or we closed the socket under a pending read. */
function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.BadResource;
}

/**
 * One connection: writes `request`, half-closes, reads until the server
 * closes (or `timeoutMs`). A server that closes early (a refusal) is fine.
 */
async function exchange(port: number, request: Uint8Array, timeoutMs = 5_000): Promise<Exchange> {
  const conn = await Deno.connect({ hostname: HOST, port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
    } catch (err) {
      if (!timedOut && !isDisconnect(err)) throw err;
    }
  })();
  try {
    for (let rest = request; rest.length > 0;) rest = rest.subarray(await conn.write(rest));
    await conn.closeWrite();
  } catch (err) {
    if (!timedOut && !isDisconnect(err)) throw err;
  }
  await reading;
  clearTimeout(timer);
  if (!timedOut) conn.close();
  return { bytes: concat(chunks), timedOut };
}

const hex = (bytes: Uint8Array) =>
  bytes.length > 200 ? `${bytes.subarray(0, 200).toHex()}…` : bytes.toHex();

// ---------------------------------------------------------------------------------------------
// The file protocol.

const FILE_SEEDS = [
  ...filesTargets.request.seeds,
  "GET a.txt/x 0",
  "LIST loop",
  "GET loop 0",
  "STAT dangling",
  "GET outside 0",
  "LIST docs/b.txt",
  "GET docs 0",
  "STAT nothing-here",
  "GET a.txt 7",
];

/** Sub-requests after which the server may legitimately stop answering the connection. */
function endsConversation(line: Uint8Array): boolean {
  const text = decoder.decode(line);
  return text.split("\n").some((sub) => {
    const request = sub.replace(/\r$/, "");
    const verb = request.split(" ")[0]!.toLowerCase();
    return verb === "put" || verb === "quit" || encoder.encode(request).length > 4096;
  });
}

Deno.test("fuzz files serve: mutated request lines are each answered; the server keeps serving", async () => {
  const dir = await share();
  try {
    const args = [
      "files",
      "serve",
      dir,
      "--listen",
      `${HOST}:0`,
      "--allow-upload",
      "--max-upload",
      "65536",
    ];
    await using server = await start(args);
    const port = await server.port();
    const hello = encoder.encode("\nHELLO 1\n");
    for (let round = 1; round <= ROUNDS; round++) {
      await each((round - 1) * PER_ROUND, round * PER_ROUND, async (i) => {
        const line = mutated("files", i, FILE_SEEDS, 6000);
        const open = !endsConversation(line);
        const { bytes, timedOut } = await exchange(
          port,
          open ? concat([line, hello]) : concat([line, encoder.encode("\n")]),
        );
        assert.ok(!timedOut, `request #${i} ${hex(line)}: no answer and no close within 5 s`);
        const text = decoder.decode(bytes);
        if (open) {
          // Every line is answered, and the connection stays usable for the next request.
          assert.match(
            text,
            /(?:^|\n)OK HELLO 1 [^\n]*\n$/,
            `request #${i} ${hex(line)} was not answered before the next: ${
              JSON.stringify(text.slice(-300))
            }`,
          );
        }
        for (const reply of text.split("\n")) {
          if (/^(?:OK|ERR) /.test(reply)) {
            assert.ok(!reply.includes(dir), `a reply leaks the share path: ${reply}`);
          }
        }
      });
      await checkpoint(server, round, async () => {
        const { bytes } = await exchange(port, encoder.encode("GET a.txt\n"));
        assert.match(
          decoder.decode(bytes),
          /^OK GET 6 \d+ 0 6 [0-9a-f]{64}\nhello\n$/,
          `round ${round}`,
        );
      });
    }
    await stop(server);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// The HTTP face.

const HTTP_SEEDS = [
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-2\r\n\r\n",
  "HEAD /docs/ HTTP/1.1\r\nHost: x\r\n\r\n",
  'GET /docs/?json HTTP/1.1\r\nHost: x\r\nIf-None-Match: "1-2"\r\n\r\n',
  "PUT /up.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  'POST /docs/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 80\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n\r\nhi\r\n--b--\r\n',
  "GET /a.txt/x HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /loop HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /outside HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET //docs HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /docs HTTP/1.0\r\n\r\n",
  "GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
];

/** What one HTTP exchange gave: the bytes, and the head as sockit's own client parser reads it. */
interface HttpExchange {
  bytes: Uint8Array;
  status?: number;
  error?: string;
  timedOut: boolean;
}

/**
 * One request on its own connection, read until a whole response has come
 * (or the server closes). A request the server is still waiting on (cut
 * short by the mutation) gets a half-close after `quietMs` of silence, and
 * once a head has come, silence ends the read: only the head is judged,
 * since what follows depends on how the server read a mangled request.
 */
async function httpExchange(
  port: number,
  request: Uint8Array,
  method: string,
  quietMs = 100,
  timeoutMs = 5_000,
): Promise<HttpExchange> {
  const conn = await Deno.connect({ hostname: HOST, port });
  const parser = new ResponseParser({ method });
  const chunks: Uint8Array[] = [];
  const result: HttpExchange = { bytes: new Uint8Array(0), timedOut: false };
  const deadline = Date.now() + timeoutMs;
  const buffer = new Uint8Array(64 * 1024);
  let pending: Promise<number | null> | undefined;
  let halfClosed = false;
  const judge = (events: () => ResponseEvent[]) => {
    try {
      for (const event of events()) if (event.type === "head") result.status ??= event.status;
    } catch (err) {
      if (!(err instanceof HttpParseError)) throw err;
      result.error ??= err.message;
    }
  };
  try {
    try {
      for (let rest = request; rest.length > 0;) rest = rest.subarray(await conn.write(rest));
    } catch (err) {
      if (!isDisconnect(err)) throw err;
    }
    for (;;) {
      const wait = Math.min(quietMs, deadline - Date.now());
      if (wait <= 0) {
        result.timedOut = true;
        break;
      }
      pending ??= conn.read(buffer).catch((err) => {
        if (isDisconnect(err)) return null;
        throw err;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        pending,
        new Promise<"quiet">((resolve) => {
          timer = setTimeout(() => resolve("quiet"), wait);
        }),
      ]);
      clearTimeout(timer);
      if (n === "quiet") {
        if (result.status !== undefined || result.error !== undefined) break;
        if (!halfClosed) {
          halfClosed = true;
          await conn.closeWrite().catch(() => {});
        }
        continue;
      }
      pending = undefined;
      if (n === null) {
        if (chunks.length > 0 && result.status === undefined) judge(() => parser.end());
        break;
      }
      const chunk = buffer.slice(0, n);
      chunks.push(chunk);
      if (result.status === undefined && result.error === undefined) {
        judge(() => parser.push(chunk));
      }
      if (parser.done) break;
    }
  } finally {
    conn.close();
    await pending?.catch(() => {});
  }
  result.bytes = concat(chunks);
  return result;
}

Deno.test("fuzz files serve --http: mutated requests get well-formed answers that leak no path", async () => {
  const dir = await share();
  try {
    const args = [
      "files",
      "serve",
      dir,
      "--listen",
      `${HOST}:0`,
      "--http",
      `${HOST}:0`,
      "--allow-upload",
      "--max-upload",
      "65536",
    ];
    await using server = await start(args);
    const port = await server.port({ label: "http" });
    for (let round = 1; round <= ROUNDS; round++) {
      await each((round - 1) * PER_ROUND, round * PER_ROUND, async (i) => {
        const request = mutated("http", i, HTTP_SEEDS, 12_000);
        const method = /^HEAD /i.test(decoder.decode(request.subarray(0, 5))) ? "HEAD" : "GET";
        const { bytes, status, error, timedOut } = await httpExchange(port, request, method);
        assert.ok(!timedOut, `request #${i} ${hex(request)}: no answer and no close within 5 s`);
        // A refusal may close without a word; an answer must start with a well-formed head.
        assert.ok(
          error === undefined,
          `request #${i} ${hex(request)}: malformed response (${error}): ${hex(bytes)}`,
        );
        if (bytes.length > 0) {
          assert.ok(status !== undefined, `request #${i}: no head in ${hex(bytes)}`);
        }
        // Whatever is wrong with a request is the client's (4xx), or something the server does
        // not implement (501, 505) or cannot take now (503): never a 500, the server failing,
        // whose body tends to carry an internal message.
        assert.ok(
          status !== 500,
          `request #${i} ${JSON.stringify(decoder.decode(request).slice(0, 200))}: ${status} ${
            JSON.stringify(decoder.decode(bytes).slice(-200))
          }`,
        );
        assert.ok(
          !decoder.decode(bytes).includes(dir),
          `request #${i} ${hex(request)}: the response leaks the share path: ${
            JSON.stringify(decoder.decode(bytes).slice(0, 300))
          }`,
        );
      });
      await checkpoint(server, round, async () => {
        const request = "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        const { bytes } = await httpExchange(port, encoder.encode(request), "GET", 5_000);
        const text = decoder.decode(bytes);
        assert.match(
          text,
          /^HTTP\/1\.1 200 /,
          `round ${round}: ${JSON.stringify(text.slice(0, 200))}`,
        );
        assert.ok(text.endsWith("\r\n\r\nhello\n"), `round ${round}: ${JSON.stringify(text)}`);
      });
    }
    await stop(server);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Chat.

/** A client that reads everything the relay sends it (so it is never dropped for not reading). */
class Listener {
  readonly conn: Deno.Conn;
  text = "";
  readonly done: Promise<void>;
  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.done = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      const stream = new TextDecoder();
      try {
        for (let n; (n = await conn.read(buffer)) !== null;) {
          this.text += stream.decode(buffer.subarray(0, n), { stream: true });
        }
      } catch (err) {
        if (!isDisconnect(err)) throw err;
      }
    })();
  }

  /** Waits (bounded) until `pattern` is in what arrived. */
  async waitFor(pattern: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text);
      if (match) return match;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-500))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    await this.done;
  }
}

Deno.test("fuzz chat serve: mutated lines relay clean; the room keeps talking", async () => {
  await using server = await start(["chat", "serve", `${HOST}:0`]);
  const port = await server.port();
  const observer = new Listener(await Deno.connect({ hostname: HOST, port }));
  try {
    const [, me] = await observer.waitFor(/welcome, you are (\S+)/);
    const LINES = 20;
    for (let round = 1; round <= ROUNDS; round++) {
      const from = (round - 1) * PER_ROUND;
      // One client per LINES mutated lines.
      await each(from / LINES, (from + PER_ROUND) / LINES, async (c) => {
        const lines = Array.from(
          { length: LINES },
          (_, k) => mutated("chat", c * LINES + k, chatTargets.relay.seeds, 6000),
        );
        const client = new Listener(await Deno.connect({ hostname: HOST, port }));
        const body = concat(lines.flatMap((line) => [line, encoder.encode("\n")]));
        try {
          for (let rest = body; rest.length > 0;) {
            rest = rest.subarray(await client.conn.write(rest));
          }
          await client.conn.closeWrite();
        } catch (err) {
          if (!isDisconnect(err)) throw err;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          client.done,
          new Promise((resolve) => {
            timer = setTimeout(resolve, 5_000);
          }),
        ]);
        clearTimeout(timer);
        await client.close();
      });
      await checkpoint(server, round, async () => {
        const talker = new Listener(await Deno.connect({ hostname: HOST, port }));
        try {
          const [, name] = await talker.waitFor(/welcome, you are (\S+)/);
          await talker.conn.write(encoder.encode(`ping ${round}\n`));
          await observer.waitFor(new RegExp(`<${name}> ping ${round}\\n`));
        } finally {
          await talker.close();
        }
      });
    }
    for (const line of observer.text.split("\n")) {
      assert.ok(
        !UNSAFE_CHARS.test(line),
        `${me} received a line with a control character: ${JSON.stringify(line)}`,
      );
    }
  } finally {
    await observer.close();
  }
  await stop(server);
});

// ---------------------------------------------------------------------------------------------
// TFTP.

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

const abortPacket = new Uint8Array([0, 5, 0, 0, ...encoder.encode("fuzz done"), 0]);

/** A valid read of a.txt from a fresh port: RRQ, DATA 1 (retried a few times), ACK 1. */
async function tftpRead(port: number): Promise<string> {
  const socket = Deno.listenDatagram({ hostname: HOST, port: 0, transport: "udp" });
  const request = new Uint8Array([0, 1, ...encoder.encode("a.txt\0octet\0")]);
  const pending = socket.receive();
  pending.catch(() => {});
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      await socket.send(request, { transport: "udp", hostname: HOST, port });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        pending,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), 1_000);
        }),
      ]);
      clearTimeout(timer);
      if (!result) continue;
      const [bytes, from] = result;
      const tid = { transport: "udp" as const, hostname: HOST, port: (from as Deno.NetAddr).port };
      if (u16(bytes, 0) === 3) await socket.send(new Uint8Array([0, 4, bytes[2]!, bytes[3]!]), tid);
      return u16(bytes, 0) === 3 && u16(bytes, 2) === 1
        ? decoder.decode(bytes.subarray(4))
        : `opcode ${u16(bytes, 0)}: ${decoder.decode(bytes.subarray(4))}`;
    }
    return "no answer";
  } finally {
    socket.close();
  }
}

const SESSION_SEEDS = [
  new Uint8Array([0, 4, 0, 1]),
  new Uint8Array([0, 4, 0, 0]),
  new Uint8Array([0, 3, 0, 1, 0x61]),
  new Uint8Array([0, 5, 0, 4, 0x78, 0]),
  new Uint8Array([0, 6, ...encoder.encode("blksize\x008\0")]),
];

Deno.test("fuzz tftp serve: mutated packets, to the server and to transfers; it keeps serving", async () => {
  const dir = await share();
  const socket = Deno.listenDatagram({ hostname: HOST, port: 0, transport: "udp" });
  try {
    await using server = await start([
      "tftp",
      "serve",
      dir,
      "--listen",
      `${HOST}:0`,
      "--allow-write",
      "--create",
    ]);
    const port = await server.port();
    const seeds = [...tftpTargets.packets.seeds, ...tftpTargets.options.seeds];
    // Every transfer the fuzz starts gets a few mutated packets, then an ERROR that ends it:
    // a polite client, so what is measured is the server's parsing, not its slot limits.
    const aborted = new Set<number>();
    let session = 0;
    let receiving = true;
    const receiver = (async () => {
      while (receiving) {
        let received;
        try {
          received = await socket.receive();
        } catch (err) {
          if (isDisconnect(err)) return;
          throw err;
        }
        const [bytes, from] = received;
        const tid = (from as Deno.NetAddr).port;
        const op = u16(bytes, 0);
        if (tid === port || aborted.has(tid) || (op !== 3 && op !== 4 && op !== 6)) continue;
        aborted.add(tid);
        const target = { transport: "udp" as const, hostname: HOST, port: tid };
        const count = Rng.forInput(SEED, "tftp-transfer", aborted.size).below(4);
        for (let k = 0; k < count; k++) {
          await socket.send(mutated("tftp-session", session++, SESSION_SEEDS, 600), target);
        }
        await socket.send(abortPacket, target);
      }
    })();
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = (round - 1) * PER_ROUND; i < round * PER_ROUND; i++) {
        await socket.send(mutated("tftp", i, seeds, 1500), {
          transport: "udp",
          hostname: HOST,
          port,
        });
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await checkpoint(server, round, async () => {
        assert.equal(await tftpRead(port), "hello\n", `round ${round}`);
      });
    }
    receiving = false;
    socket.close();
    await receiver;
    await stop(server);
  } finally {
    try {
      socket.close();
    } catch {
      // closed above
    }
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// TCP echo.

Deno.test("fuzz tcp listen --mode echo: any bytes come back as sent; it keeps echoing", async () => {
  await using server = await start(["tcp", "listen", `${HOST}:0`, "-k", "--mode", "echo"]);
  const port = await server.port();
  const seeds = [...chatTargets.lines.seeds, ...textTargets.display.seeds];
  for (let round = 1; round <= ROUNDS; round++) {
    await each((round - 1) * PER_ROUND, round * PER_ROUND, async (i) => {
      const payload = mutated("tcp", i, seeds, 20_000);
      const { bytes, timedOut } = await exchange(port, payload);
      assert.ok(!timedOut, `payload #${i}: no echo and no close within 5 s`);
      assert.deepEqual(bytes, payload, `payload #${i} ${hex(payload)} did not come back as sent`);
    });
    await checkpoint(server, round, async () => {
      const probe = encoder.encode(`round ${round}\r\n\x00\xff`);
      assert.deepEqual((await exchange(port, probe)).bytes, probe);
    });
  }
  await stop(server);
});

// ---------------------------------------------------------------------------------------------
// UDP listen.

Deno.test("fuzz udp listen: mutated datagrams print escaped, one line each; it keeps listening", async () => {
  await using server = await start(["udp", "listen", `${HOST}:0`]);
  const port = await server.port();
  const socket = Deno.listenDatagram({ hostname: HOST, port: 0, transport: "udp" });
  const target = { transport: "udp" as const, hostname: HOST, port };
  const seeds = [...textTargets.display.seeds, ...chatTargets.relay.seeds];
  let checked = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = (round - 1) * PER_ROUND; i < round * PER_ROUND; i++) {
        await socket.send(mutated("udp", i, seeds, 8192), target);
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await checkpoint(server, round, async () => {
        // The probe may be dropped behind a burst (UDP): send it again until it shows, bounded.
        const probe = `probe ${round}`;
        const shown = new RegExp(`^127\\.0\\.0\\.1:\\d+ ${probe}$`, "m");
        const deadline = Date.now() + 15_000;
        while (!shown.test(server.stdout)) {
          assert.ok(Date.now() < deadline, `round ${round}: "${probe}" never printed`);
          await socket.send(encoder.encode(probe), target);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      });
      const printed = server.stdout.slice(checked);
      checked = server.stdout.length;
      for (const line of printed.split("\n")) {
        assert.ok(
          !UNSAFE_CHARS.test(line),
          `a datagram printed a control character: ${JSON.stringify(line.slice(0, 300))}`,
        );
        assert.ok(
          line === "" || /^127\.0\.0\.1:\d+ /.test(line),
          `not one line per datagram: ${JSON.stringify(line.slice(0, 300))}`,
        );
      }
    }
  } finally {
    socket.close();
  }
  await stop(server);
});
