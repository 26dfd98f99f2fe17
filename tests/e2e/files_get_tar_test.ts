/**
 * `files get -r URL`: a folder of the HTTP face fetched as one tar and
 * extracted as it arrives, compared byte for byte with the share; files
 * already there, different, or replaced with --force; and hostile archives
 * from a small server in the test, each refused with nothing written
 * outside DEST and nothing left of the refused member.
 */

import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";
import { TAR_END, tarHeader, tarPadding } from "../../src/files/tar.ts";
import { concat, paxHeader, paxRecord, rawHeader } from "../helpers/tar_bytes.ts";

const encoder = new TextEncoder();

/** Every folder (with a trailing /) and file under `dir`, links not followed: path → bytes. */
async function tree(dir: string, prefix = ""): Promise<Map<string, Uint8Array | string>> {
  const found = new Map<string, Uint8Array | string>();
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) {
      found.set(`${rel}/`, "folder");
      for (const [k, v] of await tree(`${dir}/${entry.name}`, `${rel}/`)) found.set(k, v);
    } else if (entry.isFile) {
      found.set(rel, await Deno.readFile(`${dir}/${entry.name}`));
    } else {
      found.set(rel, entry.isSymlink ? "link" : "other");
    }
  }
  return found;
}

async function assertSameTree(got: string, expected: string): Promise<void> {
  const a = await tree(got);
  const b = await tree(expected);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [path, content] of b) assert.deepEqual(a.get(path), content, path);
}

const ODD = "tab\there \x1b[31mred\x1b[0m";
const LONG = "l".repeat(150) + ".txt";

function permissions(base: string): string[] {
  return ["--allow-net=127.0.0.1", `--allow-read=${base}`, `--allow-write=${base}`];
}

