/**
 * Links inside the shared folder, through the TFTP server (which stores
 * uploads with the share's stager): a write never turns a link into a file.
 */
import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";

Deno.test("a TFTP WRQ with --create never replaces a link that leads nowhere", async () => {
  const base = await Deno.makeTempDir({ prefix: "sockit-links-" });
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.mkdir(`${base}/dl`);
    await Deno.writeTextFile(`${base}/dl/up.txt`, "uploaded\n");
    await Deno.symlink(`${base}/share/gone.txt`, `${base}/share/link.txt`);
    await using server = sockit(
      ["tftp", "serve", `${base}/share`, "--listen", "127.0.0.1:0", "--allow-write", "--create"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
    );
    const port = await server.port();
    const { code, stderr } = await runSockit(
      ["tftp", "put", `127.0.0.1:${port}`, `${base}/dl/up.txt`, "link.txt"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`], timeoutMs: 30_000 },
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, /link\.txt exists/);
    assert.equal(Deno.readLinkSync(`${base}/share/link.txt`), `${base}/share/gone.txt`);
    assert.deepEqual([...Deno.readDirSync(`${base}/share`)].map((e) => e.name), ["link.txt"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
