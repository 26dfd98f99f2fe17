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

Deno.test("permissions: --exec (a name, a path), --log and --allow run with exactly their plans", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const echo = (async () => {
    for await (const conn of listener) {
      conn.readable.pipeTo(conn.writable).catch(() => {});
    }
  })().catch(() => {});
  const dir = await tempDir();
  try {
    // A bare name is granted as written (--allow-run=echo); Deno finds it on PATH.
    await check({
      name: "tcp connect --exec (a name)",
      args: () => ["tcp", "connect", `127.0.0.1:${port}`, "--exec", "echo hi"],
    });
    // A path is granted as written (--allow-run=/path/to/echo).
    const echoPath = (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/echo`)
      .find((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      }) ?? "";
    assert.ok(echoPath.startsWith("/"), "echo is not on PATH as a program");
    await check({
      name: "tcp connect --exec (a path)",
      args: () => ["tcp", "connect", `127.0.0.1:${port}`, "--exec", `${echoPath} hi`],
    });
    // Deno matches a name by the path PATH gives it, so either spelling covers the other…
    for (const [grant, program] of [["echo", echoPath], [echoPath, "echo"]]) {
      const { code, stderr } = await runSockit(
        ["tcp", "connect", `127.0.0.1:${port}`, "--exec", `${program} hi`],
        { permissions: [`--allow-net=127.0.0.1:${port}`, `--allow-run=${grant}`] },
      );
      assert.equal(code, 0, `--allow-run=${grant} for ${program}: ${stderr}`);
    }
    // …and nothing else: another program is refused, with the whole plan as the hint.
    const other = await runSockit(
      ["tcp", "connect", `127.0.0.1:${port}`, "--exec", "true"],
      { permissions: [`--allow-net=127.0.0.1:${port}`, "--allow-run=echo"] },
    );
    assert.equal(other.code, 1);
    assert.match(other.stderr, /permission denied: run access to "true"/);
    assert.match(other.stderr, /hint: run with --allow-net=127\.0\.0\.1:\d+ --allow-run=true /);
    await check({
      name: "tcp listen --exec --log --allow",
      args: (i) => [
        "tcp",
        "listen",
        "0",
        "-k",
        "--exec",
        "cat",
        "--log",
        `${dir}/session${i}.log`,
        "--allow",
        "127.0.0.0/8",
      ],
      server: {
        ready: /listening on 127\.0\.0\.1:(\d+)/,
        async interact(proc) {
          // Without --allow-run the server stops at the first client: this may fail then.
          const [, listenPort] = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
          try {
            const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(listenPort) });
            try {
              await conn.write(new TextEncoder().encode("hi\n"));
              await conn.closeWrite();
              const buffer = new Uint8Array(16);
              const timer = setTimeout(() => conn.close(), 5_000);
              try {
                while (await conn.read(buffer) !== null) {
                  // until the program's end closes the connection
                }
              } finally {
                clearTimeout(timer);
              }
            } finally {
              try {
                conn.close();
              } catch {
                // closed by the timer
              }
            }
          } catch {
            // the server stopped: judged by its exit code
          }
        },
      },
    });
  } finally {
    listener.close();
    await echo;
    await Deno.remove(dir, { recursive: true });
  }
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

/** Connects to the relay printed as ready by `proc` and checks one echo through it. */
async function echoThrough(proc: Spawned): Promise<void> {
  const port = await proc.port();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("via relay"));
    await conn.closeWrite();
    const buffer = new Uint8Array(64);
    let got = "";
    for (let n; (n = await conn.read(buffer)) !== null;) {
      got += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assert.equal(got, "via relay");
  } finally {
    conn.close();
  }
}

Deno.test("permissions: relay tcp (to TCP and to a Unix socket) and relay udp run with exactly their plans", async () => {
  const dir = await tempDir();
  const path = `${dir}/target.sock`;
  const listeners = [
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    Deno.listen({ transport: "unix", path }),
  ];
  const echoes = listeners.map((listener) =>
    (async () => {
      for await (const conn of listener) {
        (async () => {
          try {
            await conn.readable.pipeTo(conn.writable);
          } catch {
            // the client went away
          }
        })();
      }
    })().catch(() => {})
  );
  const port = (listeners[0]!.addr as Deno.NetAddr).port;
  try {
    await check({
      name: "relay tcp",
      args: () => ["relay", "tcp", "0", `127.0.0.1:${port}`],
      server: { ready: /listening on/, interact: echoThrough },
    });
    await check({
      name: "relay tcp to unix:",
      args: () => ["relay", "tcp", "0", `unix:${path}`],
      server: { ready: /listening on/, interact: echoThrough },
    });
  } finally {
    for (const listener of listeners) listener.close();
    await Promise.all(echoes);
    await Deno.remove(dir, { recursive: true });
  }
  const responder = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const answering = (async () => {
    for (;;) {
      const [data, from] = await responder.receive();
      await responder.send(data, from);
    }
  })().catch(() => {});
  try {
    await check({
      name: "relay udp",
      args: () => ["relay", "udp", "0", `127.0.0.1:${(responder.addr as Deno.NetAddr).port}`],
      server: {
        ready: /listening on/,
        async interact(proc) {
          const relayPort = await proc.port();
          const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
          const timer = setTimeout(() => client.close(), 5_000);
          try {
            await client.send(new TextEncoder().encode("ping"), {
              transport: "udp",
              hostname: "127.0.0.1",
              port: relayPort,
            });
            const [reply] = await client.receive();
            assert.equal(new TextDecoder().decode(reply), "ping");
          } finally {
            clearTimeout(timer);
            client.close();
          }
        },
      },
    });
  } finally {
    responder.close();
    await answering;
  }
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
    await using http = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
    );
    const web = `http://127.0.0.1:${await http.port({ label: "http" })}`;
    await check({
      name: "files get -r URL",
      args: (i) => ["files", "get", "-r", `${web}/docs/`, "-o", `${base}/out/web${i}`],
    });
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
  // A scan this long is shared by worker threads: they need nothing beyond the plan.
  const from = Math.max(1, Math.min(listener.addr.port - 1000, 65535 - 2499));
  await check({
    name: "port scan --workers 2",
    args: () => ["port", "scan", "127.0.0.1", `${from}-${from + 2499}`, "--workers", "2"],
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