Deno.test("files get -r URL extracts a served folder byte for byte; again skips it; differences need --force", async () => {
  const base = await Deno.makeTempDir();
  try {
    const docs = `${base}/share/docs`;
    await Deno.mkdir(`${docs}/nested/deeper`, { recursive: true });
    await Deno.mkdir(`${docs}/empty`);
    await Deno.mkdir(`${base}/dl`);
    await Deno.writeTextFile(`${docs}/a.txt`, "alpha\n");
    await Deno.writeTextFile(`${docs}/nested/ünïcödé ✓.txt`, "utf-8\n");
    await Deno.writeTextFile(`${docs}/nested/deeper/${LONG}`, "long\n");
    await Deno.writeTextFile(`${docs}/nested/${ODD}`, "odd\n");
    await Deno.writeFile(`${docs}/nested/empty.bin`, new Uint8Array());
    const big = new Uint8Array(5 * 1024 * 1024 + 123).map((_, i) => (i * 31 + (i >> 12)) % 256);
    await Deno.writeFile(`${docs}/nested/big.bin`, big);
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
    );
    const url = `http://127.0.0.1:${await server.port({ label: "http" })}/docs/`;
    const get = (...extra: string[]) =>
      runSockit(["files", "get", "-r", url, "-o", `${base}/dl/copy`, ...extra], {
        permissions: [
          `--allow-net=127.0.0.1:${new URL(url).port}`,
          `--allow-read=${base}/dl/copy`,
          `--allow-write=${base}/dl/copy`,
        ],
      });
    const first = await get();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /saved .*copy\/nested\/big\.bin \(5\.2 MB, sha256 [0-9a-f]{12}…\)/);
    assert.match(first.stderr, /saved .*copy\/nested\/tab\\there \\x1b\[31mred\\x1b\[0m /);
    assert.ok(!first.stderr.includes("\x1b"), "names from the archive are escaped");
    assert.match(first.stderr, /6 fetched, 0 already there into .*copy\n$/);
    await assertSameTree(`${base}/dl/copy`, docs);

    const again = await get("--json");
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout.trim()), {
      event: "fetched",
      path: `${base}/dl/copy`,
      files: 6,
      fetched: 0,
      present: 6,
      differ: 0,
    });

    // Same size, other bytes (found while comparing); another size (found from the header).
    const changed = new Uint8Array(big);
    changed[4_000_000] = changed[4_000_000]! ^ 0xff;
    await Deno.writeFile(`${base}/dl/copy/nested/big.bin`, changed);
    await Deno.writeTextFile(`${base}/dl/copy/a.txt`, "ALPHA, longer\n");
    const third = await get();
    assert.equal(third.code, 1, third.stderr);
    assert.match(third.stderr, /copy\/a\.txt differs from the server's; kept/);
    assert.match(third.stderr, /copy\/nested\/big\.bin differs from the server's; kept/);
    assert.match(
      third.stderr,
      /0 fetched, 4 already there, 2 differ \(kept\) into .*copy\nsockit: error: 2 files in .*copy differ from the server's\nhint: use --force/,
    );
    assert.deepEqual(await Deno.readFile(`${base}/dl/copy/nested/big.bin`), changed, "kept");
    assert.equal(await Deno.readTextFile(`${base}/dl/copy/a.txt`), "ALPHA, longer\n");

    const forced = await get("--force");
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /2 fetched, 4 already there into .*copy\n$/);
    await assertSameTree(`${base}/dl/copy`, docs);
    assert.deepEqual(
      (await tree(`${base}/dl`)).size,
      (await tree(docs)).size + 1,
      "no .part left anywhere",
    );

    // The share's root: DEST defaults to "download", holding the share's contents.
    const root = await sockit(
      ["files", "get", "-r", url.replace(/docs\/$/, ""), "--json"],
      [
        "--allow-net=127.0.0.1",
        `--allow-read=${base}/dl/download`,
        `--allow-write=${base}/dl/download`,
      ],
      { cwd: `${base}/dl`, stdin: "null" },
    ).finish();
    assert.equal(root.code, 0, root.stderr);
    const events = root.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(
      events.filter((e) => e.event === "saved").map((e) => [e.path, e.size]).sort(),
      [...(await tree(docs))].filter(([, v]) => v instanceof Uint8Array)
        .map(([path, v]) => [`download/docs/${path}`, (v as Uint8Array).length]).sort(),
    );
    assert.deepEqual(events.at(-1), {
      event: "fetched",
      path: "download",
      files: 6,
      fetched: 6,
      present: 0,
      differ: 0,
    });
    await assertSameTree(`${base}/dl/download`, `${base}/share`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

const dir = (path: string) => tarHeader({ path, type: "directory", size: 0, mtime: 0 });
const file = (path: string, text: string) =>
  concat(
    tarHeader({ path, type: "file", size: text.length, mtime: 0 }),
    encoder.encode(text),
    tarPadding(text.length),
  );
/** A member with a raw header: the name is not checked by a writer. */
const member = (name: string, type = "0", sum = 0) =>
  concat(
    rawHeader({
      name,
      type,
      size: 5,
      sum,
      ...(type === "1" || type === "2" ? { linkname: "/etc/passwd" } : {}),
    }),
    encoder.encode("evil\n"),
    tarPadding(5),
  );
const paxPath = (path: string) => paxHeader(paxRecord("path", path));

/** Hostile archives, each with what the refusal must say. */
const HOSTILE: Record<string, { archive: Uint8Array<ArrayBuffer>; error: RegExp }> = {
  absolute: {
    archive: concat(dir("top"), member("/tmp/sockit-evil-absolute.txt"), TAR_END),
    error: /refused the archive: \/tmp\/sockit-evil-absolute\.txt is an absolute path/,
  },
  dotdot: {
    archive: concat(dir("top"), member("top/../../evil.txt"), TAR_END),
    error: /top\/\.\.\/\.\.\/evil\.txt has a "\.\." component/,
  },
  empty: {
    archive: concat(dir("top"), member("top//evil.txt"), TAR_END),
    error: /top\/\/evil\.txt has an empty component/,
  },
  backslash: {
    archive: concat(dir("top"), member("top\\..\\..\\evil.txt"), TAR_END),
    error: /top\\\\\.\.\\\\\.\.\\\\evil\.txt holds a backslash/,
  },
  nul: {
    archive: concat(dir("top"), paxPath("top/evil\0.txt"), member("top/x"), TAR_END),
    error: /top\/evil\\x00\.txt holds a NUL byte/,
  },
  symlink: {
    archive: concat(dir("top"), member("top/evil.txt", "2"), TAR_END),
    error: /top\/evil\.txt is a symbolic link/,
  },
  hardlink: {
    archive: concat(dir("top"), member("top/evil.txt", "1"), TAR_END),
    error: /top\/evil\.txt is a hard link/,
  },
  fifo: {
    archive: concat(dir("top"), member("top/evil.txt", "6"), TAR_END),
    error: /top\/evil\.txt is a FIFO/,
  },
  device: {
    archive: concat(dir("top"), member("top/evil.txt", "3"), TAR_END),
    error: /top\/evil\.txt is a character device/,
  },
  checksum: {
    archive: concat(dir("top"), member("top/evil.txt", "0", 3), TAR_END),
    error: /bad header checksum at byte 512 \(top\/evil\.txt\)/,
  },
  pax: {
    archive: concat(
      dir("top"),
      rawHeader({ name: "PaxHeader", type: "x", size: 10_000_000 }),
      new Uint8Array(4096),
    ),
    error: /pax extended header of 10000000 bytes at byte 512 \(over the 65536 allowed\)/,
  },
  outside: {
    archive: concat(dir("top"), file("other/evil.txt", "evil\n"), TAR_END),
    error: /other\/evil\.txt is outside the archive's folder top/,
  },
  first: {
    archive: concat(file("top/evil.txt", "evil\n"), TAR_END),
    error: /the archive starts with top\/evil\.txt, not with its folder/,
  },
  beyond: {
    archive: concat(
      dir("top"),
      rawHeader({ name: "top/evil.txt", type: "0", size: 1_000_000 }),
      encoder.encode("evil\n"),
      TAR_END,
    ),
    error: /the archive was cut off in top\/evil\.txt after 1029 of 1000000 bytes/,
  },
  control: {
    archive: concat(dir("top"), member("top/\x1b]0;pwned\x07/../evil.txt"), TAR_END),
    error: /top\/\\x1b\]0;pwned\\x07\/\.\.\/evil\.txt has a "\.\." component/,
  },
  // DEST holds a link where the archive has a folder, or a .part that is a link.
  "link-folder": {
    archive: concat(dir("top"), dir("top/sub"), file("top/sub/evil.txt", "evil\n"), TAR_END),
    error: /refused top\/sub\/: .*link-folder\/sub is a link/,
  },
  "link-part": {
    archive: concat(dir("top"), file("top/evil.txt", "evil\n"), TAR_END),
    error: /refused top\/evil\.txt: .*link-part\/evil\.txt\.part is a link/,
  },
  "file-folder": {
    archive: concat(dir("top"), dir("top/sub"), file("top/sub/evil.txt", "evil\n"), TAR_END),
    error: /refused top\/sub\/: .*file-folder\/sub is a file/,
  },
  "link-file": {
    archive: concat(dir("top"), file("top/evil.txt", "evil\n"), TAR_END),
    error: /refused top\/evil\.txt: .*link-file\/evil\.txt is a link/,
  },
};

/** Every regular file under `dir` whose name holds "evil" (links not followed). */
async function evilFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await evilFiles(path));
    else if (entry.isFile && entry.name.includes("evil")) found.push(path);
  }
  return found;
}

