/**
 * Slow and greedy clients of the file service and its HTTP face
 * (slowloris): a request line or header must complete within
 * --header-timeout, one address holds at most --max-per-address
 * connections, and the HTTP face keeps to --max-conns. Small limits, so the
 * tests are quick; every wait is bounded.
 */
import assert from "node:assert/strict";
import { sockit, Spawned } from "../helpers/harness.ts";
import { readAll, send } from "../helpers/net.ts";

async function withShare(fn: (share: string) => Promise<void>) {
  const share = await Deno.makeTempDir({ prefix: "sockit-limits-" });
  try {
    await Deno.writeTextFile(`${share}/notes.txt`, "hello world\n");
    await fn(share);
  } finally {
    await Deno.remove(share, { recursive: true });
  }
}

function serve(share: string, extra: string[]) {
  return sockit(
    ["files", "serve", share, "--listen", "0", "--http", "0", ...extra],
    ["--allow-net=127.0.0.1", `--allow-read=${share}`],
  );
}

/** Sends `request` from another loopback address, 127.0.0.2, and returns the reply. */
async function fromOtherAddress(port: number, request: string): Promise<string> {
  await using nc = new Spawned("nc", ["-s", "127.0.0.2", "-N", "127.0.0.1", String(port)]);
  await nc.write(request);
  return (await nc.finish()).stdout;
}

/** Opens `count` connections, one after another, that each begin a request and never end it. */
async function slowClients(port: number, count: number, begin: string): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    await send(conn, begin).catch(() => {}); // a refused one may be closed already
  }
  return conns;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const HTTP_GET = "GET /notes.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

Deno.test("slow clients from one address get --max-per-address slots; another address is served", async () => {
  await withShare(async (share) => {
    await using server = serve(share, [
      "--max-conns",
      "6",
      "--max-per-address",
      "3",
      "--header-timeout",
      "60000",
    ]);
    const files = await server.port({ label: "files" });
    const http = await server.port({ label: "http" });
    const slowFiles = await slowClients(files, 5, "GET no");
    const slowHttp = await slowClients(http, 5, "GET / HTTP/1.1\r\nHost: x\r\n");
    try {
      // Accepted in order: the first three of each hold their slots, the others are refused.
      for (const conn of slowFiles.slice(3)) assert.equal(decode(await readAll(conn)), "busy\n");
      for (const conn of slowHttp.slice(3)) {
        assert.match(decode(await readAll(conn)), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      }
      assert.match(
        server.stderr,
        /refused 127\.0\.0\.1:\d+ \(busy: 3 connections from 127\.0\.0\.1\) \(files\)/,
      );
      assert.match(await fromOtherAddress(files, "STAT notes.txt\n"), /^OK STAT f 12 \d+\n$/);
      const page = await fromOtherAddress(http, HTTP_GET);
      assert.match(page, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello world\n$/);
    } finally {
      for (const conn of [...slowFiles, ...slowHttp]) conn.close();
    }
  });
});

Deno.test("the HTTP face refuses a client over --max-conns with 503 and closes", async () => {
  await withShare(async (share) => {
    await using server = serve(share, ["--max-conns", "2", "--header-timeout", "60000"]);
    const http = await server.port({ label: "http" });
    const held = await slowClients(http, 2, "GET / HTTP/1.1\r\n");
    try {
      await server.waitFor(/(connection from [^\n]*\(http\)\n[\s\S]*){2}/);
      const extra = await Deno.connect({ hostname: "127.0.0.1", port: http });
      const reply = decode(await readAll(extra, 5000));
      extra.close();
      assert.match(reply, /^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*connection: close\r\n/);
      await server.waitFor(/refused 127\.0\.0\.1:\d+ \(busy: 2 connections\) \(http\)/);
    } finally {
      for (const conn of held) conn.close();
    }
  });
});

Deno.test("a request line or header that never ends is closed after --header-timeout (files and HTTP)", async () => {
  await withShare(async (share) => {
    await using server = serve(share, ["--header-timeout", "300", "--idle", "60000"]);
    const files = await server.port({ label: "files" });
    const http = await server.port({ label: "http" });
    for (
      const [port, begin] of [[files, "GET no"], [http, "GET / HTTP/1.1\r\nHost: x\r\n"]] as const
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await send(conn, begin);
        const closed = readAll(conn, 10_000);
        // One byte every 50 ms: activity, but never a whole line or header.
        let open = true;
        closed.finally(() => (open = false)).catch(() => {});
        for (let i = 0; i < 200 && open; i++) {
          await send(conn, "a").catch(() => (open = false));
          await new Promise((r) => setTimeout(r, 50));
        }
        await closed.catch(() => new Uint8Array()); // closed (or reset) by the server
      } finally {
        conn.close();
      }
    }
    await server.waitFor(
      /no complete request in 300 ms[^\n]*\n[\s\S]*no complete request in 300 ms/,
    );
    assert.match(server.stderr, /no complete request in 300 ms\) \(http\)/);
  });
});
