import assert from "node:assert/strict";
import { openShare } from "../../src/share/sandbox.ts";
import { ShareError, type ShareErrorReason } from "../../src/share/share_error.ts";

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
    const sandbox = await openShare(root);
    const refuse = async (path: string[], reason: ShareErrorReason) => {
      await assert.rejects(
        sandbox.resolve(path),
        (err) => err instanceof ShareError && err.reason === reason,
        path.join("/"),
      );
    };
    await refuse(["leak.txt"], "outside");
    await refuse(["leakdir", "secret.txt"], "outside");
    await refuse(["leakdir"], "outside");
    await refuse(["visible-alias"], "hidden");
    await refuse(["dangling"], "not-found");
    await refuse(["nope.txt"], "not-found");
    await refuse(["notes.txt", "x"], "not-found");
    await Deno.symlink(`${root}/loop-b`, `${root}/loop-a`);
    await Deno.symlink(`${root}/loop-a`, `${root}/loop-b`);
    await refuse(["loop-a"], "loop");
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
    const sandbox = await openShare(root);
    const names = (await sandbox.list(await sandbox.resolve([]))).map((e) => `${e.type} ${e.name}`);
    assert.deepEqual(names, ["f alias.txt", "d docs", "f notes.txt"]);
    const shown = await openShare(root, { showHidden: true });
    const all = (await shown.list(await shown.resolve([]))).map((e) => e.name);
    assert.deepEqual(all, [".hidden", "alias.txt", "docs", "notes.txt", "visible-alias"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("openShare() refuses a file or a missing folder with a TypeError", async () => {
  const { base, root } = await fixture();
  try {
    await assert.rejects(openShare(`${root}/notes.txt`), {
      name: "TypeError",
      message: `Cannot share "${root}/notes.txt": not a directory`,
    });
    await assert.rejects(openShare(`${root}/missing`), {
      name: "TypeError",
      message: `Cannot share "${root}/missing": no such directory`,
    });
    assert.equal((await openShare(`${root}/docs/..`)).root, await Deno.realPath(root));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Sandbox.list() skips looping links and list() of a file is not-a-directory", async () => {
  const { base, root } = await fixture();
  try {
    await Deno.symlink(`${root}/loop-b`, `${root}/loop-a`);
    await Deno.symlink(`${root}/loop-a`, `${root}/loop-b`);
    const sandbox = await openShare(root);
    const names = (await sandbox.list(await sandbox.resolve([]))).map((e) => e.name);
    assert.deepEqual(names, ["alias.txt", "docs", "notes.txt"]);
    await assert.rejects(
      sandbox.list(await sandbox.resolve(["notes.txt"])),
      (err) => err instanceof ShareError && err.reason === "not-a-directory",
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Sandbox.resolve() refuses a link to a name too long to exist; list() leaves it out", async () => {
  const { base, root } = await fixture();
  try {
    await Deno.symlink("x".repeat(300), `${root}/long`); // ENAMETOOLONG, not a refusal before
    const sandbox = await openShare(root);
    await assert.rejects(
      sandbox.resolve(["long"]),
      (err) => err instanceof ShareError && err.reason === "not-found",
    );
    const names = (await sandbox.list(await sandbox.resolve([]))).map((e) => e.name);
    assert.deepEqual(names, ["alias.txt", "docs", "notes.txt"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