Deno.test("hostile archives are refused by name; nothing is written outside DEST, nothing of the member stays", async () => {
  const base = await Deno.makeTempDir();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const name = decodeURIComponent(new URL(request.url).pathname.split("/")[1] ?? "");
    const archive = HOSTILE[name]?.archive;
    if (!archive) return new Response("no such case", { status: 404 });
    return new Response(archive, { headers: { "content-type": "application/x-tar" } });
  });
  try {
    await Deno.mkdir(`${base}/outside`);
    await Deno.writeTextFile(`${base}/outside/sentinel`, "untouched\n");
    await Deno.mkdir(`${base}/link-folder`);
    await Deno.symlink(`${base}/outside`, `${base}/link-folder/sub`);
    await Deno.mkdir(`${base}/link-part`);
    await Deno.symlink(`${base}/outside/evil-target`, `${base}/link-part/evil.txt.part`);
    await Deno.mkdir(`${base}/file-folder`);
    await Deno.writeTextFile(`${base}/file-folder/sub`, "a file where the archive has a folder\n");
    await Deno.mkdir(`${base}/link-file`);
    await Deno.symlink(`${base}/outside/evil-target`, `${base}/link-file/evil.txt`);
    const port = server.addr.port;
    for (const [name, { error }] of Object.entries(HOSTILE)) {
      const result = await runSockit(
        ["files", "get", "-r", `http://127.0.0.1:${port}/${name}/`, "-o", `${base}/${name}`],
        {
          permissions: [
            `--allow-net=127.0.0.1:${port}`,
            `--allow-read=${base}`,
            `--allow-write=${base}`,
          ],
        },
      );
      assert.equal(result.code, 1, `${name}: ${result.stderr}`);
      assert.match(result.stderr, error, name);
      // deno-lint-ignore no-control-regex
      assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(result.stderr), `${name}: escaped`);
    }
    assert.deepEqual(await evilFiles(base), [], "no file of a refused member, final or .part");
    assert.deepEqual([...Deno.readDirSync(`${base}/outside`)].map((e) => e.name), ["sentinel"]);
    await assert.rejects(Deno.lstat("/tmp/sockit-evil-absolute.txt"));
  } finally {
    await server.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a stream cut in the middle of a file: exit 1, the file neither at its name nor as .part", async () => {
  const base = await Deno.makeTempDir();
  const stalled = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (new URL(request.url).pathname === "/stall/") {
      // Half a file, then silence until the test ends: --timeout must give up.
      const pieces = [
        dir("top"),
        tarHeader({ path: "top/slow.bin", type: "file", size: 4096, mtime: 0 }),
        new Uint8Array(1000),
      ];
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = pieces.shift();
          if (next) controller.enqueue(next);
          else {
            await stalled.promise;
            controller.error(new Error("the test is over"));
          }
        },
      });
      return new Response(body, { headers: { "content-type": "application/x-tar" } });
    }
    const pieces = [
      dir("top"),
      file("top/a.txt", "complete\n"),
      tarHeader({ path: "top/big.bin", type: "file", size: 1_048_576, mtime: 0 }),
      new Uint8Array(300_000).fill(7),
    ];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.shift();
        if (next) controller.enqueue(next);
        else controller.error(new Error("the test breaks the stream off"));
      },
    });
    return new Response(body, { headers: { "content-type": "application/x-tar" } });
  });
  try {
    const result = await runSockit(
      ["files", "get", "-r", `http://127.0.0.1:${server.addr.port}/top/`, "-o", `${base}/dest`],
      { permissions: permissions(base) },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /error: the folder download broke off in top\/big\.bin after 300000 of 1048576 bytes \(1 file saved before it, nothing half-written left\): .*\nhint: run the same command again/,
    );
    assert.deepEqual([...Deno.readDirSync(`${base}/dest`)].map((e) => e.name), ["a.txt"]);
    assert.equal(await Deno.readTextFile(`${base}/dest/a.txt`), "complete\n");

    const stall = await runSockit(
      [
        "files",
        "get",
        "-r",
        `http://127.0.0.1:${server.addr.port}/stall/`,
        "-o",
        `${base}/slow`,
        "--timeout",
        "500",
      ],
      { permissions: permissions(base) },
    );
    assert.equal(stall.code, 1, stall.stderr);
    assert.match(
      stall.stderr,
      /broke off in top\/slow\.bin after 1000 of 4096 bytes .*: timed out: no data from 127\.0\.0\.1:\d+ for 500 ms/,
    );
    assert.deepEqual([...Deno.readDirSync(`${base}/slow`)], [], "no slow.bin, no slow.bin.part");
  } finally {
    stalled.resolve();
    await server.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files get -r https://… trusts the HTTP face as http get does: --pin, or refused naming the pin", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${base}/share/docs/sub`, { recursive: true });
    await Deno.writeTextFile(`${base}/share/docs/sub/a.txt`, "over tls\n");
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0", "--tls"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
    );
    const [, fingerprint] = await server.waitFor(/tls fingerprint SHA256 ([0-9a-f]{64})/);
    const url = `https://127.0.0.1:${await server.port({ label: "http" })}/docs/`;
    const untrusted = await runSockit(["files", "get", "-r", url, "-o", `${base}/copy`], {
      permissions: permissions(base),
    });
    assert.equal(untrusted.code, 1, untrusted.stderr);
    assert.match(untrusted.stderr, /not trusted: it is self-signed\nhint: .*--pin [0-9a-f]{64}/);
    await assert.rejects(Deno.lstat(`${base}/copy`), "nothing made before the archive flows");
    const pinned = await runSockit(
      ["files", "get", "-r", url, "-o", `${base}/copy`, "--pin", fingerprint!],
      { permissions: permissions(base) },
    );
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.equal(await Deno.readTextFile(`${base}/copy/sub/a.txt`), "over tls\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a URL without -r, a URL with REMOTE_PATH, -o - or --tls on http://, and TARGET alone are usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["http://127.0.0.1:9/docs/"],
      /error: a URL is fetched as a folder: add -r\nhint: for a URL use: sockit http get -o FILE http:\/\/127\.0\.0\.1:9\/docs\/ \(a whole folder: files get -r URL\)/,
    ],
    [["-r", "http://127.0.0.1:9/docs/", "extra"], /unexpected argument "extra"/],
    [["-r", "http://127.0.0.1:9/docs/", "-o", "-"], /-r saves a folder; it cannot go to stdout/],
    [
      ["-r", "http://127.0.0.1:9/docs/", "--tls"],
      /--tls with an http:\/\/ URL\nhint: .*https:\/\//,
    ],
    [["-r", "ftp://127.0.0.1/docs/"], /unsupported scheme "ftp"/],
    [["127.0.0.1"], /error: missing argument\nhint: usage: sockit files get TARGET REMOTE_PATH/],
  ];
  for (const [args, error] of cases) {
    const result = await runSockit(["files", "get", ...args], { permissions: [] });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, error, args.join(" "));
  }
});

