import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Output } from "../../src/console/output.ts";
import { downloadFile, FileClient } from "../../src/files/client.ts";
import { readAll, send } from "../helpers/net.ts";
import { DENO, MAIN, runSockit, sockit, Spawned } from "../helpers/harness.ts";

const encoder = new TextEncoder();
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A temp folder with a share and a download folder. */
async function setup() {
  const base = await Deno.makeTempDir();
  await Deno.mkdir(`${base}/share/docs`, { recursive: true });
  await Deno.mkdir(`${base}/dl`);
  await Deno.writeTextFile(`${base}/share/notes.txt`, "hello world\n");
  await Deno.writeTextFile(`${base}/share/docs/a b.txt`, "inner\n");
  await Deno.writeTextFile(`${base}/share/.hidden`, "secret\n");
  return base;
}

/** Writes `mib` MiB of pseudo-random (non-repeating) bytes and returns them. */
async function bigFile(path: string, mib: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(mib * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  await Deno.writeFile(path, bytes);
  return bytes;
}

function serve(base: string, extra: string[] = [], perms?: string[]) {
  return sockit(
    ["files", "serve", `${base}/share`, "--listen", "0", ...extra],
    perms ?? ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
  );
}

function get(base: string, port: number, args: string[]) {
  return new Spawned(DENO, [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-read=${base}/dl`,
    `--allow-write=${base}/dl`,
    MAIN,
    "files",
    "get",
    `127.0.0.1:${port}`,
    ...args,
  ], { stdin: "null", cwd: `${base}/dl` });
}

/** Waits (bounded) until `path` exists with at least `bytes` bytes. */
async function waitForSize(path: string, bytes: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const size = (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
    if (size >= bytes) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`${path} did not reach ${bytes} bytes`);
}

Deno.test("files get downloads, verifies and renames; nothing else is left", async () => {
  const base = await setup();
  try {
    await using server = serve(base);
    const port = await server.port();
    const { code, stderr } = await get(base, port, ["notes.txt"]).finish();
    assert.equal(code, 0, stderr);
    assert.match(stderr, /saved notes\.txt \(12 B, sha256 a948904f2f0f…/);
    assert.equal(await Deno.readTextFile(`${base}/dl/notes.txt`), "hello world\n");
    assert.deepEqual([...Deno.readDirSync(`${base}/dl`)].map((e) => e.name), ["notes.txt"]);
    const again = await get(base, port, ["notes.txt"]).finish();
    assert.equal(again.code, 1);
    assert.match(again.stderr, /notes\.txt exists\nhint: use --force/);
    assert.equal((await get(base, port, ["notes.txt", "--force"]).finish()).code, 0);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("the file downloaded by hand with nc equals the original", async () => {
  const base = await setup();
  try {
    const original = await bigFile(`${base}/share/blob.bin`, 3);
    await using server = serve(base);
    const port = await server.port();
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write("GET blob.bin\n");
    const { stdoutBytes } = await nc.finish();
    const newline = stdoutBytes.indexOf(0x0a);
    const header = new TextDecoder().decode(stdoutBytes.subarray(0, newline));
    assert.match(
      header,
      new RegExp(`^OK GET ${original.length} \\d+ 0 ${original.length} ${sha256(original)}$`),
    );
    assert.equal(sha256(stdoutBytes.subarray(newline + 1)), sha256(original));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("server killed mid-download: after a restart, get resumes from .part and verifies", async () => {
  const base = await setup();
  try {
    const original = await bigFile(`${base}/share/big.bin`, 256);
    const first = serve(base);
    const port = await first.port();
    const client = get(base, port, ["big.bin"]);
    await waitForSize(`${base}/dl/big.bin.part`, 1024 * 1024);
    first.kill("SIGKILL");
    await first[Symbol.asyncDispose]();
    const cut = await client.finish();
    assert.equal(cut.code, 1);
    assert.match(
      cut.stderr,
      /cut off after \d+ of 268435456 bytes\nhint: run the same command again/,
    );
    const partSize = (await Deno.stat(`${base}/dl/big.bin.part`)).size;
    assert.ok(partSize > 0 && partSize < original.length, `part has ${partSize}`);
    await assert.rejects(Deno.stat(`${base}/dl/big.bin`), Deno.errors.NotFound);

    await using second = serve(base);
    const resumed = await get(base, await second.port(), ["big.bin"]).finish(60_000);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming big\.bin at \d+ of 268435456 bytes/);
    assert.equal(sha256(await Deno.readFile(`${base}/dl/big.bin`)), sha256(original));
    await assert.rejects(Deno.stat(`${base}/dl/big.bin.part`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a file changed between attempts is fetched anew, never spliced", async () => {
  const base = await setup();
  try {
    await Deno.writeFile(`${base}/dl/notes.txt.part`, new TextEncoder().encode("hello"));
    await Deno.writeTextFile(
      `${base}/dl/notes.txt.part.meta`,
      JSON.stringify({ size: 12, mtime: 1, sha256: "0".repeat(64) }), // an older version
    );
    await using server = serve(base);
    const { code, stderr } = await get(base, await server.port(), ["notes.txt"]).finish();
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /resuming/);
    assert.equal(await Deno.readTextFile(`${base}/dl/notes.txt`), "hello world\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a corrupted .part fails verification: exit 1, no file, a clear message", async () => {
  const base = await setup();
  try {
    const original = new TextEncoder().encode("0123456789abcdef".repeat(1000));
    await Deno.writeFile(`${base}/share/data.bin`, original);
    const info = await Deno.stat(`${base}/share/data.bin`);
    const corrupted = original.slice(0, 8000);
    corrupted[100] = corrupted[100]! ^ 0xff; // a flipped byte in the part already downloaded
    await Deno.writeFile(`${base}/dl/data.bin.part`, corrupted);
    await Deno.writeTextFile(
      `${base}/dl/data.bin.part.meta`,
      JSON.stringify({
        size: original.length,
        mtime: info.mtime!.getTime(),
        sha256: sha256(original),
      }),
    );
    await using server = serve(base);
    const { code, stderr } = await get(base, await server.port(), ["data.bin"]).finish();
    assert.equal(code, 1);
    assert.match(stderr, /resuming data\.bin at 8000/);
    assert.match(
      stderr,
      /SHA-256 mismatch for data\.bin: expected [0-9a-f]{64}, got [0-9a-f]{64}; the download was discarded/,
    );
    assert.deepEqual([...Deno.readDirSync(`${base}/dl`)], []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Ctrl-C on get keeps the .part for resume and leaves no final file", async () => {
  const base = await setup();
  try {
    await bigFile(`${base}/share/big.bin`, 256);
    await using server = serve(base);
    const client = get(base, await server.port(), ["big.bin"]);
    await waitForSize(`${base}/dl/big.bin.part`, 1024 * 1024);
    client.kill("SIGINT");
    const { code, stderr } = await client.finish();
    assert.equal(code, 130, stderr);
    assert.ok((await Deno.stat(`${base}/dl/big.bin.part`)).size > 0);
    await assert.rejects(Deno.stat(`${base}/dl/big.bin`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files get -r fetches a tree; ls lists with types, sizes and times", async () => {
  const base = await setup();
  try {
    await using server = serve(base);
    const port = await server.port();
    const tree = await get(base, port, ["/", "-r", "-o", "copy"]).finish();
    assert.equal(tree.code, 0, tree.stderr);
    assert.equal(await Deno.readTextFile(`${base}/dl/copy/docs/a b.txt`), "inner\n");
    await assert.rejects(Deno.stat(`${base}/dl/copy/.hidden`), Deno.errors.NotFound);
    const ls = await runSockit(["files", "ls", `127.0.0.1:${port}`]);
    assert.match(ls.stdout, /^d 0 \d{4}-\d\d-\d\dT[\d:.]+Z docs\nf 12 \S+ notes\.txt\n$/);
    const json = await runSockit(["files", "ls", `127.0.0.1:${port}`, "docs", "--json"]);
    assert.equal(JSON.parse(json.stdout).name, "a b.txt");
    const missing = await runSockit(["files", "ls", `127.0.0.1:${port}`, "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found on 127\.0\.0\.1:\d+/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files get -r refuses names from a hostile server that would leave the destination", async () => {
  const base = await setup();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const serving = (async () => {
      const conn = await listener.accept();
      try {
        const replies = ["OK HELLO 1 evil\n", "OK LIST 1\nf 4 0 ..%2F..%2Fescaped.txt\n"];
        const buffer = new Uint8Array(4096);
        for (const reply of replies) {
          if ((await conn.read(buffer)) === null) break;
          await send(conn, reply);
        }
      } finally {
        conn.close();
      }
    })();
    const { code, stderr } = await get(base, listener.addr.port, ["/", "-r", "-o", "into"])
      .finish();
    await serving;
    assert.equal(code, 1);
    assert.match(stderr, /broke the protocol: refusing entry name/);
    await assert.rejects(Deno.stat(`${base}/escaped.txt`), Deno.errors.NotFound);
  } finally {
    listener.close();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files put: refused without --allow-upload; with it, verified and never overwriting", async () => {
  const base = await setup();
  try {
    await Deno.writeTextFile(`${base}/dl/up.txt`, "uploaded\n");
    const putPerms = ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`];
    {
      await using readOnly = serve(base);
      const port = await readOnly.port();
      const refused = await runSockit(["files", "put", `127.0.0.1:${port}`, `${base}/dl/up.txt`], {
        permissions: putPerms,
      });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /uploads are disabled/);
    }
    await using server = serve(base, ["--allow-upload"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/share`,
      `--allow-write=${base}/share`,
    ]);
    const port = await server.port();
    const ok = await runSockit([
      "files",
      "put",
      `127.0.0.1:${port}`,
      `${base}/dl/up.txt`,
      "docs/up.txt",
    ], {
      permissions: putPerms,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await Deno.readTextFile(`${base}/share/docs/up.txt`), "uploaded\n");
    const again = await runSockit([
      "files",
      "put",
      `127.0.0.1:${port}`,
      `${base}/dl/up.txt`,
      "notes.txt",
    ], {
      permissions: putPerms,
    });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /notes\.txt exists/);
    assert.equal(await Deno.readTextFile(`${base}/share/notes.txt`), "hello world\n");
    const names = [...Deno.readDirSync(`${base}/share`)].map((e) => e.name).sort();
    assert.deepEqual(names, [".hidden", "docs", "notes.txt"], "no temporary file left");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("50 concurrent downloads of 20 MB files all verify", async () => {
  const base = await setup();
  try {
    const files = await Promise.all(
      Array.from({ length: 5 }, (_, i) => bigFile(`${base}/share/f${i}.bin`, 20)),
    );
    await using server = sockit(["files", "serve", `${base}/share`, "--listen", "0", "-q"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/share`,
    ]);
    const port = await server.port();
    const out = new Output({ quiet: true });
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const client = await FileClient.open({ transport: "tcp", hostname: "127.0.0.1", port });
      try {
        await downloadFile(client, [`f${i % 5}.bin`], { local: `${base}/dl/copy${i}.bin`, out });
      } finally {
        client.close();
      }
    }));
    for (let i = 0; i < 50; i++) {
      const info = await Deno.stat(`${base}/dl/copy${i}.bin`);
      assert.equal(info.size, files[i % 5]!.length);
    }
    assert.equal(sha256(await Deno.readFile(`${base}/dl/copy7.bin`)), sha256(files[2]!));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("slow or silent clients time out and never block the others", async () => {
  const base = await setup();
  try {
    await using server = serve(base, ["--idle", "300"]);
    const port = await server.port();
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    let trickling = true;
    // slowloris: one byte every 50 ms, never a whole line; each byte resets the idle timer
    const trickle = (async () => {
      for (let i = 0; i < 100 && trickling; i++) {
        await send(slow, "G").catch(() => (trickling = false));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const { code } = await get(base, port, ["notes.txt"]).finish();
      assert.equal(code, 0, "served while the others hang");
      // The trickler never completes a request; the silent one never starts one (idle).
      await server.waitFor(
        /\(\d+ B in, 0 B out, no complete request in 300 ms\)/,
        {
          timeoutMs: 5000,
        },
      );
      await server.waitFor(
        /\(0 B in, 0 B out, (idle 300 ms|no complete request in 300 ms)\)/,
        {
          timeoutMs: 5000,
        },
      );
    } finally {
      trickling = false;
      await trickle;
      silent.close();
      slow.close();
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files put of a file far over --max-upload shows the server's 413 reason", async () => {
  const base = await setup();
  try {
    // Far more than socket buffers hold: the server answers and closes while the client writes.
    await bigFile(`${base}/dl/huge.bin`, 32);
    await using server = serve(base, ["--allow-upload", "--max-upload", "1000"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/share`,
      `--allow-write=${base}/share`,
    ]);
    const port = await server.port();
    const { code, stderr } = await runSockit(
      ["files", "put", `127.0.0.1:${port}`, `${base}/dl/huge.bin`],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`] },
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, /uploads are at most 1000 bytes \(413\)/);
    assert.doesNotMatch(stderr, /closed by peer/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("uploads over --max-upload are refused and leave nothing behind", async () => {
  const base = await setup();
  try {
    await Deno.writeFile(`${base}/dl/big.txt`, new Uint8Array(2000));
    await using server = serve(base, ["--allow-upload", "--max-upload", "1000"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/share`,
      `--allow-write=${base}/share`,
    ]);
    const port = await server.port();
    const { code, stderr } = await runSockit([
      "files",
      "put",
      `127.0.0.1:${port}`,
      `${base}/dl/big.txt`,
    ], {
      permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`],
    });
    assert.equal(code, 1);
    assert.match(stderr, /uploads are at most 1000 bytes \(413\)/);
    const traversal = await runSockit(
      ["files", "put", `127.0.0.1:${port}`, `${base}/dl/big.txt`, "../escape.txt"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`] },
    );
    assert.equal(traversal.code, 2);
    assert.match(traversal.stderr, /Cannot use path "\.\.\/escape\.txt"/);
    const names = [...Deno.readDirSync(`${base}/share`)].map((e) => e.name).sort();
    assert.deepEqual(names, [".hidden", "docs", "notes.txt"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("files ls escapes control characters in names from the server", async () => {
  const base = await setup();
  try {
    await Deno.writeTextFile(`${base}/share/evil\x1b[2Jname.txt`, "x");
    await using server = serve(base);
    const { code, stdout } = await runSockit(["files", "ls", `127.0.0.1:${await server.port()}`]);
    assert.equal(code, 0);
    assert.match(stdout, /^f 1 \S+ evil\\x1b\[2Jname\.txt$/m);
    assert.ok(!stdout.includes("\x1b"), "no raw escape reaches the terminal");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("an absolute path is read inside the share, never from the system", async () => {
  const base = await setup();
  try {
    await using server = serve(base);
    const port = await server.port();
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write("GET /etc/passwd\nGET //etc/hostname\nSTAT /notes.txt\n");
    const { stdout } = await nc.finish();
    assert.equal(
      stdout,
      "ERR 404 no such file or directory\nERR 404 no such file or directory\nOK STAT f 12 " +
        /OK STAT f 12 (\d+)/.exec(stdout)![1] + "\n",
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("every filesystem error is an ERR on the same connection; LIST skips what it cannot resolve", async () => {
  const base = await setup();
  try {
    await Deno.mkdir(`${base}/share/links`);
    await Deno.writeTextFile(`${base}/share/links/ok.txt`, "ok\n");
    await Deno.symlink("loop", `${base}/share/links/loop`); // ELOOP
    await Deno.symlink("x".repeat(300), `${base}/share/links/long`); // ENAMETOOLONG
    await using server = serve(base);
    const port = await server.port();
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write(
      "GET notes.txt/x\nGET notes.txt\nLIST links\nSTAT links/long\nGET links/loop\nLIST links/long\n" +
        "STAT notes.txt\n",
    );
    const { stdout } = await nc.finish();
    const lines = stdout.split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      "ERR 404 no such file or directory",
      /^OK GET 12 \d+ 0 12 [0-9a-f]{64}$/.exec(lines[1]!)?.[0],
    ]);
    assert.equal(lines[2], "hello world");
    assert.match(lines[3]!, /^OK LIST 1$/);
    assert.match(lines[4]!, /^f 3 \d+ ok\.txt$/);
    assert.deepEqual(lines.slice(5, 8), [
      "ERR 404 no such file or directory",
      "ERR 404 too many levels of symbolic links",
      "ERR 404 no such file or directory",
    ]);
    assert.match(lines[8]!, /^OK STAT f 12 \d+$/);
    assert.equal(lines.length, 10, stdout);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("the HTTP face answers filesystem errors without server paths or OS messages", async () => {
  const base = await setup();
  try {
    await Deno.symlink("loop", `${base}/share/loop`);
    await Deno.symlink("x".repeat(300), `${base}/share/long`);
    await using server = serve(base, ["--http", "0"]);
    const port = await server.port({ label: "http" });
    for (const path of ["/notes.txt/x", "/loop", "/long", "/"]) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      const body = await response.text();
      assert.ok(response.status < 500, `${path}: ${response.status} ${body}`);
      assert.ok(!body.includes(base) && !/os error/.test(body), `${path}: ${body}`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("FIFOs are neither listed nor served: STAT and GET refuse them, the connection goes on", async () => {
  const base = await setup();
  try {
    const made = await new Deno.Command("mkfifo", { args: [`${base}/share/docs/pipe`] }).output();
    assert.ok(made.success, "mkfifo");
    await using server = serve(base);
    const port = await server.port();
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write("STAT docs/pipe\nGET docs/pipe\nLIST docs\n");
    const { stdout } = await nc.finish();
    assert.match(
      stdout,
      /^ERR 400 not a regular file or folder\nERR 400 not a regular file or folder\nOK LIST 1\nf 6 \d+ a%20b\.txt\n$/,
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("the upload log line escapes bidi controls in names (files put and HTTP PUT)", async () => {
  const base = await setup();
  try {
    await Deno.writeTextFile(`${base}/dl/up.txt`, "x");
    await using server = serve(base, ["--allow-upload", "--http", "0"], [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/share`,
      `--allow-write=${base}/share`,
    ]);
    const port = await server.port({ label: "files" });
    const httpPort = await server.port({ label: "http" });
    const put = await runSockit(
      ["files", "put", `127.0.0.1:${port}`, `${base}/dl/up.txt`, "a\u202etxt.exe"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/dl`] },
    );
    assert.equal(put.code, 0, put.stderr);
    const response = await fetch(`http://127.0.0.1:${httpPort}/b%E2%80%AEtxt.exe`, {
      method: "PUT",
      body: "y",
    });
    assert.equal(response.status, 201);
    await response.body?.cancel();
    const log = (await server.waitFor(/^[\s\S]*uploaded b.*\(http\)/))[0];
    assert.match(log, /uploaded a\\u\{202e\}txt\.exe \(1 B\)/);
    assert.match(log, /uploaded b\\u\{202e\}txt\.exe \(1 B\)/);
    assert.ok(!log.includes("\u202e"), "no raw bidi control in the log");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/**
 * Rewrites `path` in place with `text` (at `offset`, the size kept) and puts
 * its old mtime back, as `cp -p` does.
 */
async function rewriteKeepingTime(path: string, text: string, offset = 0) {
  const before = await Deno.stat(path);
  using file = await Deno.open(path, { write: true });
  await file.seek(offset, Deno.SeekMode.Start);
  await file.write(new TextEncoder().encode(text));
  await Deno.utime(path, before.atime!, before.mtime!);
}

/** Waits (bounded) until a second has passed since `path` last changed, as a client rarely asks sooner. */
async function waitUntilSettled(path: string) {
  const ctime = (await Deno.stat(path)).ctime!.getTime();
  while (Date.now() < ctime + 1500) await new Promise((r) => setTimeout(r, 50));
}

/** The SHA-256 the server announces for `path` (one GET over the line protocol). */
async function announcedHash(port: number, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await send(conn, `GET ${path}\nQUIT\n`);
    const text = new TextDecoder().decode(await readAll(conn));
    return /^OK GET \d+ \d+ 0 \d+ ([0-9a-f]{64})\n/.exec(text)?.[1] ?? text;
  } finally {
    conn.close();
  }
}

Deno.test("a file rewritten with the same size and mtime is announced with its new hash (cp -p, rsync -t)", async () => {
  const base = await setup();
  try {
    const path = `${base}/share/notes.txt`;
    await using server = serve(base);
    const port = await server.port();
    // Just written, then rewritten within the same second.
    assert.equal(await announcedHash(port, "notes.txt"), sha256(encoder.encode("hello world\n")));
    await rewriteKeepingTime(path, "HELLO WORLD\n");
    assert.equal(await announcedHash(port, "notes.txt"), sha256(encoder.encode("HELLO WORLD\n")));
    // Long settled, then rewritten in place (cp -p, touch -r).
    await waitUntilSettled(path);
    assert.equal(await announcedHash(port, "notes.txt"), sha256(encoder.encode("HELLO WORLD\n")));
    await rewriteKeepingTime(path, "hello again\n");
    assert.equal(await announcedHash(port, "notes.txt"), sha256(encoder.encode("hello again\n")));
    // Replaced by another file with the same size and mtime (rsync -t: a new inode).
    const before = await Deno.stat(path);
    await Deno.writeTextFile(`${base}/share/.tmp`, "HELLO AGAIN\n");
    await Deno.utime(`${base}/share/.tmp`, before.atime!, before.mtime!);
    await Deno.rename(`${base}/share/.tmp`, path);
    assert.equal(await announcedHash(port, "notes.txt"), sha256(encoder.encode("HELLO AGAIN\n")));
    const fetched = await get(base, port, ["notes.txt"]).finish();
    assert.equal(fetched.code, 0, fetched.stderr);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("the HTTP face never answers 304 to an old ETag for content rewritten with the same size and mtime", async () => {
  const base = await setup();
  try {
    const path = `${base}/share/notes.txt`;
    await using server = serve(base, ["--http", "0"]);
    const url = `http://127.0.0.1:${await server.port({ label: "http" })}/notes.txt`;
    const check = async (expected: string) => {
      const first = await fetch(url);
      const etag = first.headers.get("etag") ?? "";
      assert.equal(await first.text(), expected);
      const same = await fetch(url, { headers: { "if-none-match": etag } });
      assert.equal(same.status, 304, "the same content keeps its tag");
      await same.body?.cancel();
      return etag;
    };
    const fresh = await check("hello world\n");
    await rewriteKeepingTime(path, "HELLO WORLD\n");
    const stale = await fetch(url, { headers: { "if-none-match": fresh } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), "HELLO WORLD\n");
    await waitUntilSettled(path);
    const settled = await check("HELLO WORLD\n");
    await rewriteKeepingTime(path, "hello again\n");
    const changed = await fetch(url, { headers: { "if-none-match": settled } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), settled);
    assert.equal(await changed.text(), "hello again\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/** Reads `conn` one byte at a time up to and including `end`, so no byte after it is taken. */
async function readHead(conn: Deno.Conn, end: string): Promise<string> {
  const byte = new Uint8Array(1);
  let text = "";
  while (!text.endsWith(end) && text.length < 4096) {
    if ((await conn.read(byte)) === null) throw new Error(`closed after "${text}"`);
    text += String.fromCharCode(byte[0]!);
  }
  return text;
}

/** Reads from `conn` until it closes or `limit` bytes came (bounded), returning how many came. */
async function drain(conn: Deno.Conn, limit: number, timeoutMs = 30_000): Promise<number> {
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  const deadline = Date.now() + timeoutMs;
  for (let n; total < limit && (n = await conn.read(buffer)) !== null;) {
    total += n;
    if (Date.now() > deadline) throw new Error(`drain: still reading after ${timeoutMs} ms`);
  }
  return total;
}

Deno.test("a file changed while it is sent is cut short, never delivered whole (file protocol and HTTP)", async () => {
  const base = await setup();
  try {
    const size = 64 * 1024 * 1024;
    await bigFile(`${base}/share/big.bin`, 64);
    await using server = serve(base, ["--http", "0"]);
    const ports = [await server.port({ label: "files" }), await server.port({ label: "http" })];
    const requests = [
      "GET big.bin\n",
      "GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ];
    for (const [i, port] of ports.entries()) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await send(conn, requests[i]!);
        await readHead(conn, i === 0 ? "\n" : "\r\n\r\n");
        // The server is now blocked far before the end (64 MiB do not fit in socket
        // buffers): the end changes before it is read.
        const text = i === 0 ? "changed" : "CHANGED";
        await rewriteKeepingTime(`${base}/share/big.bin`, text, size - text.length);
        const received = await drain(conn, size);
        assert.ok(received < size, `only part of the file arrives (${received} of ${size})`);
      } finally {
        conn.close();
      }
    }
    await server.waitFor(/changed while being sent/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
