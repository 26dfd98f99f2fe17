/**
 * The HTTP face's own HTTP/1.1 server over a raw socket: keep-alive and
 * pipelining, chunked and 100-continue uploads, and what it refuses.
 */
import assert from "node:assert/strict";
import { sockit } from "../helpers/harness.ts";
import { readAll, readUntil, send } from "../helpers/net.ts";

async function withServer(fn: (port: number, share: string) => Promise<void>) {
  const share = await Deno.makeTempDir({ prefix: "sockit-http-face-" });
  try {
    await Deno.writeTextFile(`${share}/notes.txt`, "hello world\n");
    await using server = sockit(
      ["files", "serve", share, "--listen", "0", "--http", "0", "--allow-upload"],
      ["--allow-net=127.0.0.1", `--allow-read=${share}`, `--allow-write=${share}`],
    );
    await fn(await server.port({ label: "http" }), share);
  } finally {
    await Deno.remove(share, { recursive: true });
  }
}

async function exchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, request);
    return new TextDecoder().decode(await readAll(conn));
  } finally {
    conn.close();
  }
}

Deno.test("the HTTP face answers pipelined requests on one kept-alive connection, in order", async () => {
  await withServer(async (port) => {
    const answers = await exchange(
      port,
      "GET /notes.txt HTTP/1.1\r\nHost: a\r\n\r\n" +
        "HEAD /notes.txt HTTP/1.1\r\nHost: a\r\n\r\n" +
        "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" +
        "\r\nGET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    const parts = answers.split(/(?=HTTP\/1\.1 )/);
    assert.equal(parts.length, 4, answers);
    assert.match(
      parts[0]!,
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 12\r\n[\s\S]*\r\n\r\nhello world\n$/,
    );
    assert.doesNotMatch(parts[0]!, /connection: close/);
    assert.match(parts[1]!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 12\r\n[\s\S]*\r\n\r\n$/);
    assert.match(
      parts[2]!,
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-type: text\/html[\s\S]*\r\n\r\n$/,
    );
    assert.match(parts[3]!, /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*connection: close\r\n/);
  });
});

Deno.test("the HTTP face stores chunked and 100-continue uploads", async () => {
  await withServer(async (port, share) => {
    const chunked = await exchange(
      port,
      "PUT /a.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
        "6\r\nhello \r\n6;x=y\r\nchunks\r\n0\r\n\r\n",
    );
    assert.match(chunked, /^HTTP\/1\.1 201 Created\r\n/);
    assert.equal(await Deno.readTextFile(`${share}/a.txt`), "hello chunks");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await send(
        conn,
        "PUT /b.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      );
      await readUntil(conn, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      await send(conn, "bytes");
      await readUntil(conn, /HTTP\/1\.1 201 Created\r\n[\s\S]*\r\n\r\n201 created b\.txt/);
    } finally {
      conn.close();
    }
    assert.equal(await Deno.readTextFile(`${share}/b.txt`), "bytes");
  });
});

Deno.test("the HTTP face refuses malformed heads with 400 and closes, leaking nothing", async () => {
  await withServer(async (port) => {
    const cases: [string, RegExp][] = [
      ["GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", /^HTTP\/1\.1 400 Bad Request\r\n/],
      ["GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 Bad Request\r\n/],
      [
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        /^HTTP\/1\.1 400 /,
      ],
      ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", /^HTTP\/1\.1 505 /],
      ["TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", /^HTTP\/1\.1 501 /],
      [`GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`, /^HTTP\/1\.1 414 /],
    ];
    for (const [request, expected] of cases) {
      const answer = await exchange(port, request);
      assert.match(answer, expected, JSON.stringify(request.slice(0, 60)));
      assert.match(answer, /connection: close\r\n/);
    }
  });
});
