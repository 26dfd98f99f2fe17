/**
 * The file service's HTTP face against curl: full downloads, Range, HEAD,
 * 404, 416, uploads with PUT. In CI a missing curl fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { isSettled, versionOf } from "../../src/share/version.ts";
import { skipWithout, sockit, Spawned } from "../helpers/harness.ts";

async function curl(args: string[]): Promise<{ code: number; stdout: string; bytes: Uint8Array }> {
  await using proc = new Spawned("curl", ["-s", ...args], { stdin: "null" });
  const { code, stdout, stdoutBytes } = await proc.finish();
  return { code, stdout, bytes: stdoutBytes };
}

Deno.test({
  name: "curl against files serve --http: full file, Range, HEAD, 404, 416, traversal, PUT",
  ignore: skipWithout("curl"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${base}/share`);
      const data = new Uint8Array(300_000);
      crypto.getRandomValues(data.subarray(0, 65536));
      await Deno.writeFile(`${base}/share/data.bin`, data);
      await Deno.writeTextFile(`${base}/share/notes.txt`, "hello world\n");
      await Deno.writeTextFile(`${base}/upload.txt`, "from curl\n");
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0", "--allow-upload"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
      );
      const port = await server.port({ label: "http" });
      const url = `http://127.0.0.1:${port}`;

      const full = await curl([`${url}/data.bin`]);
      assert.deepEqual(full.bytes, data, "byte-for-byte");
      const ranged = await curl(["-r", "100-199", `${url}/data.bin`]);
      assert.deepEqual(ranged.bytes, data.subarray(100, 200));
      // A file changed within the last second is named by its content until its version
      // settles (share/version.ts); wait for that, so the ETag below stays the same.
      await settled(`${base}/share/notes.txt`);
      const head = await curl(["-I", `${url}/notes.txt`]);
      assert.match(head.stdout, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head.stdout, /content-length: 12\r\n/i);
      assert.match(head.stdout, /content-type: text\/plain; charset=utf-8\r\n/i);
      assert.match(head.stdout, /last-modified: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r\n/i);
      assert.match(head.stdout, /etag: "[0-9a-f]+-[0-9a-f]+"\r\n/i);
      const status = async (args: string[]) =>
        (await curl(["-o", "/dev/null", "-w", "%{http_code}", ...args])).stdout;
      assert.equal(await status([`${url}/missing.txt`]), "404");
      assert.equal(await status(["-r", "500-", `${url}/notes.txt`]), "416");
      assert.equal(await status(["-r", "9-3", `${url}/notes.txt`]), "416");
      // The URL parser resolves %2e%2e as a dot segment at the share root: /upload.txt,
      // which is not in the share. Either way the file outside is never served.
      const escape = await curl(["--path-as-is", "-w", "%{http_code}", `${url}/%2e%2e/upload.txt`]);
      assert.equal(escape.stdout, "404 no such file or directory\n404");
      assert.equal(await status(["--path-as-is", `${url}/docs%2f..%2f..%2fupload.txt`]), "403");
      assert.equal(
        await status([
          `${url}/notes.txt`,
          "-H",
          `If-None-Match: ${/etag: ("[^"]+")/i.exec(head.stdout)![1]}`,
        ]),
        "304",
      );

      assert.equal(await status(["-T", `${base}/upload.txt`, `${url}/`]), "201");
      assert.equal(await Deno.readTextFile(`${base}/share/upload.txt`), "from curl\n");
      assert.equal(
        await status(["-T", `${base}/upload.txt`, `${url}/`]),
        "409",
        "never overwrites",
      );
      assert.equal(await status(["-X", "DELETE", `${url}/notes.txt`]), "405");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "curl against the HTTP face: one connection for several URLs, 100-continue and chunked uploads",
  ignore: skipWithout("curl"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${base}/share`);
      await Deno.writeTextFile(`${base}/share/notes.txt`, "hello world\n");
      const big = new Uint8Array(2 * 1024 * 1024);
      crypto.getRandomValues(big.subarray(0, 65536));
      await Deno.writeFile(`${base}/big.bin`, big);
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0", "--allow-upload"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
      );
      const url = `http://127.0.0.1:${await server.port({ label: "http" })}`;
      const twice = await curl(["-v", `${url}/notes.txt`, `${url}/notes.txt`]);
      assert.equal(twice.stdout, "hello world\nhello world\n");
      // Over 1 MB, curl asks "Expect: 100-continue" first.
      const expect = await curl([
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-T",
        `${base}/big.bin`,
        `${url}/`,
      ]);
      assert.equal(expect.stdout, "201");
      assert.deepEqual(await Deno.readFile(`${base}/share/big.bin`), big);
      // From stdin, curl sends the body chunked.
      await using piped = new Spawned("curl", ["-s", "-T", "-", `${url}/piped.txt`]);
      await piped.write("from a pipe\n");
      const { stdout } = await piped.finish();
      assert.match(stdout, /^201 created piped\.txt \(12 B, sha256 /);
      assert.equal(await Deno.readTextFile(`${base}/share/piped.txt`), "from a pipe\n");
      assert.equal((server.stderr.match(/connection from/g) ?? []).length, 3, server.stderr);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

/** Waits (bounded) until the file's version is settled: its ctime is SETTLE_MS in the past. */
async function settled(path: string): Promise<void> {
  const info = await Deno.stat(path);
  const version = versionOf(info);
  for (let i = 0; i < 100 && !isSettled(version, Date.now()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