Deno.test("files get -r URL never removes what DEST holds under a .part name, ends at the archive's end blocks, and names a DEST that is a file", async () => {
  const base = await Deno.makeTempDir();
  const archives: Record<string, Uint8Array<ArrayBuffer>> = {
    one: concat(dir("top"), file("top/z", "from the server\n"), TAR_END),
    // A member named like another's temporary file, before it.
    both: concat(
      dir("top"),
      file("top/a.part", "member a.part\n"),
      file("top/a", "member a\n"),
      TAR_END,
    ),
  };
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const archive = archives[new URL(request.url).pathname.split("/")[1] ?? ""];
    if (!archive) return new Response("no such case", { status: 404 });
    return new Response(archive, { headers: { "content-type": "application/x-tar" } });
  });
  // A body with neither Content-Length nor chunked: it ends only when the server closes,
  // and this one never does.
  const raw = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of raw) {
      held.push(conn);
      const request = new Uint8Array(4096);
      await conn.read(request);
      const head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nConnection: close\r\n\r\n";
      await conn.write(concat(encoder.encode(head), archives.one!, new Uint8Array(10240)));
    }
  })();
  const run = (url: string, dest: string) =>
    runSockit(["files", "get", "-r", url, "-o", dest, "--timeout", "5000"], {
      permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}`, `--allow-write=${base}`],
    });
  try {
    const port = http.addr.port;
    // The user's own z.part beside where z goes: kept as it is.
    await Deno.mkdir(`${base}/d1`);
    await Deno.writeTextFile(`${base}/d1/z.part`, "precious\n");
    let result = await run(`http://127.0.0.1:${port}/one/`, `${base}/d1`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(`${base}/d1/z`), "from the server\n");
    assert.equal(await Deno.readTextFile(`${base}/d1/z.part`), "precious\n");
    // An archive holding a.part and then a: both arrive whole.
    result = await run(`http://127.0.0.1:${port}/both/`, `${base}/d2`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(`${base}/d2/a.part`), "member a.part\n");
    assert.equal(await Deno.readTextFile(`${base}/d2/a`), "member a\n");
    // A folder named z.part in DEST: z is written all the same, the folder stays.
    await Deno.mkdir(`${base}/d3/z.part`, { recursive: true });
    result = await run(`http://127.0.0.1:${port}/one/`, `${base}/d3`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(`${base}/d3/z`), "from the server\n");
    assert.ok((await Deno.lstat(`${base}/d3/z.part`)).isDirectory);
    assert.deepEqual([...Deno.readDirSync(`${base}/d3`)].map((e) => e.name).sort(), [
      "z",
      "z.part",
    ]);
    // The server keeps the connection open after the end blocks: done at the end blocks.
    const address = raw.addr as Deno.NetAddr;
    result = await run(`http://127.0.0.1:${address.port}/top/`, `${base}/d4`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(`${base}/d4/z`), "from the server\n");
    // DEST is a regular file: named as such, not the system's "File exists".
    await Deno.writeTextFile(`${base}/d5`, "a file\n");
    result = await run(`http://127.0.0.1:${port}/one/`, `${base}/d5`);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /d5 is not a folder/);
    assert.doesNotMatch(result.stderr, /os error/);
    assert.equal(await Deno.readTextFile(`${base}/d5`), "a file\n");
  } finally {
    await http.shutdown();
    raw.close();
    for (const conn of held) conn.close();
    await serving.catch(() => {});
    await Deno.remove(base, { recursive: true });
  }
});
