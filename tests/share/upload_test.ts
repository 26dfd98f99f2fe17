import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { openShare, type Sandbox } from "../../src/share/sandbox.ts";
import { ShareError, type ShareErrorReason } from "../../src/share/share_error.ts";
import { stageUpload } from "../../src/share/upload.ts";

const encoder = new TextEncoder();

/** A shared folder with a file, a sub-folder, a link inside and a link out. */
async function withShare(fn: (share: Sandbox, root: string, base: string) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "sockit-upload-" });
  const root = `${base}/share`;
  await Deno.mkdir(`${root}/docs`, { recursive: true });
  await Deno.writeTextFile(`${root}/notes.txt`, "old notes\n");
  await Deno.symlink(`${root}/notes.txt`, `${root}/alias.txt`);
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(`${base}/outside/secret.txt`, "secret\n");
  await Deno.symlink(`${base}/outside`, `${root}/leakdir`);
  await Deno.symlink(`${base}/outside/secret.txt`, `${root}/leak.txt`);
  try {
    await fn(await openShare(root), root, base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

const BEFORE = ["alias.txt", "docs", "leak.txt", "leakdir", "notes.txt"];

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function refused(reason: ShareErrorReason) {
  return (err: unknown) => err instanceof ShareError && err.reason === reason;
}

Deno.test("stageUpload() stores a new file with its hash and leaves no temporary file", async () => {
  await withShare(async (share, root) => {
    using upload = await stageUpload(share, ["docs", "new.txt"], { size: 6, hash: true });
    assert.equal(upload.rel, "docs/new.txt");
    assert.ok(!(await names(`${root}/docs`)).includes("new.txt"), "not in place before commit");
    await upload.write(encoder.encode("hel"));
    upload.writeSync(encoder.encode("lo\n"));
    assert.equal(upload.written, 6);
    const stored = upload.commit();
    assert.deepEqual(stored, { rel: "docs/new.txt", size: 6, sha256: sha256("hello\n") });
    assert.equal(await Deno.readTextFile(`${root}/docs/new.txt`), "hello\n");
    assert.deepEqual(await names(`${root}/docs`), ["new.txt"]);
  });
});

Deno.test("stageUpload() without replace refuses an existing name on commit and keeps the file", async () => {
  await withShare(async (share, root) => {
    for (const name of ["notes.txt", "alias.txt", "leak.txt"]) {
      using upload = await stageUpload(share, [name]);
      await upload.write(encoder.encode("new\n"));
      assert.throws(() => upload.commit(), refused("exists"), name);
    }
    assert.equal(await Deno.readTextFile(`${root}/notes.txt`), "old notes\n");
    assert.equal(Deno.readLinkSync(`${root}/alias.txt`), `${root}/notes.txt`);
    assert.deepEqual(await names(root), BEFORE, "the temporary files are gone");
  });
});

Deno.test("stageUpload() refuses uploads over maxSize, announced or streamed, leaving nothing", async () => {
  await withShare(async (share, root) => {
    await assert.rejects(
      stageUpload(share, ["big.bin"], { size: 11, maxSize: 10 }),
      { name: "ShareError", message: "uploads are at most 10 bytes" },
    );
    assert.deepEqual(await names(root), BEFORE, "refused before a temporary file exists");
    {
      using upload = await stageUpload(share, ["big.bin"], { maxSize: 10 });
      await upload.write(new Uint8Array(8));
      await assert.rejects(upload.write(new Uint8Array(3)), refused("too-large"));
      assert.throws(() => upload.writeSync(new Uint8Array(3)), refused("too-large"));
      assert.equal(upload.written, 8, "a refused chunk is not counted");
    }
    assert.deepEqual(await names(root), BEFORE);
  });
});

Deno.test("stageUpload() refuses a size or SHA-256 other than announced, leaving nothing", async () => {
  await withShare(async (share, root) => {
    {
      using upload = await stageUpload(share, ["short.txt"], { size: 10 });
      await upload.write(encoder.encode("hello"));
      assert.throws(() => upload.commit(), {
        name: "ShareError",
        message: "expected 10 bytes, got 5",
      });
    }
    {
      using upload = await stageUpload(share, ["forged.txt"], { size: 5, sha256: sha256("world") });
      await upload.write(encoder.encode("hello"));
      assert.throws(() => upload.commit(), refused("mismatch"));
    }
    {
      using upload = await stageUpload(share, ["good.txt"], { size: 5, sha256: sha256("hello") });
      await upload.write(encoder.encode("hello"));
      assert.equal(upload.commit().sha256, sha256("hello"), "an announced hash is checked");
    }
    assert.deepEqual(await names(root), [...BEFORE, "good.txt"].sort());
  });
});

Deno.test("stageUpload() refuses bad targets before writing anything", async () => {
  await withShare(async (share, root) => {
    const cases: [string[], ShareErrorReason][] = [
      [[], "no-name"],
      [["missing", "x.txt"], "not-found"],
      [["notes.txt", "x.txt"], "not-a-directory"],
      [["notes.txt", "a", "x.txt"], "not-found"], // a path through a file
      [["leakdir", "x.txt"], "outside"],
    ];
    for (const [path, reason] of cases) {
      await assert.rejects(stageUpload(share, path), refused(reason), path.join("/"));
    }
    await Deno.writeTextFile(`${root}/docs/file`, "");
    await assert.rejects(stageUpload(share, ["docs", "file", "x"]), {
      name: "ShareError",
      message: "the parent is not a directory",
    });
    assert.deepEqual(await names(root), BEFORE);
    assert.deepEqual(await names(`${root}/docs`), ["file"]);
  });
});

Deno.test("stageUpload() with replace: existing files only, unless create", async () => {
  await withShare(async (share, root) => {
    await Deno.chmod(`${root}/notes.txt`, 0o600);
    {
      using upload = await stageUpload(share, ["notes.txt"], {
        replace: true,
        create: false,
        durable: true,
        tempPrefix: ".sockit-tftp-",
      });
      upload.writeSync(encoder.encode("new notes\n"));
      assert.deepEqual(upload.commit(), { rel: "notes.txt", size: 10, sha256: undefined });
    }
    assert.equal(await Deno.readTextFile(`${root}/notes.txt`), "new notes\n");
    assert.equal((await Deno.stat(`${root}/notes.txt`)).mode! & 0o777, 0o600, "mode kept");
    await assert.rejects(
      stageUpload(share, ["brand-new.txt"], { replace: true, create: false }),
      { name: "ShareError", message: "no such file (the server creates no new files)" },
    );
    await assert.rejects(stageUpload(share, ["docs"], { replace: true }), refused("not-a-file"));
    await assert.rejects(stageUpload(share, ["leak.txt"], { replace: true }), refused("outside"));
    {
      using upload = await stageUpload(share, ["brand-new.txt"], { replace: true, create: true });
      upload.writeSync(encoder.encode("brand new\n"));
      upload.commit();
    }
    assert.equal(await Deno.readTextFile(`${root}/brand-new.txt`), "brand new\n");
    assert.equal(await Deno.readTextFile(`${root}/../outside/secret.txt`), "secret\n");
    assert.deepEqual(await names(root), [...BEFORE, "brand-new.txt"].sort());
  });
});

Deno.test("stageUpload() with replace writes through a link inside the folder to its file", async () => {
  await withShare(async (share, root) => {
    {
      using upload = await stageUpload(share, ["alias.txt"], { replace: true, create: false });
      assert.equal(upload.rel, "notes.txt");
      upload.writeSync(encoder.encode("via alias\n"));
      upload.commit();
    }
    assert.equal(Deno.readLinkSync(`${root}/alias.txt`), `${root}/notes.txt`, "the link stays");
    assert.equal(await Deno.readTextFile(`${root}/notes.txt`), "via alias\n");
    assert.deepEqual(await names(root), BEFORE);
  });
});

Deno.test("stageUpload(): an aborted or abandoned upload leaves the old file and no temporary", async () => {
  await withShare(async (share, root) => {
    const upload = await stageUpload(share, ["notes.txt"], { replace: true });
    upload.writeSync(encoder.encode("half"));
    assert.equal((await names(root)).length, BEFORE.length + 1, "the temporary file exists");
    upload.abort();
    upload.abort(); // idempotent
    assert.throws(() => upload.writeSync(encoder.encode("more")), /the upload is finished/);
    {
      using abandoned = await stageUpload(share, ["docs", "x.txt"]);
      await abandoned.write(encoder.encode("never committed"));
    }
    assert.equal(await Deno.readTextFile(`${root}/notes.txt`), "old notes\n");
    assert.deepEqual(await names(root), BEFORE);
    assert.deepEqual(await names(`${root}/docs`), []);
  });
});

Deno.test("stageUpload(): the temporary file is hidden and named by tempPrefix", async () => {
  await withShare(async (share, root) => {
    using upload = await stageUpload(share, ["docs", "x.txt"], { tempPrefix: ".sockit-tftp-" });
    const [temp] = await names(`${root}/docs`);
    assert.match(temp ?? "", /^\.sockit-tftp-[0-9a-f-]{36}$/);
    assert.deepEqual(await share.list(await share.resolve(["docs"])), [], "never listed");
    upload.abort();
  });
});

Deno.test("stageUpload() with replace and create never replaces a link, dangling or new", async () => {
  await withShare(async (share, root) => {
    await Deno.symlink(`${root}/missing.txt`, `${root}/dangling.txt`);
    await assert.rejects(
      stageUpload(share, ["dangling.txt"], { replace: true, create: true }),
      refused("exists"),
    );
    assert.equal(Deno.readLinkSync(`${root}/dangling.txt`), `${root}/missing.txt`);
    {
      // A link put in place while the upload is staged is not replaced either.
      using upload = await stageUpload(share, ["late.txt"], { replace: true, create: true });
      upload.writeSync(encoder.encode("data\n"));
      await Deno.symlink(`${root}/notes.txt`, `${root}/late.txt`);
      assert.throws(() => upload.commit(), refused("exists"));
    }
    assert.equal(Deno.readLinkSync(`${root}/late.txt`), `${root}/notes.txt`);
    assert.equal(await Deno.readTextFile(`${root}/notes.txt`), "old notes\n");
    assert.deepEqual(await names(root), [...BEFORE, "dangling.txt", "late.txt"].sort());
  });
});
