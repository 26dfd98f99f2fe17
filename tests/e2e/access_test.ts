/**
 * `--allow`/`--deny` on every server, end to end: 127.0.0.1 (or ::1) is
 * the admitted peer and 127.0.0.2 the denied one (both loopback). A denied
 * TCP client gets zero bytes and is closed; a denied datagram gets no
 * answer; both are logged and counted; a malformed CIDR exits 2.
 *
 * @module
 */

import assert from "node:assert/strict";
import net from "node:net";
import { runSockit, sockit } from "../helpers/harness.ts";
import { readAll, send } from "../helpers/net.ts";
import { SERVICES } from "../../src/serve/command.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * Connects from `localAddress`, sends `payload`, half-closes and returns
 * every byte the server sent before the connection ended (a reset counts as
 * the end, as it does for a denied client).
 */
function exchangeFrom(
  localAddress: string,
  host: string,
  port: number,
  payload: string,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const socket = net.createConnection({ host, port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the connection from ${localAddress} within 10 s`));
    }, 10_000);
    socket.on("connect", () => socket.end(payload));
    socket.on("data", (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
    socket.on("error", () => {}); // a reset ends it like a close
    socket.on("close", () => {
      clearTimeout(timer);
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      resolve(all);
    });
  });
}

/** A datagram from `local` to the server, and its reply (within 10 s). */
async function datagramExchange(
  server: number,
  local: string,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const socket = Deno.listenDatagram({ hostname: local, port: 0, transport: "udp" });
  const timer = setTimeout(() => socket.close(), 10_000);
  try {
    await socket.send(payload, { transport: "udp", hostname: "127.0.0.1", port: server });
    const [reply] = await socket.receive();
    return reply;
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/**
 * Sends `payload` from 127.0.0.2 (denied), then the same from 127.0.0.1
 * (admitted) and waits for that answer: the server handles datagrams in
 * order, so an answer to the denied one would have arrived first. Returns
 * the admitted answer and whatever reached the denied socket (nothing).
 */
async function deniedThenAdmitted(
  port: number,
  payload: Uint8Array,
): Promise<{ admitted: Uint8Array; denied: Uint8Array[] }> {
  const denied = Deno.listenDatagram({ hostname: "127.0.0.2", port: 0, transport: "udp" });
  try {
    await denied.send(payload, { transport: "udp", hostname: "127.0.0.1", port });
    const admitted = await datagramExchange(port, "127.0.0.1", payload);
    const received: Uint8Array[] = [];
    const pending = denied.receive().then(([bytes]) => received.push(bytes), () => {});
    // Any answer to the denied sender was sent before the admitted one's: give
    // the loopback a moment to deliver it, then look.
    await new Promise((resolve) => setTimeout(resolve, 200));
    denied.close();
    await pending;
    return { admitted, denied: received };
  } finally {
    try {
      denied.close();
    } catch {
      // closed above
    }
  }
}

Deno.test("tcp listen --deny: a denied client gets zero bytes, is logged and counted; others are served", async () => {
  await using server = sockit([
    "tcp",
    "listen",
    "0",
    "-k",
    "--mode",
    "echo",
    "--deny",
    "127.0.0.2",
  ]);
  const port = await server.port();
  assert.equal(dec(await exchangeFrom("127.0.0.1", "127.0.0.1", port, "hello\n")), "hello\n");
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", port, "hello\n")).length, 0);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+$/m);
  assert.equal((await exchangeFrom("127.0.0.1", "127.0.0.1", port, "again\n")).length, 6);
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.doesNotMatch(stderr, /connection from 127\.0\.0\.2/);
  assert.match(stderr, /stopped: 2 connections served, 12 B in, 12 B out, 1 denied/);
});

Deno.test("tcp listen --allow: without an --allow that covers it, a client is denied, before any greeting", async () => {
  await using server = sockit([
    "tcp",
    "listen",
    "0",
    "-k",
    "--mode",
    "greet",
    "--allow",
    "127.0.0.1/32",
    "--json",
  ]);
  const [, listening] = await server.waitFor(/"event":"listening".*"port":(\d+)/, { on: "stdout" });
  const port = Number(listening);
  assert.match(
    dec(await exchangeFrom("127.0.0.1", "127.0.0.1", port, "Ada\n")),
    /Welcome to sockit![\s\S]*Hello, Ada!/,
  );
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", port, "Ada\n")).length, 0);
  await server.waitFor(/"event":"denied","from":"127\.0\.0\.2:\d+","transport":"tcp"/, {
    on: "stdout",
  });
  server.kill("SIGINT");
  const { code, stdout } = await server.finish();
  assert.equal(code, 130);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.event, "summary");
  assert.equal(summary.connections, 1);
  assert.equal(summary.denied, 1);
});

Deno.test("tcp listen on [::]: IPv4-mapped peers match IPv4 rules; an IPv6 peer no --allow covers is denied", async () => {
  await using server = sockit(
    ["tcp", "listen", "[::]:0", "-k", "--mode", "echo", "--allow", "127.0.0.0/8"],
    ["--allow-net=[::]"],
  );
  const port = await server.port();
  assert.equal(dec(await exchangeFrom("127.0.0.1", "127.0.0.1", port, "v4\n")), "v4\n");
  assert.equal((await exchangeFrom("::1", "::1", port, "v6\n")).length, 0);
  await server.waitFor(/^denied \[::1\]:\d+$/m);
  assert.match(server.stderr, /connection from \[::ffff:127\.0\.0\.1\]:\d+/);
});

Deno.test("tcp listen --deny ::1: IPv6 rules deny an IPv6 client, IPv4 goes on", async () => {
  await using server = sockit(
    ["tcp", "listen", "[::]:0", "-k", "--mode", "echo", "--deny", "::1/128"],
    ["--allow-net=[::]"],
  );
  const port = await server.port();
  assert.equal((await exchangeFrom("::1", "::1", port, "v6\n")).length, 0);
  assert.equal(dec(await exchangeFrom("127.0.0.1", "127.0.0.1", port, "v4\n")), "v4\n");
  await server.waitFor(/^denied \[::1\]:\d+$/m);
});

Deno.test("udp listen --echo --deny: a denied datagram is dropped unanswered and unprinted", async () => {
  await using server = sockit(["udp", "listen", "0", "--echo", "--deny", "127.0.0.2"]);
  const port = await server.port();
  const { admitted, denied } = await deniedThenAdmitted(port, enc("ping"));
  assert.equal(dec(admitted), "ping");
  assert.deepEqual(denied, []);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+$/m);
  server.kill("SIGINT");
  const { code, stdout, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.equal(stdout.trim().split("\n").length, 1, "only the admitted datagram is printed");
  assert.match(stdout, /^127\.0\.0\.1:\d+ ping$/m);
  assert.match(stderr, /received 1 datagram \(4 B\) from 1 peer, 1 denied/);
});

Deno.test("chat serve --deny: the denied client hears nothing and nobody hears of it", async () => {
  await using server = sockit(["chat", "serve", "0", "--deny", "127.0.0.2"]);
  const port = await server.port();
  const member = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(member, "/nick Ada\n");
    assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", port, "hi all\n")).length, 0);
    await server.waitFor(/^denied 127\.0\.0\.2:\d+$/m);
    await send(member, "/quit\n");
    const heard = dec(await readAll(member));
    assert.doesNotMatch(heard, /hi all|user2/);
  } finally {
    member.close();
  }
});

Deno.test("files serve --deny on both faces: zero bytes on the file port and over HTTP", async () => {
  await using server = sockit(
    ["files", "serve", "docs", "--listen", "0", "--http", "0", "--deny", "127.0.0.2"],
    ["--allow-net=127.0.0.1", "--allow-read=docs"],
  );
  const filePort = await server.port({ label: "files" });
  const httpPort = await server.port({ label: "http" });
  const request = "GET /file-protocol.md HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert.match(
    dec(await exchangeFrom("127.0.0.1", "127.0.0.1", httpPort, request)),
    /^HTTP\/1\.1 200/,
  );
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", httpPort, request)).length, 0);
  assert.match(dec(await exchangeFrom("127.0.0.1", "127.0.0.1", filePort, "LIST\n")), /^OK /);
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", filePort, "LIST\n")).length, 0);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+ \(http\)$/m);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+ \(files\)$/m);
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /stopped: .*, 2 denied/);
});

Deno.test("tftp serve --allow: a request from outside gets no packet back, not even an error", async () => {
  await using server = sockit(
    ["tftp", "serve", "docs", "--listen", "0", "--allow", "127.0.0.1"],
    ["--allow-net=127.0.0.1", "--allow-read=docs"],
  );
  const port = await server.port();
  // RRQ for a file that does not exist: an admitted client is answered ERROR 1.
  const rrq = new Uint8Array([0, 1, ...enc("no-such-file"), 0, ...enc("octet"), 0]);
  const { admitted, denied } = await deniedThenAdmitted(port, rrq);
  assert.deepEqual([...admitted.subarray(0, 4)], [0, 5, 0, 1]);
  assert.deepEqual(denied, []);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+$/m);
  server.kill("SIGINT");
  const { stderr } = await server.finish();
  assert.match(stderr, /refused, 0 failed \(.*\), 1 denied/);
});

function portFree(port: number, transport: "tcp" | "udp"): boolean {
  try {
    if (transport === "tcp") Deno.listen({ hostname: "127.0.0.1", port }).close();
    else Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("serve --deny applies to every service: stream, HTTP and datagram", async () => {
  // Offsets that keep every port below the ephemeral range (32768 and up), where client
  // connections of other tests could take one between this check and the start.
  const offset = [12000, 13000, 14000, 15000].find((o) =>
    SERVICES.every((s) => portFree(s.port + o, s.transport))
  );
  if (offset === undefined) return;
  await using server = sockit(
    [
      "serve",
      "docs",
      "--port-offset",
      String(offset),
      "--only",
      "echo,http,udp-echo",
      "--deny",
      "127.0.0.2",
    ],
    ["--allow-net=127.0.0.1", "--allow-read=docs"],
  );
  await server.waitFor(/sockit serve: 3 services/);
  const echo = 7007 + offset;
  assert.equal(dec(await exchangeFrom("127.0.0.1", "127.0.0.1", echo, "hi\n")), "hi\n");
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", echo, "hi\n")).length, 0);
  const http = 8080 + offset;
  const get = "GET / HTTP/1.0\r\n\r\n";
  assert.equal((await exchangeFrom("127.0.0.2", "127.0.0.1", http, get)).length, 0);
  const { admitted, denied } = await deniedThenAdmitted(7007 + offset, enc("ping"));
  assert.equal(dec(admitted), "ping");
  assert.deepEqual(denied, []);
  await server.waitFor(/^denied 127\.0\.0\.2:\d+ \(udp-echo\)$/m);
  server.kill("SIGINT");
  const { code, stderr } = await server.finish();
  assert.equal(code, 130);
  assert.match(stderr, /^denied 127\.0\.0\.2:\d+ \(echo\)$/m);
  assert.match(stderr, /^denied 127\.0\.0\.2:\d+ \(http\)$/m);
  assert.match(stderr, /stopped: .*, 3 denied/);
});

const MALFORMED: string[][] = [
  ["tcp", "listen", "0", "--allow", "10.0.0.0/33"],
  ["udp", "listen", "0", "--deny", "10.0.0"],
  ["chat", "serve", "0", "--allow", "localhost"],
  ["files", "serve", "docs", "--listen", "0", "--deny", "::1/129"],
  ["tftp", "serve", "docs", "--listen", "0", "--allow", "1.2.3.4/"],
  ["serve", "docs", "--deny", "fe80::1%eth0"],
];
Deno.test("a malformed CIDR exits 2 naming it, on every server, also for --permissions", async () => {
  for (const argv of MALFORMED) {
    const bad = argv.at(-1)!;
    for (const args of [argv, ["--permissions", ...argv]]) {
      const { code, stderr } = await runSockit(args, {
        permissions: ["--allow-net=127.0.0.1", "--allow-read=docs"],
      });
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.ok(
        stderr.startsWith(`sockit: error: Cannot parse CIDR "${bad}"`),
        `${args.join(" ")}: ${stderr}`,
      );
      assert.doesNotMatch(stderr, /listening on/);
    }
  }
});

Deno.test("tftp serve --deny: a denied packet to a transfer's port is dropped, where a stranger gets ERROR 5", async () => {
  await using server = sockit(
    ["tftp", "serve", "docs", "--listen", "0", "--deny", "127.0.0.2"],
    ["--allow-net=127.0.0.1", "--allow-read=docs"],
  );
  const port = await server.port();
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const stranger = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const denied = Deno.listenDatagram({ hostname: "127.0.0.2", port: 0, transport: "udp" });
  const timer = setTimeout(() => [client, stranger, denied].forEach((s) => s.close()), 10_000);
  try {
    // The transfer waits for ACK 1, so it lives while the others knock on its port.
    const rrq = new Uint8Array([0, 1, ...enc("file-protocol.md"), 0, ...enc("octet"), 0]);
    await client.send(rrq, { transport: "udp", hostname: "127.0.0.1", port });
    const [data, from] = await client.receive();
    assert.deepEqual([...data.subarray(0, 4)], [0, 3, 0, 1]);
    const ack = new Uint8Array([0, 4, 0, 1]);
    await denied.send(ack, from);
    await stranger.send(ack, from);
    const [error] = await stranger.receive();
    assert.deepEqual([...error.subarray(0, 4)], [0, 5, 0, 5], "a stranger gets ERROR 5");
    const received: Uint8Array[] = [];
    const pending = denied.receive().then(([bytes]) => received.push(bytes), () => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    denied.close();
    await pending;
    assert.deepEqual(received, []);
    await server.waitFor(/^denied 127\.0\.0\.2:\d+$/m);
  } finally {
    clearTimeout(timer);
    for (const socket of [client, stranger, denied]) {
      try {
        socket.close();
      } catch {
        // closed already
      }
    }
  }
});
