/**
 * `files serve --announce` and `files find` between two network namespaces
 * that the test creates (`ip netns`, as root), joined by a veth pair
 * (10.78.N.1 and 10.78.N.2): nothing leaves them. Each sockit process runs
 * with exactly its permission plan. Peers that misbehave are small Python
 * programs inside the namespaces: malformed, oversized, spoofed (wrong
 * nonce) and flooding packets. Skipped where namespaces cannot be made.
 * Also `--qr`, whose codes are read back with zbarimg.
 */

import assert from "node:assert/strict";
import { DENO, MAIN, runSockit, skipWithout, sockit, Spawned } from "../helpers/harness.ts";
import { decodeHalfBlocks } from "../helpers/qr.ts";

const PATH = `${Deno.env.get("PATH") ?? ""}:/usr/sbin:/sbin`;

function canMakeNamespaces(): boolean {
  try {
    // Only root may make namespaces; unshare tells without leaving anything behind.
    return new Deno.Command("unshare", { args: ["--net", "true"], stderr: "null" }).outputSync()
      .success &&
      new Deno.Command("ip", { args: ["netns", "list"], env: { PATH }, stderr: "null" })
        .outputSync().success;
  } catch {
    return false;
  }
}

async function ip(...args: string[]) {
  const { code, stderr } = await new Deno.Command("ip", { args, env: { PATH }, stderr: "piped" })
    .output();
  if (code !== 0) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

let serial = 0;

/** Two namespaces joined by a veth pair, removed on dispose. */
async function lan() {
  const id = `${Deno.pid % 10000}${serial++}`;
  const subnet = `10.78.${(Deno.pid + serial) % 250}`;
  const a = `sockit-a${id}`;
  const b = `sockit-b${id}`;
  await ip("netns", "add", a);
  await ip("netns", "add", b);
  try {
    await ip("link", "add", `ska${id}`, "type", "veth", "peer", "name", `skb${id}`);
    await ip("link", "set", `ska${id}`, "netns", a);
    await ip("link", "set", `skb${id}`, "netns", b);
    for (const [ns, dev, host] of [[a, `ska${id}`, 1], [b, `skb${id}`, 2]] as const) {
      await ip("-n", ns, "link", "set", "lo", "up");
      await ip("-n", ns, "addr", "add", `${subnet}.${host}/24`, "brd", "+", "dev", dev);
      await ip("-n", ns, "link", "set", dev, "up");
      // Broadcast and multicast need a route out of the namespace: the veth.
      await ip("-n", ns, "route", "add", "default", "dev", dev);
    }
  } catch (err) {
    await ip("netns", "del", a).catch(() => {});
    await ip("netns", "del", b).catch(() => {});
    throw err;
  }
  return {
    a,
    b,
    devA: `ska${id}`,
    subnet,
    async [Symbol.asyncDispose]() {
      await ip("netns", "del", a).catch(() => {});
      await ip("netns", "del", b).catch(() => {});
    },
  };
}

/** `sockit ARGS` inside namespace `ns`, with exactly the plan sockit prints for ARGS. */
async function sockitIn(ns: string, args: string[]): Promise<Spawned> {
  const plan = await new Deno.Command(DENO, {
    args: ["run", "--no-prompt", "-A", MAIN, "--permissions", ...args],
    stdout: "piped",
  }).output();
  const flags = new TextDecoder().decode(plan.stdout).trim().split(" ").filter(Boolean);
  return new Spawned("ip", [
    "netns",
    "exec",
    ns,
    DENO,
    "run",
    "--no-prompt",
    ...flags,
    MAIN,
    ...args,
  ], {
    stdin: "null",
    env: { PATH },
    name: `sockit ${args.slice(0, 2).join(" ")} (${ns})`,
    jsonEvents: args.includes("--json"),
  });
}

/** A Python program inside namespace `ns`. */
function pythonIn(ns: string, program: string, args: string[] = []): Spawned {
  return new Spawned("ip", ["netns", "exec", ns, "python3", "-c", program, ...args], {
    stdin: "null",
    env: { PATH },
    name: `python3 (${ns})`,
  });
}

async function share() {
  const dir = await Deno.makeTempDir({ prefix: "lab-share-" });
  await Deno.writeTextFile(`${dir}/notes.txt`, "hello\n");
  return dir;
}

Deno.test({
  name: "files find lists the servers started with --announce in another namespace, and no other",
  ignore: !canMakeNamespaces(),
  async fn() {
    await using net = await lan();
    const dir = await share();
    try {
      await using quiet = await sockitIn(net.a, [
        "files",
        "serve",
        dir,
        "--listen",
        "0.0.0.0:9100",
      ]);
      await quiet.waitFor(/listening on/);
      {
        const none = await (await sockitIn(net.b, ["files", "find", "--timeout", "800"])).finish();
        assert.equal(none.code, 1, none.stderr);
        assert.match(none.stderr, /no file server answered within 800 ms\nhint: start one with/);
        assert.equal(none.stdout, "", "nothing is announced without --announce");
      }
      await using server = await sockitIn(net.a, [
        "files",
        "serve",
        dir,
        "--listen",
        "0.0.0.0:9000",
        "--http",
        "0.0.0.0:8080",
        "--announce",
      ]);
      await server.waitFor(/announcing lab-share-\S+ on 239\.255\.90\.90:9009/);
      const found = await (await sockitIn(net.b, ["files", "find", "--timeout", "1500"])).finish();
      assert.equal(found.code, 0, found.stderr);
      const name = dir.split("/").at(-1)!;
      assert.equal(
        found.stdout,
        `${name}  ${net.subnet}.1:9000  http://${net.subnet}.1:8080/\n`,
      );
      const json = await (await sockitIn(net.b, ["files", "find", "--json"])).finish();
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), {
        event: "found",
        name,
        host: `${net.subnet}.1`,
        files: 9000,
        http: 8080,
        tls: false,
      });
      // Run without its plan, find names the whole plan in its hint.
      const bare = await new Spawned(
        "ip",
        ["netns", "exec", net.b, DENO, "run", "--no-prompt", MAIN, "files", "find"],
        { stdin: "null", env: { PATH } },
      ).finish();
      assert.equal(bare.code, 1);
      assert.match(
        bare.stderr,
        /hint: .*--allow-net=0\.0\.0\.0:9009,239\.255\.90\.90:9009,255\.255\.255\.255:9009/,
      );
      // What find lists works: fetch from it across the veth.
      const got = await (await sockitIn(net.b, [
        "files",
        "get",
        `${net.subnet}.1:9000`,
        "notes.txt",
        "-o",
        "-",
      ])).finish();
      assert.equal(got.stdout, "hello\n", got.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * A bad peer: answers each query with malformed, oversized, spoofed
 * (another nonce, no nonce) and hostile messages, then a flood of 500
 * well-formed answers for distinct ports, then one more good answer.
 */
const BAD_PEER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9009))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.90.90"), socket.inet_aton("0.0.0.0")))
print("ready", flush=True)
while True:
    data, (host, port) = s.recvfrom(2048)
    try:
        q = json.loads(data)
    except Exception:
        continue
    if q.get("sockit") != "find":
        continue
    nonce = q["nonce"]
    def here(**kw):
        m = {"sockit": "here", "v": 1, "nonce": nonce, "name": "evil", "files": 1, "http": None, "tls": False, "fingerprint": None}
        m.update(kw)
        return json.dumps(m).encode()
    bad = [
        b"not json",
        b"\\xff\\xfe",
        here(name="x" * 20, pad="y" * 600),                 # oversized
        here(nonce="0000000000000000"),                     # spoofed: another query's nonce
        here(nonce=None),                                   # an announcement, not an answer
        here(name="\\u001b]0;pwned\\u0007"),                 # a terminal escape
        here(files=70000),
        here(host="192.0.2.1"),                              # claims another address
        b"[" * 400,
    ]
    for b in bad:
        s.sendto(b, (host, port))
    for i in range(500):
        s.sendto(here(name="flood", files=2000 + i), (host, port))
    s.sendto(here(name="last-good", files=4000), (host, port))
`;

Deno.test({
  name:
    "files find shows only well-formed answers to its own query, at most 64, escaping nothing raw",
  ignore: !canMakeNamespaces(),
  async fn() {
    await using net = await lan();
    await using peer = pythonIn(net.a, BAD_PEER);
    await peer.waitFor(/ready/, { on: "stdout" });
    const found = await (await sockitIn(net.b, ["files", "find", "--timeout", "1500", "--json"]))
      .finish();
    assert.equal(found.code, 0, found.stderr);
    const servers = found.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(servers.length <= 64, `bounded: ${servers.length}`);
    assert.ok(servers.length >= 1);
    for (const server of servers) {
      assert.equal(server.host, `${net.subnet}.1`, "the address is the sender's, never claimed");
      assert.match(server.name, /^(flood|last-good)$/);
    }
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(found.stdout + found.stderr, /[\x00-\x08\x0b-\x1f\x7f]/);
  },
});

/**
 * A flood of queries from one address with distinct nonces: the server
 * answers at most once a second per address, and keeps answering others.
 */
const FLOODER = `
import json, socket, struct, sys, time
target = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", 9009))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.90.90"), socket.inet_aton("0.0.0.0")))
s.settimeout(0.2)
sent = set()
for i in range(300):
    nonce = "%016x" % (i + 1)
    sent.add(nonce)
    s.sendto(json.dumps({"sockit": "find", "v": 1, "nonce": nonce}).encode(), (target, 9009))
    s.sendto(b"garbage " * 200, (target, 9009))
