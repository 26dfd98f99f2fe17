/**
 * Small things a first contact finds: a client turned away as busy exits
 * 1, putting a folder is a usage error whichever protocol, a URL without a
 * host is a usage error, and sockit's own default port is not presented as
 * an IANA registration.
 */

import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";

Deno.test("files clients turned away as busy exit 1 and say the server is busy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = sockit(["files", "serve", dir, "--listen", "0", "--max-conns", "1"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
    ]);
    const port = await server.port();
    const holder = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await holder.write(new TextEncoder().encode("HELLO 1\n"));
      await holder.read(new Uint8Array(256)); // the server has taken it
      const { code, stderr } = await runSockit(["files", "ls", `127.0.0.1:${port}`]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /127\.0\.0\.1:\d+ is busy/);
    } finally {
      holder.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat join turned away as busy exits 1", async () => {
  await using server = sockit(["chat", "serve", "0", "--max-conns", "1"]);
  const port = await server.port();
  const holder = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await holder.read(new Uint8Array(256)); // the welcome line: the server has taken it
    const { code, stderr } = await runSockit(["chat", "join", `127.0.0.1:${port}`]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /127\.0\.0\.1:\d+ is busy/);
  } finally {
    holder.close();
  }
});

Deno.test("files put of a folder is a usage error (exit 2), as tftp put's is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const group of ["files", "tftp"]) {
      const { code, stderr } = await runSockit([group, "put", "127.0.0.1:9", dir], {
        permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      });
      assert.equal(code, 2, `${group}: ${stderr}`);
      assert.match(stderr, /not a file/, group);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http get of a URL without a host is a usage error (exit 2)", async () => {
  for (const url of ["http:///path", "https:///", "http://?q", "http://#x"]) {
    const { code, stderr } = await runSockit(["http", "get", url]);
    assert.equal(code, 2, `${url}: ${stderr}`);
    assert.match(stderr, /missing host/, url);
  }
});

Deno.test("port info 9000 names the IANA service; sockit's default is only a note", async () => {
  const { code, stdout } = await runSockit(["port", "info", "9000"]);
  assert.equal(code, 0);
  assert.doesNotMatch(stdout, /sockit-files/);
  assert.match(stdout, /cslistener/);
  assert.match(stdout, /note: sockit files \(default\)/);
});

Deno.test("http get -o and files put write sizes as formatSize does, like the other status lines", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.writeFile(`${base}/share/big.bin`, new Uint8Array(1_500_000));
    await Deno.writeTextFile(`${base}/up.txt`, "hello world\n");
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0", "--allow-upload"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
    );
    const http = await server.port({ label: "http" });
    const files = await server.port({ label: "files" });
    const got = await runSockit(
      ["http", "get", `http://127.0.0.1:${http}/big.bin`, "-o", `${base}/big.bin`],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}`, `--allow-write=${base}`] },
    );
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stderr, /saved .*big\.bin \(1\.5 MB, HTTP 200, [\d.]+ [kMG]?B\/s\)\n/);
    const put = await runSockit(["files", "put", `127.0.0.1:${files}`, `${base}/up.txt`], {
      permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}`],
    });
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /uploaded .*up\.txt \(12 B, sha256 [0-9a-f]{12}…\)\n/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
