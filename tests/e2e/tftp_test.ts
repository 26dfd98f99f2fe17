import assert from "node:assert/strict";
import { DENO, MAIN, runSockit, skipWithout, sockit, Spawned } from "../helpers/harness.ts";
import { randomBytes, RawPeer, sha256 } from "../helpers/tftp.ts";

/** A temp folder with a share (some files, a hidden one, an escaping link) and a download folder. */
async function setup() {
  const base = await Deno.makeTempDir({ prefix: "sockit-tftp-" });
  await Deno.mkdir(`${base}/share/sub`, { recursive: true });
  await Deno.mkdir(`${base}/dl`);
  await Deno.writeTextFile(`${base}/share/notes.txt`, "hello\nworld\r\nbare\rcr\n");
  await Deno.writeTextFile(`${base}/share/sub/inner.txt`, "inner\n");
  await Deno.writeTextFile(`${base}/share/.hidden`, "secret\n");
  await Deno.writeTextFile(`${base}/outside.txt`, "outside\n");
  await Deno.symlink(`${base}/outside.txt`, `${base}/share/escape.txt`);
  return base;
}

function serve(base: string, extra: string[] = []) {
  const write = extra.includes("--allow-write") ? [`--allow-write=${base}/share`] : [];
  return sockit(
    ["tftp", "serve", `${base}/share`, "--listen", "127.0.0.1:0", ...extra],
    ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, ...write],
  );
}

const clientPermissions = (base: string) => [
  "--allow-net=127.0.0.1",
  `--allow-read=${base}/dl`,
  `--allow-write=${base}/dl`,
];

function get(base: string, port: number, remote: string, local: string, extra: string[] = []) {
  return runSockit(
    ["tftp", "get", `127.0.0.1:${port}`, remote, "-o", `${base}/dl/${local}`, ...extra],
    { permissions: clientPermissions(base), timeoutMs: 60_000 },
  );
}

function put(base: string, port: number, local: string, remote: string, extra: string[] = []) {
  return runSockit(
    ["tftp", "put", `127.0.0.1:${port}`, `${base}/dl/${local}`, remote, ...extra],
    { permissions: clientPermissions(base), timeoutMs: 60_000 },
  );
}

