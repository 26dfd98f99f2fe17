import assert from "node:assert/strict";
import { isSettled, sameVersion, SETTLE_MS, versionOf } from "../../src/share/version.ts";

Deno.test("versionOf() takes device, inode, size, mtime and ctime from stat", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "abc");
    const info = await Deno.stat(path);
    const version = versionOf(info);
    assert.deepEqual(version, {
      dev: info.dev,
      ino: info.ino ?? 0,
      size: 3,
      mtime: info.mtime!.getTime(),
      ctime: info.ctime?.getTime() ?? info.mtime!.getTime(),
    });
    assert.ok(sameVersion(version, versionOf(await Deno.stat(path))));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("sameVersion() differs in any field; isSettled() after SETTLE_MS past the ctime", () => {
  const v = { dev: 1, ino: 2, size: 3, mtime: 4, ctime: 5000 };
  for (const field of ["dev", "ino", "size", "mtime", "ctime"] as const) {
    assert.ok(!sameVersion(v, { ...v, [field]: v[field] + 1 }), field);
  }
  assert.ok(sameVersion(v, { ...v }));
  assert.ok(!isSettled(v, 5000));
  assert.ok(!isSettled(v, 5000 + SETTLE_MS - 1));
  assert.ok(isSettled(v, 5000 + SETTLE_MS));
});
