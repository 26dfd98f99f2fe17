/**
 * `-x/--hexdump` and `--log FILE` end to end on `tcp connect` and `tcp
 * listen`, each run with exactly its plan (`--log` adds
 * `--allow-write=FILE`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { readAll, readUntil, send } from "../helpers/net.ts";
import { runSockit, sockit } from "../helpers/harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** An echo server in this process, for clients under test. */
function echoServer(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          await conn.readable.pipeTo(conn.writable);
        } catch {
          // the client went away
        }
      })();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await serving;
    },
  };
}

Deno.test("tcp connect -x dumps what it sends (>) and receives (<) on stderr; stdout keeps the data", async () => {
  const echo = echoServer();
  try {
    const { code, stdout, stderr } = await runSockit(
      ["tcp", "connect", `127.0.0.1:${echo.port}`, "-x"],
      { permissions: [`--allow-net=127.0.0.1:${echo.port}`], input: "hello\n" },
    );
    assert.equal(code, 0);
    assert.equal(stdout, "hello\n");
    const dump = (dir: string) => `${dir} 00000000  68 65 6c 6c 6f 0a${" ".repeat(31)}  |hello.|`;
    assert.ok(stderr.split("\n").includes(dump(">")), stderr);
    assert.ok(stderr.split("\n").includes(dump("<")), stderr);
  } finally {
    await echo.close();
  }
});

Deno.test("tcp listen -x -k: rows name each client, offsets count per direction, controls are dots", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k", "--mode", "echo", "-x", "-q"]);
  const port = await server.port();
  const a = await Deno.connect({ hostname: "127.0.0.1", port });
  const b = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const aName = `127.0.0.1:${a.localAddr.port}`;
    const bName = `127.0.0.1:${b.localAddr.port}`;
    await send(a, "0123456789");
    await readUntil(a, /0123456789/);
    await send(a, "\x1b[2Jabcdef");
    await readUntil(a, /abcdef/);
    await send(b, "from b\n");
    await readUntil(b, /from b/);
    const esc = (s: string) => s.replace(/[.[\]]/g, "\\$&");
    await server.waitFor(new RegExp(`^${esc(bName)} > 00000000  .*\\|from b\\.\\|$`, "m"));
    const stderr = server.stderr;
    assert.match(stderr, new RegExp(`^${esc(aName)} < 00000000  30 31 .*\\|0123456789\\|$`, "m"));
    assert.match(stderr, new RegExp(`^${esc(aName)} > 00000000  30 31 .*\\|0123456789\\|$`, "m"));
    assert.match(
      stderr,
      new RegExp(`^${esc(aName)} < 0000000a  1b 5b 32 4a 61 .*\\|\\.\\[2Jabcdef\\|$`, "m"),
    );
    assert.match(stderr, new RegExp(`^${esc(bName)} < 00000000  .*\\|from b\\.\\|$`, "m"));
    assert.ok(!stderr.includes("\x1b"), "no raw escape reaches the terminal");
    assert.doesNotMatch(stderr, /connection from/, "-q silences status, not the dump");
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("tcp listen --log FILE: each connection's bytes raw, under headers, appended across runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-log-" });
  const log = `${dir}/session.log`;
  try {
    const payloads = [enc("first\n"), new Uint8Array([...enc("second"), 0, 0xff, 0x0a])];
    for (const payload of payloads) {
      await using server = sockit(["tcp", "listen", "0", "--mode", "echo", "--log", log], [
        "--allow-net=127.0.0.1",
        `--allow-write=${log}`,
      ]);
      const port = await server.port();
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await send(conn, payload);
        await conn.closeWrite();
        assert.deepEqual(await readAll(conn), payload);
      } finally {
        conn.close();
      }
      assert.equal((await server.finish()).code, 0);
    }
    // Byte for byte (latin1 keeps one character per byte).
    const text = new TextDecoder("latin1").decode(await Deno.readFile(log));
    const stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    const session = (body: string, n: number) =>
      `# ${stamp} (127\\.0\\.0\\.1:\\d+) open\\n` +
      `# ${stamp} \\k<peer> < ${n}\\n${body}\\n` +
      `# ${stamp} \\k<peer> > ${n}\\n${body}\\n` +
      `# ${stamp} \\k<peer> close\\n`;
    const [first, second] = text.split(/(?=# \S+ \S+ open\n)/);
    assert.match(first!, new RegExp(`^${session("first\\n", 6)}$`.replace("(127", "(?<peer>127")));
    assert.match(
      second!,
      new RegExp(`^${session("second\\x00\\xff\\n", 9)}$`.replace("(127", "(?<peer>127")),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tcp connect --log FILE names the target; a log in a missing folder exits 1", async () => {
  const echo = echoServer();
  const dir = await Deno.makeTempDir({ prefix: "sockit-log-" });
  try {
    const log = `${dir}/c.log`;
    const target = `127.0.0.1:${echo.port}`;
    const { code } = await runSockit(["tcp", "connect", target, "--log", log], {
      permissions: [`--allow-net=${target}`, `--allow-write=${log}`],
      input: "abc",
    });
    assert.equal(code, 0);
    const text = dec(await Deno.readFile(log));
    assert.match(text, new RegExp(`^# \\S+ ${target} open\\n# \\S+ ${target} > 3\\nabc\\n`));
    assert.match(text, new RegExp(`# \\S+ ${target} < 3\\nabc\\n# \\S+ ${target} close\\n$`));
    const missing = `${dir}/no/such/dir/x.log`;
    const failed = await runSockit(["tcp", "connect", target, "--log", missing], {
      permissions: [`--allow-net=${target}`, `--allow-write=${missing}`],
      input: "abc",
    });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^sockit: error: cannot open the log .*x\.log: no such folder$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await echo.close();
  }
});

Deno.test("--log FILE is in the plan as --allow-write=FILE, and only then", async () => {
  const plan = async (args: string[]) =>
    (await runSockit(["--permissions", ...args], { permissions: [] })).stdout.trim();
  assert.equal(
    await plan(["tcp", "listen", "9000", "--log", "s.log", "-x"]),
    "--allow-net=127.0.0.1:9000 --allow-write=s.log",
  );
  assert.equal(await plan(["tcp", "listen", "9000", "-x"]), "--allow-net=127.0.0.1:9000");
});
