/**
 * Every command group runs with exactly its permission plan (as printed by
 * `sockit --permissions …`) and succeeds; with any one flag of the plan
 * removed it fails, and the `hint:` it prints, applied once, succeeds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runSockit, sockit, type Spawned } from "../helpers/harness.ts";
import { SERVICES } from "../../src/serve/command.ts";

/** How one attempt of a case is judged. */
interface Case {
  name: string;
  /** The arguments, fresh for each attempt (`i` counts attempts). */
  args(i: number): string[];
  /** A client: its exit code on success (0). A server: its readiness line, then `interact`. */
  server?: { ready: RegExp; interact?: (proc: Spawned) => Promise<void> };
  input?: string;
}

interface Attempt {
  ok: boolean;
  stderr: string;
}

const ROOT = new URL("../..", import.meta.url).pathname;

async function planOf(args: string[]): Promise<string[]> {
  // --allow-read as the installed launcher has it: to check a shared folder exists.
  const { code, stdout, stderr } = await runSockit(["--permissions", ...args], {
    permissions: ["--allow-read"],
  });
  assert.equal(code, 0, stderr);
  const line = stdout.trim();
  return line === "" ? [] : line.split(" ");
}

async function attempt(c: Case, flags: string[], i: number): Promise<Attempt> {
  const args = c.args(i);
  if (!c.server) {
    const { code, stderr } = await runSockit(args, {
      permissions: flags,
      ...(c.input === undefined ? {} : { input: c.input }),
    });
    return { ok: code === 0, stderr };
  }
  await using proc = sockit(args, flags, { stdin: "piped" });
  let ready = false;
  try {
    await proc.waitFor(c.server.ready, { timeoutMs: 15_000 });
    ready = true;
    await c.server.interact?.(proc);
  } catch (err) {
    if (ready) throw err;
  }
  proc.kill("SIGINT");
  const { code, stderr } = await proc.finish();
  return { ok: ready && code === 130 && !/permission denied/.test(stderr), stderr };
}

/** The flags of `hint: run with … (the whole plan of this command)`. */
function hintFlags(stderr: string): string[] {
  const match = /^hint: run with (.*) \(the whole plan of this command\)$/m.exec(stderr);
  assert.ok(match, `no plan hint in:\n${stderr}`);
  return match[1]!.split(" ");
}

async function check(c: Case): Promise<void> {
  let i = 0;
  const plan = await planOf(c.args(i));
  const full = await attempt(c, plan, i++);
  assert.ok(full.ok, `${c.name} with its plan ${plan.join(" ")} failed:\n${full.stderr}`);
  for (const flag of plan) {
    const reduced = (await planOf(c.args(i))).filter((f) =>
      f !== flag.split("=")[0] && !f.startsWith(`${flag.split("=")[0]}=`)
    );
    const without = await attempt(c, reduced, i);
    assert.ok(!without.ok, `${c.name} succeeded without ${flag}: the plan grants too much`);
    const hinted = hintFlags(without.stderr);
    assert.deepEqual(hinted, await planOf(c.args(i)), `${c.name}: the hint is not the whole plan`);
    i++;
    const retry = await attempt(c, hinted, i - 1);
    assert.ok(retry.ok, `${c.name} failed again after applying the hint:\n${retry.stderr}`);
  }
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "sockit-perm-" });
}