async function listing(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const sizes: [string, number, string[]][] = [
  ["0 bytes", 0, []],
  ["exactly one block of 512", 512, ["--blksize", "512"]],
  ["an exact multiple of blksize (final empty block)", 3 * 1468, []],
  ["a short tail, windowsize 8", 100_000, ["--windowsize", "8"]],
  ["blksize 65464", 200_000, ["--blksize", "65464"]],
  ["> 65535 blocks (block numbers wrap to 0)", 8 * 65536 + 5, [
    "--blksize",
    "8",
    "--windowsize",
    "64",
  ]],
];

Deno.test("tftp get and put carry files of every shape unchanged", async () => {
  const base = await setup();
  await using server = serve(base, ["--allow-write", "--create"]);
  const port = await server.port({ label: "tftp" });
  try {
    for (const [name, size, options] of sizes) {
      const bytes = randomBytes(size);
      await Deno.writeFile(`${base}/share/f.bin`, bytes);
      const got = await get(base, port, "f.bin", "f.bin", [...options, "--force"]);
      assert.equal(got.code, 0, `${name}: ${got.stderr}`);
      assert.match(got.stderr, /^saved .*f\.bin/m);
      assert.equal(sha256(await Deno.readFile(`${base}/dl/f.bin`)), sha256(bytes), name);

      const up = randomBytes(size);
      await Deno.writeFile(`${base}/dl/up.bin`, up);
      const sent = await put(base, port, "up.bin", "up.bin", options);
      assert.equal(sent.code, 0, `${name}: ${sent.stderr}`);
      assert.equal(sha256(await Deno.readFile(`${base}/share/up.bin`)), sha256(up), name);
    }
    assert.deepEqual(await listing(`${base}/dl`), ["f.bin", "up.bin"], "no .part left");
    assert.ok(!(await listing(`${base}/share`)).some((n) => n.startsWith(".sockit-tftp")));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp netascii: text is converted on the wire and back", async () => {
  const base = await setup();
  await using server = serve(base, ["--allow-write", "--create"]);
  const port = await server.port({ label: "tftp" });
  try {
    const got = await get(base, port, "notes.txt", "notes.txt", ["--mode", "netascii"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(
      await Deno.readTextFile(`${base}/dl/notes.txt`),
      "hello\nworld\r\nbare\rcr\n",
    );
    const sent = await put(base, port, "notes.txt", "back.txt", ["--mode", "netascii"]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(await Deno.readTextFile(`${base}/share/back.txt`), "hello\nworld\r\nbare\rcr\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp get: not found, hidden and escaping names fail with exit 1 and leave nothing", async () => {
  const base = await setup();
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  try {
    const cases: [string, RegExp][] = [
      ["missing.txt", /no such file.*TFTP error 1/],
      ["../outside.txt", /TFTP error 2/],
      [".hidden", /hidden files are not shared.*TFTP error 2/],
      ["escape.txt", /outside the shared folder.*TFTP error 2/],
      ["sub", /not a file.*TFTP error 1/],
      ["/etc/passwd", /TFTP error 1/], // a leading / is dropped: share/etc/passwd
    ];
    for (const [remote, message] of cases) {
      const result = await get(base, port, remote, "out.txt");
      assert.equal(result.code, 1, `${remote}: ${result.stderr}`);
      assert.match(result.stderr, message, remote);
    }
    assert.deepEqual(await listing(`${base}/dl`), []);
    assert.match(server.stderr, /refused get \.\.\/outside\.txt from 127\.0\.0\.1:\d+/);
    // A leading slash is dropped, so absolute-looking names work inside the share.
    const slash = await get(base, port, "/sub/inner.txt", "inner.txt");
    assert.equal(slash.code, 0, slash.stderr);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve is read-only by default and creates files only with --create", async () => {
  const base = await setup();
  try {
    await Deno.writeTextFile(`${base}/dl/new.txt`, "new contents\n");
    {
      await using server = serve(base);
      const port = await server.port({ label: "tftp" });
      const refused = await put(base, port, "new.txt", "notes.txt");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /read-only.*TFTP error 2/);
    }
    {
      await using server = serve(base, ["--allow-write"]);
      const port = await server.port({ label: "tftp" });
      const created = await put(base, port, "new.txt", "brand-new.txt");
      assert.equal(created.code, 1);
      assert.match(created.stderr, /creates no new files.*TFTP error 1/);
      const replaced = await put(base, port, "new.txt", "notes.txt");
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.equal(await Deno.readTextFile(`${base}/share/notes.txt`), "new contents\n");
      const escape = await put(base, port, "new.txt", "escape.txt");
      assert.equal(escape.code, 1, "a link out of the share is not written through");
      assert.equal(await Deno.readTextFile(`${base}/outside.txt`), "outside\n");
    }
    assert.deepEqual(await listing(`${base}/share`), [".hidden", "escape.txt", "notes.txt", "sub"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp CLI: bad input exits 2 before any packet is sent", async () => {
  const cases: [string[], RegExp][] = [
    [["tftp", "get", "300.1.1.1", "a"], /Cannot parse/],
    [["tftp", "get", "127.0.0.1:69", "a", "--blksize", "7"], /--blksize "7": must be 8-65464/],
    [["tftp", "get", "127.0.0.1:69", "a", "--windowsize", "0"], /must be 1-65535/],
    [["tftp", "get", "127.0.0.1:69", "a", "--timeout", "256"], /must be 1-255/],
    [["tftp", "get", "127.0.0.1:69", "a", "--mode", "mail"], /octet, netascii/],
    [["tftp", "get", "127.0.0.1:69", "x".repeat(600)], /1-512 bytes/],
    [["tftp", "get", "127.0.0.1:69"], /usage/i],
    [["tftp", "get", "127.0.0.1:69", "a", "-o", "/tmp"], /it is a directory/],
    [["tftp", "serve", "/no/such/dir"], /no such directory/],
    [["tftp", "serve", ".", "--create"], /--create needs --allow-write/],
    [["tftp", "serve", ".", "--listen", "unix:/tmp/x"], /unix/i],
    [["tftp", "serve", ".", "--max-per-address", "0"], /must be 1-256/],
    [["tftp", "put", "127.0.0.1:9", "/dev/null"], /Cannot send "\/dev\/null": not a file/],
  ];
  for (const [args, message] of cases) {
    const result = await runSockit(args, {
      permissions: ["--allow-net=127.0.0.1", "--allow-read"],
    });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
  }
  const missing = await runSockit(["tftp", "put", "127.0.0.1:9", "/no/such/file"], {
    permissions: ["--allow-net=127.0.0.1", "--allow-read"],
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot read "\/no\/such\/file": no such file/);
});

Deno.test("tftp get: a server that never answers gives up after bounded retries (exit 1)", async () => {
  using silent = new RawPeer();
  const base = await setup();
  try {
    const result = await get(base, silent.port, "a.txt", "a.txt", ["--retries", "1"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no answer from the server: gave up after retries/);
    const first = await silent.next(100);
    assert.equal(first?.packet.op, "RRQ");
    assert.equal((await silent.next(100))?.packet.op, "RRQ", "one retransmission");
    assert.deepEqual(await listing(`${base}/dl`), []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve: a client that vanishes mid-transfer is dropped after retries; others go on", async () => {
  const base = await setup();
  await Deno.writeFile(`${base}/share/big.bin`, randomBytes(10_000));
  await using server = serve(base, ["--retries", "1"]);
  const port = await server.port({ label: "tftp" });
  using peer = new RawPeer();
  try {
    await peer.send({ op: "RRQ", filename: "big.bin", mode: "octet", options: {} }, port);
    const first = await peer.next();
    assert.deepEqual(first?.packet.op === "DATA" && first.packet.block, 1);
    const again = await peer.next();
    assert.equal(again?.packet.op === "DATA" && again.packet.block, 1, "resent on timeout");
    const error = await peer.next();
    assert.equal(error?.packet.op, "ERROR", "then an ERROR, no more retries");
    await server.waitFor(/get big\.bin with 127\.0\.0\.1:\d+ failed: no answer from the peer/);
    const ok = await get(base, port, "notes.txt", "notes.txt");
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve: a request never acknowledged is dropped after its first packet's short deadline", async () => {
  const base = await setup();
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  using peer = new RawPeer();
  try {
    await peer.send({ op: "RRQ", filename: "notes.txt", mode: "octet", options: {} }, port);
    // DATA 1 at 0, 1 and 3 s (back-off from the 1 s timeout), then the deadline: 3 copies at most,
    // where the retries alone (5 by default, up to 8 s apart) would send 6 over 31 s.
    const copies: number[] = [];
    let last = await peer.next(10_000);
    while (last?.packet.op === "DATA") {
      copies.push(last.packet.block);
      assert.ok(copies.length <= 3, `DATA 1 sent ${copies.length} times`);
      last = await peer.next(10_000);
    }
    assert.deepEqual(new Set(copies), new Set([1]));
    assert.equal(last?.packet.op, "ERROR");
    await server.waitFor(
      /get notes\.txt with 127\.0\.0\.1:\d+ failed: no answer from the peer to the first packet within 5 s/,
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve: a flood of requests never acknowledged does not lock out a normal client", async () => {
  const base = await setup();
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  // 300 read requests (about 5 KB) from 60 sockets on the client's own address, none ever acknowledged.
  const flood = Array.from({ length: 60 }, () => new RawPeer());
  try {
    for (let round = 0; round < 5; round++) {
      for (const peer of flood) {
        await peer.send({ op: "RRQ", filename: "notes.txt", mode: "octet", options: {} }, port);
      }
    }
    // The flood is being served: its first DATA has arrived.
    assert.equal((await flood.at(-1)!.next())?.packet.op, "DATA");
    const ok = await get(base, port, "notes.txt", "notes.txt");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await Deno.readTextFile(`${base}/dl/notes.txt`), "hello\nworld\r\nbare\rcr\n");
    // It got in while the flood's own transfers were still waiting for their first answer.
    const [sent] = await server.waitFor(/sent notes\.txt .*\n/);
    const [expired] = await server.waitFor(/failed: no answer from the peer to the first packet/);
    assert.ok(
      server.stderr.indexOf(sent) < server.stderr.indexOf(expired),
      "served before the flood expired",
    );
  } finally {
    for (const peer of flood) peer[Symbol.dispose]();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve --max-per-address: an unanswered transfer gives way to the address's next request", async () => {
  const base = await setup();
  await using server = serve(base, ["--max-per-address", "1"]);
  const port = await server.port({ label: "tftp" });
  using silent = new RawPeer();
  try {
    await silent.send({ op: "RRQ", filename: "notes.txt", mode: "octet", options: {} }, port);
    assert.equal((await silent.next())?.packet.op, "DATA");
    const ok = await get(base, port, "notes.txt", "notes.txt");
    assert.equal(ok.code, 0, ok.stderr);
    let packet = await silent.next();
    while (packet?.packet.op === "DATA") packet = await silent.next(); // a retransmission first
    assert.deepEqual(packet?.packet, { op: "ERROR", code: 0, message: "transfer cancelled" });
    await server.waitFor(
      new RegExp(
        `get notes\\.txt with 127\\.0\\.0\\.1:${silent.port} failed: no answer from the peer yet: gave way to a new request`,
      ),
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve answers malformed requests with ERROR and keeps serving", async () => {
  const base = await setup();
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  using peer = new RawPeer();
  const bytes = (...parts: (number | string)[]) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "number" ? [p] : [...new TextEncoder().encode(p)]),
    );
  try {
    const cases: [string, Uint8Array, number][] = [
      ["a one-byte packet", bytes(1), 4],
      ["an unknown opcode", bytes(0, 9, 0, 0), 4],
      ["an unterminated filename", bytes(0, 1, "notes.txt"), 4],
      ["no mode", bytes(0, 1, "notes.txt", 0), 4],
      ["a bad mode", bytes(0, 1, "notes.txt", 0, "mail", 0), 4],
      ["an option without value", bytes(0, 1, "notes.txt", 0, "octet", 0, "blksize", 0), 8],
      ["a DATA to the request port", bytes(0, 3, 0, 1, "x"), 4],
    ];
    for (const [name, packet, code] of cases) {
      await peer.send(packet, port);
      const answer = await peer.next();
      assert.equal(answer?.packet.op, "ERROR", name);
      assert.equal(answer?.packet.op === "ERROR" && answer.packet.code, code, name);
    }
    // An absurd blksize is ignored (plain 512-byte blocks), not fatal.
    await peer.send({
      op: "RRQ",
      filename: "notes.txt",
      mode: "octet",
      options: { blksize: "99999999" },
    }, port);
    const data = await peer.next();
    assert.equal(data?.packet.op, "DATA");
    await peer.send({ op: "ACK", block: 1 }, data!.port);
    const ok = await get(base, port, "notes.txt", "notes.txt");
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp serve: a stranger gets ERROR 5 and the transfer goes on", async () => {
  const base = await setup();
  await Deno.writeFile(`${base}/share/two.bin`, randomBytes(700));
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  using client = new RawPeer();
  using stranger = new RawPeer();
  try {
    await client.send({ op: "RRQ", filename: "two.bin", mode: "octet", options: {} }, port);
    const first = await client.next();
    assert.equal(first?.packet.op === "DATA" && first.packet.block, 1);
    const tid = first!.port;
    assert.notEqual(tid, port, "the transfer runs on a port of its own");
    await stranger.send({ op: "ACK", block: 1 }, tid);
    const error = await stranger.next();
    assert.deepEqual(error?.packet, { op: "ERROR", code: 5, message: "unknown transfer ID" });
    await client.send({ op: "ACK", block: 1 }, tid);
    const second = await client.next();
    assert.equal(second?.packet.op === "DATA" && second.packet.data.length, 700 - 512);
    await client.send({ op: "ACK", block: 2 }, tid);
    await server.waitFor(/sent two\.bin \(700 B/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("tftp get: strangers get ERROR 5; a malformed packet from the server ends it with ERROR 4", async () => {
  using fake = new RawPeer();
  using tid = new RawPeer();
  using stranger = new RawPeer();
  const base = await setup();
  try {
    await using client = sockit(
      ["tftp", "get", `127.0.0.1:${fake.port}`, "a.bin", "-o", `${base}/dl/a.bin`],
      ["--allow-net=127.0.0.1,127.0.0.2", `--allow-read=${base}/dl`, `--allow-write=${base}/dl`],
      { stdin: "null" },
    );
    const request = await fake.next();
    assert.equal(request?.packet.op, "RRQ");
    // Before the server answers, an answer from another address is a stranger's.
    using elsewhere = new RawPeer("127.0.0.2");
    await elsewhere.send({ op: "DATA", block: 1, data: new Uint8Array(3) }, request!.port);
    const refused = await elsewhere.next();
    assert.equal(refused?.packet.op === "ERROR" && refused.packet.code, 5);
    // The server answers from its transfer port, ignoring the options: plain 512-byte DATA.
    await tid.send({ op: "DATA", block: 1, data: new Uint8Array(512) }, request!.port);
    assert.deepEqual((await tid.next())?.packet, { op: "ACK", block: 1 });
    await stranger.send({ op: "DATA", block: 2, data: new Uint8Array(3) }, request!.port);
    assert.deepEqual((await stranger.next())?.packet, {
      op: "ERROR",
      code: 5,
      message: "unknown transfer ID",
    });
    await tid.send(new Uint8Array([0, 3, 0]), request!.port); // DATA shorter than its header
    const error = await tid.next();
    assert.equal(error?.packet.op === "ERROR" && error.packet.code, 4);
    const result = await client.finish();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /malformed packet from the peer: DATA shorter than its header/);
    assert.deepEqual(await listing(`${base}/dl`), [], "the .part is removed");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/** Whether this machine lets us mount a small tmpfs in a private mount namespace. */
function canMountTmpfs(): boolean {
  try {
    return new Deno.Command("unshare", {
      args: ["--mount", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "tftp on a full disk: ERROR 3 both ways, nothing half-written is left",
  ignore: !canMountTmpfs(),
  async fn() {
    const base = await setup();
    await Deno.mkdir(`${base}/small`);
    await Deno.writeFile(`${base}/dl/big.bin`, randomBytes(300_000));
    await Deno.writeFile(`${base}/share/big.bin`, randomBytes(300_000));
    // Each side runs in its own mount namespace with a 64 KiB tmpfs; loopback is shared.
    const inSmallDisk = (args: string[], perms: string[]) =>
      new Spawned("unshare", [
        "--mount",
        "sh",
        "-c",
        `mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"`,
        `${base}/small`,
        DENO,
        "run",
        "--no-prompt",
        ...perms,
        MAIN,
        ...args,
      ], { stdin: "null" });
    try {
      {
        await using server = inSmallDisk(
          [
            "tftp",
            "serve",
            `${base}/small`,
            "--listen",
            "127.0.0.1:0",
            "--allow-write",
            "--create",
          ],
          ["--allow-net=127.0.0.1", `--allow-read=${base}/small`, `--allow-write=${base}/small`],
        );
        const port = await server.port({ label: "tftp" });
        const result = await put(base, port, "big.bin", "big.bin");
        assert.equal(result.code, 1);
        assert.match(result.stderr, /disk full \(TFTP error 3\)/);
        await server.waitFor(/put big\.bin with 127\.0\.0\.1:\d+ failed: cannot write the file/);
        // The partial temporary file was removed: a small upload fits in the 64 KiB again.
        await Deno.writeFile(`${base}/dl/small.bin`, randomBytes(40_000));
        const small = await put(base, port, "small.bin", "big.bin");
        assert.equal(small.code, 0, small.stderr);
      }
      {
        await using server = serve(base);
        const port = await server.port({ label: "tftp" });
        await using client = inSmallDisk(
          ["tftp", "get", `127.0.0.1:${port}`, "big.bin", "-o", `${base}/small/big.bin`],
          ["--allow-net=127.0.0.1", `--allow-read=${base}/small`, `--allow-write=${base}/small`],
        );
        const result = await client.finish(30_000);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /cannot write the file: No space left on device/);
        await server.waitFor(/get big\.bin with 127\.0\.0\.1:\d+ failed: .*disk full/);
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("tftp get: Ctrl-C stops with exit 130, tells the server, and removes the .part", async () => {
  const base = await setup();
  await Deno.writeFile(`${base}/share/big.bin`, randomBytes(64 * 1024 * 1024));
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  try {
    await using client = sockit(
      ["tftp", "get", `127.0.0.1:${port}`, "big.bin", "-o", `${base}/dl/big.bin`],
      clientPermissions(base),
      { stdin: "null" },
    );
    const deadline = Date.now() + 10_000;
    const partSize = async () =>
      (await Deno.stat(`${base}/dl/big.bin.part`).catch(() => undefined))?.size ?? 0;
    while (await partSize() < 300_000) {
      if (Date.now() > deadline) throw new Error("the download did not start");
      await new Promise((r) => setTimeout(r, 5));
    }
    client.kill("SIGINT");
    const result = await client.finish();
    assert.equal(result.code, 130, result.stderr);
    assert.deepEqual(await listing(`${base}/dl`), []);
    await server.waitFor(/get big\.bin with .* failed: the peer stopped: transfer cancelled/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/** A word for `sh -c`, quoted. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs sockit under `script`, so that stdout and stderr are a terminal, and returns what it wrote there. */
async function inTerminal(args: string[], permissions: string[]) {
  const command = [DENO, "run", "--no-prompt", ...permissions, MAIN, ...args]
    .map(shellQuote)
    .join(" ");
  await using terminal = new Spawned("script", ["-qec", command, "/dev/null"], { stdin: "null" });
  const { code, stdout } = await terminal.finish(60_000);
  return { code, output: stdout };
}

Deno.test({
  name: "tftp get and put draw a progress bar on a terminal, but not with --json or -q",
  ignore: skipWithout("script"),
  async fn() {
    const base = await setup();
    await Deno.writeFile(`${base}/share/mid.bin`, randomBytes(300_000));
    await Deno.writeFile(`${base}/dl/up.bin`, randomBytes(300_000));
    await using server = serve(base, ["--allow-write", "--create"]);
    const port = await server.port({ label: "tftp" });
    // The bar itself, or the escape that clears its line.
    const drawn = (output: string) => /\[[#-]+\] +\d+%/.test(output) || output.includes("\x1b[2K");
    try {
      for (const flags of [[], ["--json"], ["-q"], ["--quiet"]]) {
        const transfers = [
          [
            "tftp",
            "get",
            `127.0.0.1:${port}`,
            "mid.bin",
            "-o",
            `${base}/dl/mid.bin`,
            "--force",
            ...flags,
          ],
          ["tftp", "put", `127.0.0.1:${port}`, `${base}/dl/up.bin`, "up.bin", ...flags],
        ];
        for (const args of transfers) {
          const { code, output } = await inTerminal(args, clientPermissions(base));
          const what = args.slice(1).join(" ");
          assert.equal(code, 0, `${what}: ${output}`);
          const expected = flags.length === 0;
          assert.equal(drawn(output), expected, `${what}: ${expected ? "a" : "no"} bar expected`);
        }
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("tftp serve: a client's ERROR text and a malformed request are escaped in the server's log", async () => {
  const base = await setup();
  await Deno.writeFile(`${base}/share/big.bin`, randomBytes(10_000));
  await using server = serve(base);
  const port = await server.port({ label: "tftp" });
  using peer = new RawPeer();
  try {
    await peer.send({ op: "RRQ", filename: "big.bin", mode: "octet", options: {} }, port);
    const first = await peer.next();
    assert.equal(first?.packet.op, "DATA");
    await peer.send({ op: "ERROR", code: 0, message: "\x1b]0;PWNED\x07 gone" }, first!.port);
    await server.waitFor(/get big\.bin with 127\.0\.0\.1:\d+ failed: .*PWNED/);
    await peer.send(new TextEncoder().encode("\x00\x01bad\x1b[2Jname"), port);
    await server.waitFor(/refused a malformed request from /);
    assert.ok(
      !server.stderr.includes("\u0007") && !server.stderr.includes("\u001b"),
      "raw BEL or ESC",
    );
    assert.match(server.stderr, /\\x1b\]0;PWNED\\x07/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
