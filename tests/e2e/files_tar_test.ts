/**
 * The HTTP face's folder download (`DIR/?tar`): extracted with the system's
 * tar and compared with the share, for a folder holding what a share leaves
 * out (hidden files, links leading outside, a FIFO, a link back up) and odd
 * names (control characters, a line break, UTF-8, a name over 100 bytes).
 */

import assert from "node:assert/strict";
import { skipWithout, sockit } from "../helpers/harness.ts";

const encoder = new TextEncoder();

/** Every regular file under `dir` (links not followed): relative path → content. */
async function tree(dir: string, prefix = ""): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) {
      for (const [k, v] of await tree(`${dir}/${entry.name}`, `${rel}/`)) found.set(k, v);
      found.set(`${rel}/`, "");
    } else if (entry.isFile) {
      found.set(rel, await Deno.readTextFile(`${dir}/${entry.name}`));
    } else {
      found.set(rel, "(not a regular file)");
    }
  }
  return found;
}

const ODD = "tab\there \x1b[31mred\x1b[0m\nline";
const LONG = "n".repeat(180) + ".txt";

async function share(base: string) {
  const s = `${base}/share`;
  await Deno.mkdir(`${s}/pics/deep`, { recursive: true });
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(`${base}/outside/secret.txt`, "outside\n");
  await Deno.writeTextFile(`${s}/pics/a.txt`, "alpha\n");
  await Deno.writeTextFile(`${s}/pics/.hidden`, "hidden\n");
  await Deno.mkdir(`${s}/pics/.git`);
  await Deno.writeTextFile(`${s}/pics/.git/config`, "hidden too\n");
  await Deno.writeTextFile(`${s}/pics/${ODD}`, "odd\n");
  await Deno.writeTextFile(`${s}/pics/ünïcödé.txt`, "utf-8\n");
  await Deno.writeTextFile(`${s}/pics/deep/${LONG}`, "long\n");
  await Deno.writeTextFile(`${s}/pics/deep/big.txt`, "0123456789abcdef".repeat(40_000));
  await Deno.symlink(`${base}/outside`, `${s}/pics/out-dir`);
  await Deno.symlink(`${base}/outside/secret.txt`, `${s}/pics/out-file`);
  await Deno.symlink("a.txt", `${s}/pics/in-link`);
  await Deno.symlink("..", `${s}/pics/deep/up`);
  await Deno.symlink("nowhere", `${s}/pics/dangling`);
  const fifo = new Deno.Command("mkfifo", { args: [`${s}/pics/fifo`] });
  assert.equal((await fifo.output()).code, 0);
}

Deno.test({
  name: "DIR/?tar streams the folder; tar extracts exactly what the share serves",
  ignore: skipWithout("tar", "mkfifo"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      await share(base);
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
      );
      const http = `http://127.0.0.1:${await server.port({ label: "http" })}`;
      const page = await (await fetch(`${http}/pics/`)).text();
      assert.match(page, /<a href="\?tar" download>Download this folder \(\.tar\)<\/a>/);
      const head = await fetch(`${http}/pics/?tar`, { method: "HEAD" });
      assert.equal(head.headers.get("content-type"), "application/x-tar");
      const response = await fetch(`${http}/pics/?tar`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("transfer-encoding"), "chunked");
      assert.match(response.headers.get("content-disposition") ?? "", /filename="pics\.tar"/);
      await Deno.writeFile(`${base}/pics.tar`, new Uint8Array(await response.arrayBuffer()));
      await Deno.mkdir(`${base}/x`);
      const tar = await new Deno.Command("tar", {
        args: ["-C", `${base}/x`, "-xf", `${base}/pics.tar`],
        stderr: "piped",
      }).output();
      assert.equal(tar.code, 0, new TextDecoder().decode(tar.stderr));
      const got = await tree(`${base}/x`);
      const expected = new Map([
        ["pics/", ""],
        ["pics/a.txt", "alpha\n"],
        ["pics/in-link", "alpha\n"],
        [`pics/${ODD}`, "odd\n"],
        ["pics/ünïcödé.txt", "utf-8\n"],
        ["pics/deep/", ""],
        [`pics/deep/${LONG}`, "long\n"],
        ["pics/deep/big.txt", "0123456789abcdef".repeat(40_000)],
        // deep/up leads back to pics, which is being archived: left out.
      ]);
      assert.deepEqual(
        [...got.keys()].sort(),
        [...expected.keys()].sort(),
        "hidden files, outside links, the FIFO, the dangling link and the loop are left out",
      );
      for (const [path, content] of expected) assert.equal(got.get(path), content, path);
      // The whole share (its name as the top folder) holds the same.
      const all = await fetch(`${http}/?tar`);
      assert.match(all.headers.get("content-disposition") ?? "", /filename="share\.tar"/);
      const bytes = new Uint8Array(await all.arrayBuffer());
      assert.ok(bytes.length % 512 === 0 && bytes.length > 1024);
      assert.ok(
        !new TextDecoder().decode(bytes).includes("outside\n"),
        "nothing from outside the share",
      );
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("DIR/?tar is broken off, never completed, when a file changes while it is sent", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${base}/share/d`, { recursive: true });
    const size = 64 * 1024 * 1024;
    await Deno.writeFile(`${base}/share/d/big.bin`, new Uint8Array(size).fill(1));
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
    );
    const response = await fetch(`http://127.0.0.1:${await server.port({ label: "http" })}/d/?tar`);
    const reader = response.body!.getReader();
    let received = (await reader.read()).value?.length ?? 0;
    // 64 MiB do not fit in the socket buffers: the server is far from the end.
    {
      using file = await Deno.open(`${base}/share/d/big.bin`, { write: true });
      await file.seek(size - 7, Deno.SeekMode.Start);
      await file.write(encoder.encode("changed"));
    }
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    });
    assert.ok(received < size, `only part of the archive arrived (${received})`);
    await server.waitFor(/changed while being sent/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