Deno.test("permissions: tcp connect and listen run with exactly their plans", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const echo = (async () => {
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
  await check({
    name: "tcp connect",
    args: () => ["tcp", "connect", `127.0.0.1:${port}`],
    input: "hi\n",
  });
  await check({
    name: "tcp listen",
    args: () => ["tcp", "listen", "0", "-k", "--mode", "echo"],
    server: { ready: /listening on/ },
  });
  listener.close();
  await echo;
});

Deno.test("permissions: udp send, listen --echo and chat run with exactly their plans", async () => {
  const receiver = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (receiver.addr as Deno.NetAddr).port;
  try {
    await check({ name: "udp send", args: () => ["udp", "send", `127.0.0.1:${port}`, "hi"] });
  } finally {
    receiver.close();
  }
  await check({
    name: "udp listen --echo",
    args: () => ["udp", "listen", "0", "--echo"],
    server: {
      ready: /listening on 127\.0\.0\.1:(\d+)/,
      async interact(proc) {
        const [, listenPort] = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
        const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
        const target = {
          transport: "udp" as const,
          hostname: "127.0.0.1",
          port: Number(listenPort),
        };
        const timer = setTimeout(() => client.close(), 5_000);
        try {
          await client.send(new TextEncoder().encode("ping"), target);
          const [reply] = await client.receive();
          assert.equal(new TextDecoder().decode(reply), "ping");
        } finally {
          clearTimeout(timer);
          client.close();
        }
      },
    },
  });
});

Deno.test("permissions: bench serve and client run with exactly their plans", async () => {
  await check({
    name: "bench serve",
    args: () => ["bench", "serve", "0"],
    server: {
      ready: /listening on 127\.0\.0\.1:(\d+)/,
      async interact(proc) {
        // A reverse UDP test: the server answers and sends from its port to the client's.
        const [, port] = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
        const client = await runSockit(
          ["bench", "client", `127.0.0.1:${port}`, "-u", "-R", "-b", "10m", "-n", "100K"],
          { permissions: ["--allow-net=127.0.0.1"] },
        );
        assert.equal(client.code, 0, client.stderr);
        await proc.waitFor(/UDP, 1 stream, reverse: sent/);
      },
    },
  });
  await using server = sockit(["bench", "serve", "0"]);
  const port = await server.port();
  await check({
    name: "bench client",
    args: () => ["bench", "client", `127.0.0.1:${port}`, "-u", "-b", "10m", "-n", "100K"],
  });
  await check({
    name: "bench client --latency",
    args: () => ["bench", "client", `127.0.0.1:${port}`, "-n", "10M", "--latency"],
  });
});

Deno.test("permissions: chat serve and join run with exactly their plans", async () => {
  await using relay = sockit(["chat", "serve", "0"]);
  const port = await relay.port();
  await check({
    name: "chat serve",
    args: () => ["chat", "serve", "0"],
    server: { ready: /listening on/ },
  });
  await check({
    name: "chat join",
    args: () => ["chat", "join", `127.0.0.1:${port}`],
    input: "/quit\n",
  });
});

Deno.test("permissions: files serve, get, get -r, ls and put run with exactly their plans", async () => {
  const base = await tempDir();
  try {
    await Deno.mkdir(`${base}/share/docs`, { recursive: true });
    await Deno.writeTextFile(`${base}/share/a.txt`, "hello\n");
    await Deno.writeTextFile(`${base}/share/docs/b.txt`, "b\n");
    await Deno.writeTextFile(`${base}/up.txt`, "upload\n");
    await Deno.mkdir(`${base}/out`);
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--allow-upload"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}`, `--allow-write=${base}`],
    );
    const at = `127.0.0.1:${await server.port()}`;
    await check({
      name: "files serve",
      args: () => ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
      server: { ready: /listening on .*\(http\)/ },
    });
    await check({
      name: "files get",
      args: () => ["files", "get", at, "a.txt", "-o", `${base}/out/a.txt`, "--force"],
    });
    await check({
      name: "files get -r",
      args: (i) => ["files", "get", at, "docs", "-r", "-o", `${base}/out/tree${i}`],
    });
    await check({ name: "files ls", args: () => ["files", "ls", at] });
    await check({
      name: "files put",
      args: (i) => ["files", "put", at, `${base}/up.txt`, `up${i}.txt`],
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("permissions: http get -o runs with exactly its plan", async () => {
  const base = await tempDir();
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.mkdir(`${base}/dl`);
    await Deno.writeTextFile(`${base}/share/page.html`, "<p>hi</p>\n");
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
    );
    const port = await server.port({ label: "http" });
    await check({
      name: "http get -o",
      args: () => [
        "http",
        "get",
        `http://127.0.0.1:${port}/page.html`,
        "-o",
        `${base}/dl/x.html`,
        "--force",
      ],
    });
    assert.equal(await Deno.readTextFile(`${base}/dl/x.html`), "<p>hi</p>\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("permissions: tftp serve, get and put run with exactly their plans", async () => {
  const base = await tempDir();
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.mkdir(`${base}/dl`);
    await Deno.writeTextFile(`${base}/share/a.txt`, "tftp\n");
    await Deno.writeTextFile(`${base}/up.txt`, "up\n");
    await using server = sockit(
      ["tftp", "serve", `${base}/share`, "--listen", "0", "--allow-write", "--create"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
    );
    const at = `127.0.0.1:${await server.port()}`;
    await check({
      name: "tftp serve",
      args: () => ["tftp", "serve", `${base}/share`, "--listen", "0"],
      server: {
        ready: /listening on 127\.0\.0\.1:(\d+)/,
        async interact(proc) {
          const [, port] = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
          const got = await runSockit(["tftp", "get", `127.0.0.1:${port}`, "a.txt", "-o", "-"]);
          assert.equal(got.code, 0, got.stderr);
          assert.equal(got.stdout, "tftp\n");
        },
      },
    });
    await check({
      name: "tftp get",
      args: () => ["tftp", "get", at, "a.txt", "-o", `${base}/dl/a.txt`, "--force"],
    });
    await check({
      name: "tftp put",
      args: (i) => ["tftp", "put", at, `${base}/up.txt`, `up${i}.txt`],
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("permissions: ip ifaces, port scan and port free run with exactly their plans", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await check({ name: "ip ifaces", args: () => ["ip", "ifaces"] });
  await check({
    name: "port scan",
    args: () => ["port", "scan", "127.0.0.1", String(listener.addr.port)],
  });
  await check({ name: "port free", args: () => ["port", "free"] });
  // A pure computation needs nothing at all.
  assert.deepEqual(await planOf(["ip", "calc", "10.0.0.0/8"]), []);
  const calc = await runSockit(["ip", "calc", "10.0.0.0/8"], { permissions: [] });
  assert.equal(calc.code, 0, calc.stderr);
});

function portsFree(host: string): boolean {
  return SERVICES.every((s) => {
    try {
      if (s.transport === "tcp") Deno.listen({ hostname: host, port: s.port }).close();
      else Deno.listenDatagram({ hostname: host, port: s.port, transport: "udp" }).close();
      return true;
    } catch {
      return false;
    }
  });
}

Deno.test({
  name: "permissions: serve and serve --host 0.0.0.0 run with exactly their plans",
  // serve uses fixed well-known-style ports; skip when another program holds one.
  ignore: !portsFree("127.0.0.1") || !portsFree("0.0.0.0"),
  async fn() {
    await check({
      name: "serve",
      args: () => ["serve", `${ROOT}docs`],
      server: { ready: /^sockit serve: /m },
    });
    await check({
      name: "serve --host 0.0.0.0",
      args: () => ["serve", `${ROOT}docs`, "--host", "0.0.0.0"],
      server: {
        ready: /^sockit serve: /m,
        async interact() {
          const echo = await runSockit(["tcp", "connect", "127.0.0.1:7007"], { input: "hello" });
          assert.equal(echo.stdout, "hello");
        },
      },
    });
  },
});
