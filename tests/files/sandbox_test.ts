import assert from "node:assert/strict";
import { ProtocolError } from "../../src/files/protocol.ts";
import { Sandbox } from "../../src/files/sandbox.ts";

/** A shared folder with files, a hidden file and links that try to escape. */
async function fixture() {
  const base = await Deno.makeTempDir();
  const root = `${base}/share`;
  await Deno.mkdir(`${root}/docs`, { recursive: true });
  await Deno.writeTextFile(`${root}/notes.txt`, "hello");
  await Deno.writeTextFile(`${root}/docs/inner.txt`, "inner");
  await Deno.writeTextFile(`${root}/.hidden`, "hidden");
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(`${base}/outside/secret.txt`, "secret");
  await Deno.symlink(`${base}/outside/secret.txt`, `${root}/leak.txt`);
  await Deno.symlink(`${base}/outside`, `${root}/leakdir`);
  await Deno.symlink(`${root}/notes.txt`, `${root}/alias.txt`);
  await Deno.symlink(`${root}/.hidden`, `${root}/visible-alias`);
  await Deno.symlink(`${base}/missing`, `${root}/dangling`);
  return { base, root };
}

Deno.test("Sandbox.resolve() refuses links that lead outside, directly or through a parent", async () => {
  const { base, root } = await fixture();
  try {
    const sandbox = await Sandbox.open(root);
    const refuse = async (path: string[], code: number) => {
      await assert.rejects(
        sandbox.resolve(path),
        (err) => err instanceof ProtocolError && err.code === code,
      );
    };
    await refuse(["leak.txt"], 403);
    await refuse(["leakdir", "secret.txt"], 403);
    await refuse(["leakdir"], 403);
    await refuse(["visible-alias"], 403);
    await refuse(["dangling"], 404);
    await refuse(["nope.txt"], 404);
    assert.equal((await sandbox.resolve(["alias.txt"])).rel, "notes.txt");
    assert.equal((await sandbox.resolve(["docs", "inner.txt"])).rel, "docs/inner.txt");
    assert.equal((await sandbox.resolve([])).rel, "");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Sandbox.list() hides dot files and escaping or dangling links", async () => {
  const { base, root } = await fixture();
  try {
    const sandbox = await Sandbox.open(root);
    const names = (await sandbox.list(await sandbox.resolve([]))).map((e) => `${e.type} ${e.name}`);
    assert.deepEqual(names, ["f alias.txt", "d docs", "f notes.txt"]);
    const shown = await Sandbox.open(root, { showHidden: true });
    const all = (await shown.list(await shown.resolve([]))).map((e) => e.name);
    assert.deepEqual(all, [".hidden", "alias.txt", "docs", "notes.txt", "visible-alias"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Sandbox.open() refuses a file or a missing folder", async () => {
  const { base, root } = await fixture();
  try {
    await assert.rejects(Sandbox.open(`${root}/notes.txt`), TypeError);
    await assert.rejects(Sandbox.open(`${root}/missing`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