answered = set()
deadline = time.time() + 1.5
while time.time() < deadline:
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    try:
        m = json.loads(data)
    except Exception:
        continue
    if m.get("sockit") == "here" and m.get("nonce") in sent:
        answered.add(m["nonce"])
print(len(answered), flush=True)
`;

Deno.test({
  name: "files serve --announce rate-limits its answers to a flood of queries and keeps answering",
  ignore: !canMakeNamespaces(),
  async fn() {
    await using net = await lan();
    const dir = await share();
    try {
      await using server = await sockitIn(net.a, [
        "files",
        "serve",
        dir,
        "--listen",
        "0.0.0.0:9000",
        "--announce",
      ]);
      await server.waitFor(/announcing/);
      const flood = await pythonIn(net.b, FLOODER, [`${net.subnet}.1`]).finish(20_000);
      assert.equal(flood.code, 0, flood.stderr);
      const answered = Number(flood.stdout.trim());
      assert.ok(answered >= 1 && answered <= 3, `300 queries answered ${answered} times`);
      // The per-address pause over, an ordinary find is answered.
      await new Promise((r) => setTimeout(r, 1100));
      const found = await (await sockitIn(net.b, ["files", "find", "--timeout", "1500"])).finish();
      assert.equal(found.code, 0, found.stderr);
      assert.match(found.stdout, new RegExp(`  ${net.subnet.replaceAll(".", "\\.")}\\.1:9000\\n$`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Each URL that `files serve --qr` printed, with the QR code drawn under it. */
function printedCodes(stderr: string): { url: string; lines: string[] }[] {
  const codes: { url: string; lines: string[] }[] = [];
  for (const line of stderr.split("\n")) {
    if (/^http:\/\/\S+\/$/.test(line)) codes.push({ url: line, lines: [] });
    else if (/^[█▀▄ ]+$/.test(line) && codes.length > 0) codes.at(-1)!.lines.push(line);
  }
  return codes;
}

Deno.test({
  name: "files serve --qr prints the HTTP URL as a QR code that decodes to it (zbarimg)",
  ignore: skipWithout("zbarimg"),
  async fn() {
    const dir = await share();
    try {
      await using server = sockit(
        ["files", "serve", dir, "--listen", "0", "--http", "0", "--qr"],
        ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      );
      const port = await server.port({ label: "http" });
      await server.waitFor(/sharing/);
      await server.waitFor(/▀{20,}\n/);
      const codes = printedCodes(server.stderr);
      assert.equal(codes.length, 1);
      assert.equal(codes[0]!.url, `http://127.0.0.1:${port}/`);
      assert.equal(await decodeHalfBlocks(codes[0]!.lines), codes[0]!.url);
      const refused = await runSockit(["files", "serve", dir, "--qr"], {
        permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
      });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--qr shows the HTTP face's URL: add --http ADDR/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "files serve --http 0.0.0.0 --qr draws one code per interface address (in a namespace)",
  ignore: !canMakeNamespaces() || skipWithout("zbarimg"),
  async fn() {
    await using net = await lan();
    await ip("-n", net.a, "addr", "add", `${net.subnet}.7/24`, "dev", net.devA);
    const dir = await share();
    try {
      await using server = await sockitIn(net.a, [
        "files",
        "serve",
        dir,
        "--http",
        "0.0.0.0:8080",
        "--qr",
      ]);
      await server.waitFor(/sharing/);
      const urls = [`http://${net.subnet}.1:8080/`, `http://${net.subnet}.7:8080/`];
      await server.waitFor(new RegExp(`${urls[1]!.replaceAll(".", "\\.")}\\n[^]*▀{20,}\\n`));
      const codes = printedCodes(server.stderr);
      assert.deepEqual(codes.map((c) => c.url), urls, "no loopback URL");
      for (const { url, lines } of codes) assert.equal(await decodeHalfBlocks(lines), url);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
