import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { FileChangedError, HashCache, sha256Of } from "../../src/files/hash_cache.ts";
import { MemoryFile, pattern } from "./_memory_file.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("sha256Of() hashes the whole file from its start", async () => {
  const file = new MemoryFile(pattern(600_000));
  await file.seek(1234);
  assert.equal(await sha256Of(file, file.version), sha256(file.bytes));
});

Deno.test("sha256Of() refuses a file whose version or size changed while it was hashed", async () => {
  const grown = new MemoryFile(pattern(600_000));
  const version = { ...grown.version };
  grown.onRead = (at) => {
    if (at > 300_000) grown.bytes = pattern(700_000);
  };
  await assert.rejects(sha256Of(grown, version), FileChangedError);
  const touched = new MemoryFile(pattern(600_000));
  touched.onRead = (at) => {
    if (at > 0) touched.version = { ...touched.version, ctime: 2000 };
  };
  await assert.rejects(sha256Of(touched, { ...touched.version }), FileChangedError);
});

Deno.test("HashCache.sha256() remembers a settled version, and a new inode, ctime, device or mtime is new", async () => {
  const cache = new HashCache();
  const file = new MemoryFile(pattern(1000));
  const first = await cache.sha256("/f", file, file.version, true);
  assert.equal(first, sha256(file.bytes));
  file.onRead = () => assert.fail("the same settled version is not read again");
  assert.equal(await cache.sha256("/f", file, file.version, true), first);
  file.onRead = undefined;
  for (const [i, change] of [{ ino: 2 }, { ctime: 2000 }, { dev: 3 }, { mtime: 5 }].entries()) {
    file.bytes = pattern(1000).map((b) => b ^ (i + 1));
    file.version = { ...file.version, ...change };
    assert.equal(
      await cache.sha256("/f", file, file.version, true),
      sha256(file.bytes),
      JSON.stringify(change),
    );
  }
});

Deno.test("HashCache.sha256() hashes a version that is not settled every time", async () => {
  const cache = new HashCache();
  const file = new MemoryFile(pattern(1000));
  assert.equal(await cache.sha256("/f", file, file.version, false), sha256(file.bytes));
  // Rewritten within the same second, same size and mtime: the same version.
  file.bytes = pattern(1000).reverse();
  assert.equal(await cache.sha256("/f", file, file.version, false), sha256(file.bytes));
});
