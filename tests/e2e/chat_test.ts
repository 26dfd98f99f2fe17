import assert from "node:assert/strict";
import { readAll, send } from "../helpers/net.ts";
import { runSockit, sockit } from "../helpers/harness.ts";

/** A raw test client that collects the relay's lines. */
class Client {
  readonly conn: Deno.Conn;
  lines: string[] = [];
  #pending = "";
  #done: Promise<void>;
  #decoder = new TextDecoder();

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#done = this.#read();
  }

  static async open(port: number): Promise<Client> {
    const client = new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
    await client.waitFor(/^\* welcome, you are user\d+/);
    return client;
  }

  get name(): string {
    return /you are (\S+)/.exec(this.lines[0] ?? "")?.[1] ?? "";
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await this.conn.read(buffer)) !== null;) {
        this.#pending += this.#decoder.decode(buffer.subarray(0, n), { stream: true });
        const parts = this.#pending.split("\n");
        this.#pending = parts.pop() ?? "";
        this.lines.push(...parts);
      }
    } catch {
      // closed
    }
  }

  say(text: string): Promise<void> {
    return send(this.conn, text + "\n");
  }

  /** Waits (≤ timeoutMs) until a line matches. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline) {
        throw new Error(
          `no line ${pattern} within ${timeoutMs} ms; got:\n${this.lines.join("\n")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    await this.#done;
  }
}

/** Rejects when `promise` takes longer than `ms` (a send the server stopped reading). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function withRoom(
  fn: (port: number, server: ReturnType<typeof sockit>) => Promise<void>,
  args: string[] = [],
) {
  await using server = sockit(["chat", "serve", "0", ...args]);
  await fn(await server.port(), server);
}

Deno.test("chat: relay to all others, /nick, /who, /msg, leave announcements", async () => {
  await withRoom(async (port) => {
    const a = await Client.open(port);
    const b = await Client.open(port);
    const c = await Client.open(port);
    try {
      await a.waitFor(new RegExp(`^\\* ${c.name} joined$`));
      await a.say("/nick Ada");
      await b.waitFor(/^\* user\d+ is now known as Ada$/);
      await b.say("hello room");
      await a.waitFor(new RegExp(`^<${b.name}> hello room$`));
      await c.waitFor(new RegExp(`^<${b.name}> hello room$`));
      assert.ok(!b.lines.some((l) => l.includes("hello room")), "not echoed to its sender");
      await a.say(`/msg ${c.name} just for you`);
      await c.waitFor(/^\*Ada\* just for you$/);
      await a.say("/who");
      await a.waitFor(new RegExp(`^\\* 3 online: Ada, ${b.name}, ${c.name}$`));
      await c.say("/quit");
      await c.waitFor(/^\* bye$/);
      await a.waitFor(new RegExp(`^\\* ${c.name} left$`));
      assert.ok(!b.lines.some((l) => l.includes("just for you")), "private stays private");
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

Deno.test("chat: bad input gets a notice and the connection stays", async () => {
  await withRoom(async (port) => {
    const a = await Client.open(port);
    const b = await Client.open(port);
    try {
      await a.say("x".repeat(5000));
      await a.waitFor(/^\* not sent: lines are at most 4096 bytes$/);
      await send(a.conn, new Uint8Array([0x62, 0x61, 0x64, 0xff, 0x0a]));
      await a.waitFor(/^\* not sent: the line is not valid UTF-8$/);
      await a.say("/msg ghost boo");
      await a.waitFor(/^\* no such user: ghost$/);
      await a.say(`/nick ${b.name}`);
      await a.waitFor(new RegExp(`^\\* name ${b.name} is taken$`));
      await a.say("/nick");
      await a.waitFor(/^\* usage: \/nick NAME$/);
      await a.say("\x1b[2J\x1b[31mred alert\x1b[0m\x07");
      await b.waitFor(new RegExp(`^<${a.name}> red alert$`));
      await a.say("y".repeat(4096));
      await b.waitFor(new RegExp(`^<${a.name}> y{4096}$`));
      assert.ok(!b.lines.some((l) => l.includes("x".repeat(100))), "the long line was not relayed");
      // deno-lint-ignore no-control-regex
      assert.ok(!b.lines.some((l) => /\x1b|\x07/.test(l)), "no control characters relayed");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

Deno.test("chat: a client that never reads is dropped; the others keep talking", async () => {
  await withRoom(async (port) => {
    const talker = await Client.open(port);
    const reader = await Client.open(port);
    const deaf = await Deno.connect({ hostname: "127.0.0.1", port }); // never reads
    try {
      await reader.waitFor(/^\* user3 joined$/);
      const line = "z".repeat(1000) + "\n";
      const burst = new TextEncoder().encode(line.repeat(1000)); // 1 MB a burst
      for (let i = 0; i < 40 && !reader.lines.some((l) => /user3 left/.test(l)); i++) {
        await within(send(talker.conn, burst), 10_000, "talker's burst");
      }
      await reader.waitFor(/^\* user3 left \(not reading\)$/, 20_000);
      await talker.say("still here?");
      await reader.waitFor(/^<user1> still here\?$/);
    } finally {
      deaf.close();
      await Promise.all([talker.close(), reader.close()]);
    }
  });
});

Deno.test("chat: clients that never read, an eighth of the room or more, do not stall it", async () => {
  await withRoom(async (port) => {
    const talker = await Client.open(port);
    const reader = await Client.open(port);
    // Two of four never read: enough to count as a congested room if they were only slow.
    const deaf = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    try {
      await reader.waitFor(/^\* user4 joined$/);
      const line = "z".repeat(1000) + "\n";
      const burst = new TextEncoder().encode(line.repeat(1000)); // 1 MB a burst
      const dropped = () =>
        reader.lines.filter((l) => /^\* user[34] left \(not reading\)$/.test(l));
      for (let i = 0; i < 60 && dropped().length < 2; i++) {
        await within(send(talker.conn, burst), 10_000, "talker's burst");
      }
      await reader.waitFor(/^\* user3 left \(not reading\)$/, 20_000);
      await reader.waitFor(/^\* user4 left \(not reading\)$/, 20_000);
      await talker.say("still here?");
      await reader.waitFor(/^<user1> still here\?$/);
    } finally {
      for (const conn of deaf) conn.close();
      await Promise.all([talker.close(), reader.close()]);
    }
  });
});

Deno.test("chat: a flooding client does not stop others' messages getting through", async () => {
  await withRoom(async (port) => {
    const flooder = await Client.open(port);
    const listener = await Client.open(port);
    const speaker = await Client.open(port);
    try {
      const flood = new TextEncoder().encode("flood\n".repeat(20_000));
      const flooding = (async () => {
        for (let i = 0; i < 10; i++) await within(send(flooder.conn, flood), 10_000, "flood");
      })();
      await listener.waitFor(/^<user1> flood$/);
      await speaker.say("can you hear me?");
      await listener.waitFor(/^<user3> can you hear me\?$/, 20_000);
      await flooding;
      assert.ok(!listener.lines.some((l) => /not reading/.test(l)), "no reader was dropped");
    } finally {
      await Promise.all([flooder.close(), listener.close(), speaker.close()]);
    }
  });
});

Deno.test("chat: a disconnect in the middle of a line relays nothing of it", async () => {
  await withRoom(async (port) => {
    const a = await Client.open(port);
    const b = await Client.open(port);
    try {
      await send(a.conn, "half a mess");
      await a.close();
      await b.waitFor(new RegExp(`^\\* ${a.name} left$`));
      assert.ok(!b.lines.some((l) => l.includes("half a mess")));
    } finally {
      await b.close();
    }
  });
});

Deno.test("chat: 200 clients each get every other client's messages once, in order", async () => {
  await withRoom(async (port) => {
    const clients: Client[] = [];
    for (let i = 0; i < 200; i++) clients.push(await Client.open(port));
    try {
      const last = clients.at(-1)!;
      await clients[0]!.waitFor(new RegExp(`^\\* ${last.name} joined$`));
      await Promise.all(clients.map(async (c, i) => {
        for (let k = 0; k < 3; k++) await c.say(`m ${i} ${k}`);
      }));
      const expected = 199 * 3;
      const deadline = Date.now() + 30_000;
      const count = (c: Client) => c.lines.filter((l) => / m \d+ \d$/.test(l)).length;
      while (clients.some((c) => count(c) < expected) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const [i, c] of clients.entries()) {
        const seen = new Map<number, number[]>();
        for (const line of c.lines) {
          const match = /^<user\d+> m (\d+) (\d)$/.exec(line);
          if (!match) continue;
          const from = Number(match[1]);
          assert.notEqual(from, i, "a client never gets its own message");
          seen.set(from, [...(seen.get(from) ?? []), Number(match[2])]);
        }
        assert.equal(seen.size, 199, `client ${i} heard from ${seen.size} senders`);
        for (const [from, ks] of seen) assert.deepEqual(ks, [0, 1, 2], `client ${i} from ${from}`);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

Deno.test("chat: --max-conns tells the extra client busy", async () => {
  await withRoom(async (port) => {
    const a = await Client.open(port);
    try {
      const extra = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        assert.equal(new TextDecoder().decode(await readAll(extra)), "busy\n");
      } finally {
        extra.close();
      }
    } finally {
      await a.close();
    }
  }, ["--max-conns", "1"]);
});

Deno.test("chat join: --nick, lines both ways, exit 0 when the server closes", async () => {
  await withRoom(async (port, server) => {
    const other = await Client.open(port);
    try {
      const joiner = sockit(["chat", "join", `127.0.0.1:${port}`, "--nick", "Zoe"]);
      await using _ = joiner;
      await other.waitFor(/is now known as Zoe$/);
      await other.say("hi Zoe");
      await joiner.waitFor(/<user1> hi Zoe\n/, { on: "stdout" });
      await joiner.write("hi back\n");
      await other.waitFor(/^<Zoe> hi back$/);
      server.kill("SIGINT");
      const { code, stdout } = await joiner.finish();
      assert.equal(code, 0);
      assert.match(stdout, /^\* welcome, you are user2/);
    } finally {
      await other.close();
    }
  });
});

Deno.test("chat join escapes control characters a hostile server sends", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const joining = runSockit(["chat", "join", `127.0.0.1:${listener.addr.port}`], { input: "" });
    const conn = await listener.accept();
    await send(conn, "\x1b]0;pwned\x07\x1b[2Jhello\n");
    conn.close();
    const { code, stdout } = await joining;
    assert.equal(code, 0);
    assert.equal(stdout, "\\x1b]0;pwned\\x07\\x1b[2Jhello\n");
  } finally {
    listener.close();
  }
});
