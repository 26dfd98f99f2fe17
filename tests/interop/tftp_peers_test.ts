/**
 * sockit's TFTP against peers nobody here wrote: curl's tftp:// and the
 * tftp-hpa client against `sockit tftp serve`, and `sockit tftp get/put`
 * against tftp-hpa's server (in.tftpd). Every file is compared by SHA-256.
 */

import assert from "node:assert/strict";
import {
  hasInTftpd,
  runSockit,
  skipWithout,
  sockit,
  Spawned,
  startInTftpd,
} from "../helpers/harness.ts";
import { randomBytes, sha256 } from "../helpers/tftp.ts";

const inCi = Boolean(Deno.env.get("CI"));

/** A share and a local folder, with in.tftpd-readable permissions. */
async function setup() {
  const base = await Deno.makeTempDir({ prefix: "sockit-tftp-interop-" });
  await Deno.mkdir(`${base}/share`);
  await Deno.mkdir(`${base}/local`);
  for (const dir of [base, `${base}/share`, `${base}/local`]) await Deno.chmod(dir, 0o777);
  return base;
}

/** Runs `work` with a fresh share served by `sockit tftp serve` (writes and new files allowed). */
async function withServer(work: (base: string, port: number, server: Spawned) => Promise<void>) {
  const base = await setup();
  try {
    await using server = serve(base);
    await work(base, await server.port({ label: "tftp" }), server);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

function serve(base: string) {
  return sockit(
    ["tftp", "serve", `${base}/share`, "--listen", "127.0.0.1:0", "--allow-write", "--create"],
    ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
  );
}

async function run(command: string, args: string[], cwd?: string) {
  const proc = new Spawned(command, args, { stdin: "null", ...(cwd ? { cwd } : {}) });
  return await proc.finish(120_000);
}

async function same(a: string, b: string, what: string) {
  assert.equal(sha256(await Deno.readFile(a)), sha256(await Deno.readFile(b)), what);
}

const MIB = 1024 * 1024;

/** curl downloading `path` to `output`, or uploading `upload` as `path` (-T). */
function curlTftp(
  port: number,
  path: string,
  file: { output?: string; upload?: string; blksize?: number },
) {
  const { output, upload, blksize } = file;
  return run("curl", [
    "-sSf",
    ...(blksize ? ["--tftp-blksize", String(blksize)] : []),
    ...(output ? ["-o", output] : []),
    ...(upload ? ["-T", upload] : []),
    `tftp://127.0.0.1:${port}/${path}`,
  ]);
}

for (const blksize of [512, 1468, 65464]) {
  Deno.test({
    name: `curl tftp:// downloads and uploads against sockit tftp serve, blksize ${blksize}`,
    ignore: skipWithout("curl"),
    fn: () =>
      withServer(async (base, port, server) => {
        await Deno.writeFile(`${base}/share/down.bin`, randomBytes(3 * MIB + 17));
        const down = await curlTftp(port, "down.bin", {
          output: `${base}/local/down.bin`,
          blksize,
        });
        assert.equal(down.code, 0, down.stderr);
        await same(`${base}/share/down.bin`, `${base}/local/down.bin`, "download");

        await Deno.writeFile(`${base}/local/up.bin`, randomBytes(2 * MIB + 5));
        const up = await curlTftp(port, "up.bin", { upload: `${base}/local/up.bin`, blksize });
        assert.equal(up.code, 0, up.stderr);
        await server.waitFor(/received up\.bin/);
        await same(`${base}/local/up.bin`, `${base}/share/up.bin`, "upload");
      }),
  });
}

Deno.test({
  name: "curl tftp:// sees sockit's TFTP errors: not found (68), access violation (69)",
  ignore: skipWithout("curl"),
  fn: () =>
    withServer(async (_base, port) => {
      // curl's exit codes name the TFTP error (its message text is muddled in curl 7.88).
      const cases: [string, number][] = [["nope", 68], ["..%2fetc%2fpasswd", 69]];
      for (const [path, code] of cases) {
        const result = await curlTftp(port, path, { output: "/dev/null" });
        assert.equal(result.code, code, `${path}: ${result.stderr}`);
      }
    }),
});

Deno.test({
  name: "tftp-hpa's client (no options, octet and netascii) against sockit tftp serve",
  ignore: skipWithout("tftp"),
  fn: () =>
    withServer(async (base, port, server) => {
      await Deno.writeFile(`${base}/share/bin.dat`, randomBytes(MIB + 512));
      await Deno.writeTextFile(`${base}/share/text.txt`, "one\ntwo\r\nthree\n".repeat(1000));
      const tftp = (...command: string[]) =>
        run("tftp", ["127.0.0.1", String(port), ...command], `${base}/local`);

      const binary = await tftp("-m", "octet", "-c", "get", "bin.dat");
      assert.equal(binary.code, 0, binary.stderr + binary.stdout);
      await same(`${base}/share/bin.dat`, `${base}/local/bin.dat`, "octet get");

      const text = await tftp("-m", "netascii", "-c", "get", "text.txt");
      assert.equal(text.code, 0, text.stderr + text.stdout);
      await same(`${base}/share/text.txt`, `${base}/local/text.txt`, "netascii get");

      await Deno.writeFile(`${base}/local/put.dat`, randomBytes(700_000));
      const upload = await tftp("-m", "octet", "-c", "put", "put.dat");
      assert.equal(upload.code, 0, upload.stderr + upload.stdout);
      await server.waitFor(/received put\.dat/);
      await same(`${base}/local/put.dat`, `${base}/share/put.dat`, "octet put");

      const missing = await tftp("-m", "octet", "-c", "get", "missing.dat");
      assert.match(missing.stderr + missing.stdout, /Error code 1/);
    }),
});

Deno.test({
  name: "sockit tftp get and put against in.tftpd (tftp-hpa's server)",
  ignore: !inCi && !hasInTftpd(),
  async fn() {
    const base = await setup();
    const { server, port } = await startInTftpd(`${base}/share`);
    await using _server = server;
    const perms = [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/local`,
      `--allow-write=${base}/local`,
    ];
    try {
      await Deno.writeFile(`${base}/share/down.bin`, randomBytes(2 * MIB + 3));
      await Deno.chmod(`${base}/share/down.bin`, 0o644);
      for (
        const options of [[], ["--blksize", "512"], ["--blksize", "65464", "--windowsize", "8"]]
      ) {
        const got = await runSockit([
          "tftp",
          "get",
          `127.0.0.1:${port}`,
          "down.bin",
          "-o",
          `${base}/local/down.bin`,
          "--force",
          ...options,
        ], { permissions: perms, timeoutMs: 60_000 });
        assert.equal(got.code, 0, got.stderr);
        await same(`${base}/share/down.bin`, `${base}/local/down.bin`, options.join(" "));
      }
      await Deno.writeFile(`${base}/local/up.bin`, randomBytes(MIB + 100));
      const sent = await runSockit(
        ["tftp", "put", `127.0.0.1:${port}`, `${base}/local/up.bin`, "--windowsize", "4"],
        { permissions: perms, timeoutMs: 60_000 },
      );
      assert.equal(sent.code, 0, sent.stderr);
      await same(`${base}/local/up.bin`, `${base}/share/up.bin`, "put");

      const missing = await runSockit(
        ["tftp", "get", `127.0.0.1:${port}`, "missing.bin", "-o", `${base}/local/missing.bin`],
        { permissions: perms },
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /TFTP error 1/);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "over 32 MiB at blksize 512 (block numbers wrap): curl ⇄ sockit and sockit ⇄ in.tftpd",
  ignore: skipWithout("curl") || (!inCi && !hasInTftpd()),
  async fn() {
    const base = await setup();
    const size = 33 * MIB + 1234; // 69,635 blocks of 512
    await Deno.writeFile(`${base}/share/huge.bin`, randomBytes(size));
    await Deno.chmod(`${base}/share/huge.bin`, 0o644);
    const perms = [
      "--allow-net=127.0.0.1",
      `--allow-read=${base}/local`,
      `--allow-write=${base}/local`,
    ];
    try {
      {
        await using server = serve(base);
        const port = await server.port({ label: "tftp" });
        const down = await curlTftp(port, "huge.bin", { output: `${base}/local/huge.bin` });
        assert.equal(down.code, 0, down.stderr);
        await same(`${base}/share/huge.bin`, `${base}/local/huge.bin`, "curl download");
        const up = await curlTftp(port, "huge-up.bin", { upload: `${base}/local/huge.bin` });
        assert.equal(up.code, 0, up.stderr);
        await server.waitFor(/received huge-up\.bin/, { timeoutMs: 30_000 });
        await same(`${base}/local/huge.bin`, `${base}/share/huge-up.bin`, "curl upload");
        await Deno.remove(`${base}/share/huge-up.bin`);
      }
      {
        const { server, port } = await startInTftpd(`${base}/share`);
        await using _server = server;
        await Deno.remove(`${base}/local/huge.bin`);
        const got = await runSockit([
          "tftp",
          "get",
          `127.0.0.1:${port}`,
          "huge.bin",
          "-o",
          `${base}/local/huge.bin`,
          "--blksize",
          "512",
        ], { permissions: perms, timeoutMs: 120_000 });
        assert.equal(got.code, 0, got.stderr);
        await same(`${base}/share/huge.bin`, `${base}/local/huge.bin`, "sockit get");
        const sent = await runSockit([
          "tftp",
          "put",
          `127.0.0.1:${port}`,
          `${base}/local/huge.bin`,
          "huge-put.bin",
          "--blksize",
          "512",
        ], { permissions: perms, timeoutMs: 120_000 });
        assert.equal(sent.code, 0, sent.stderr);
        await same(`${base}/local/huge.bin`, `${base}/share/huge-put.bin`, "sockit put");
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});
