import assert from "node:assert/strict";
import { Output } from "../../src/console/output.ts";
import { serveFiles, type ServeFilesOptions } from "../../src/files/server.ts";
import { listen } from "../../src/net/endpoint.ts";
import { type Resolved, Sandbox } from "../../src/share/sandbox.ts";
import { readUntil, send } from "../helpers/net.ts";

/** Captures what a server prints on stderr. */
function capture(): { out: Output; text: () => string } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const out = new Output({
    stdout: { write: (p) => Promise.resolve(p.length) },
    stderr: { writeSync: (p) => (chunks.push(decoder.decode(p)), p.length) },
  });
  return { out, text: () => chunks.join("") };
}

/** A file server on 127.0.0.1 for `fn`, stopped afterwards. */
async function withServer(
  sandbox: Sandbox,
  fn: (port: number, log: () => string) => Promise<void>,
  options: ServeFilesOptions = {},
) {
  const { out, text } = capture();
  const stop = new AbortController();
  const bound = listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 }, out);
  const serving = serveFiles(bound, sandbox, out, { ...options, signal: stop.signal });
  try {
    await fn((bound.address as { port: number }).port, text);
  } finally {
    stop.abort();
    await serving;
  }
}

async function withFolder(fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "sockit-files-" });
  try {
    await Deno.writeTextFile(`${root}/notes.txt`, "hello world\n");
    await fn(await Deno.realPath(root));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A folder whose disk fails for one name, with an OS message that names a server path. */
class FailingSandbox extends Sandbox {
  override resolve(components: readonly string[]): Promise<Resolved> {
    if (components[0] === "broken") {
      return Promise.reject(new Error(`Input/output error (os error 5): stat '${this.root}/x'`));
    }
    return super.resolve(components);
  }
}

Deno.test("serveFiles() answers an unexpected disk error with ERR 500 and keeps the connection", async () => {
  await withFolder(async (root) => {
    await withServer(new FailingSandbox(root), async (port, log) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await send(conn, "STAT broken\nGET broken\nLIST broken\nSTAT notes.txt\n");
        const text = await readUntil(conn, /OK STAT f 12 \d+\n/);
        assert.equal(
          text.replace(/\d+\n$/, "N\n"),
          "ERR 500 the server failed to read or write\n".repeat(3) + "OK STAT f 12 N\n",
        );
        assert.ok(!text.includes(root), "no server path reaches the client");
        assert.match(log(), /Input\/output error \(os error 5\)/, "the log line has the cause");
      } finally {
        conn.close();
      }
    });
  });
});
