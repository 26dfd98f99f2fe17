/**
 * The `--json` vocabulary through the CLI: the events whose fields were
 * unified, and the summaries every server prints on stop. The harness also
 * validates every line against tests/helpers/json_schema.ts.
 */
import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";
import { RawPeer } from "../helpers/tftp.ts";

type Event = { event: string } & Record<string, unknown>;

function events(stdout: string): Event[] {
  return stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

function listeningPort(stdout: string): number {
  const listening = events(stdout).find((e) => e.event === "listening");
  return listening?.port as number;
}

Deno.test("tcp listen --mode sink --json: the upload is counted as bytesIn", async () => {
  await using server = sockit(["tcp", "listen", "0", "--mode", "sink", "--json"]);
  await server.waitFor(/"event":"listening"/, { on: "stdout" });
  const port = listeningPort(server.stdout);
  const { code } = await runSockit(["tcp", "connect", `127.0.0.1:${port}`], { input: "12345" });
  assert.equal(code, 0);
  const done = await server.finish();
  const sink = events(done.stdout).find((e) => e.event === "sink");
  assert.equal(sink?.bytesIn, 5);
  assert.equal(sink?.bytes, undefined);
});

Deno.test("tftp serve --json: peers as from/to, a summary on stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-json-" });
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "hello\n");
    await using server = sockit(
      ["tftp", "serve", dir, "--listen", "127.0.0.1:0", "--json"],
      ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
    );
    await server.waitFor(/"event":"listening"/, { on: "stdout" });
    const port = listeningPort(server.stdout);
    using peer = new RawPeer();
    const me = `127.0.0.1:${peer.port}`;
    await peer.send({ op: "WRQ", filename: "new.txt", mode: "octet", options: {} }, port);
    await server.waitFor(/"event":"refused"/, { on: "stdout" });
    await peer.send(new Uint8Array([0, 9, 1, 2]), port);
    await server.waitFor(/"event":"refused"[^\n]*\n[^\n]*"event":"refused"/, { on: "stdout" });
    const fetched = await runSockit(
      ["tftp", "get", `127.0.0.1:${port}`, "a.txt", "-o", "-"],
      { permissions: ["--allow-net=127.0.0.1"] },
    );
    assert.equal(fetched.stdout, "hello\n");
    await server.waitFor(/"event":"sent"/, { on: "stdout" });
    server.kill("SIGINT");
    const done = await server.finish();
    const all = events(done.stdout);
    const refused = all.filter((e) => e.event === "refused");
    assert.deepEqual(refused.map((e) => e.from), [me, me]);
    assert.ok(refused.every((e) => !("peer" in e)));
    const sent = all.find((e) => e.event === "sent");
    assert.match(String(sent?.to), /^127\.0\.0\.1:\d+$/);
    assert.equal(sent?.size, 6);
    assert.deepEqual(all.at(-1), {
      event: "summary",
      sent: 1,
      received: 0,
      refused: 2,
      failed: 0,
      bytesIn: 0,
      bytesOut: 6,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("port scan --json ends with a summary of the states", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const open = listener.addr.port;
    const { code, stdout } = await runSockit(["port", "scan", "127.0.0.1", `${open}`, "--json"]);
    assert.equal(code, 0);
    const summary = events(stdout).at(-1)!;
    assert.equal(summary.event, "summary");
    assert.deepEqual(
      { ...summary, seconds: typeof summary.seconds },
      {
        event: "summary",
        host: "127.0.0.1",
        ports: 1,
        open: 1,
        closed: 0,
        filtered: 0,
        seconds: "number",
      },
    );
  } finally {
    listener.close();
  }
});

Deno.test("udp send and udp listen --json: bytes counted as bytesOut and bytesIn", async () => {
  await using server = sockit(["udp", "listen", "0", "--count", "2", "--json"]);
  await server.waitFor(/"event":"listening"/, { on: "stdout" });
  const port = listeningPort(server.stdout);
  const sent = await runSockit(["udp", "send", `127.0.0.1:${port}`, "abc", "de", "--json"]);
  assert.equal(sent.code, 0);
  assert.deepEqual(events(sent.stdout)[0], {
    event: "sent",
    to: `127.0.0.1:${port}`,
    datagrams: 2,
    bytesOut: 5,
  });
  const done = await server.finish();
  const summary = events(done.stdout).at(-1);
  assert.deepEqual(summary, { event: "summary", datagrams: 2, bytesIn: 5, peers: 1, truncated: 0 });
});

Deno.test("udp chat --json: the end names the peer as to", async () => {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const other = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await using chat = sockit(["udp", "chat", "127.0.0.1:0", `127.0.0.1:${other}`, "--json"]);
  await chat.waitFor(/"event":"listening"/, { on: "stdout" });
  await chat.write("exit\n");
  const done = await chat.finish();
  assert.deepEqual(events(done.stdout).at(-1), { event: "closed", to: `127.0.0.1:${other}` });
});

Deno.test("files put and files serve --json: an upload is an uploaded event on both ends", async () => {
  const base = await Deno.makeTempDir({ prefix: "sockit-json-" });
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.writeTextFile(`${base}/up.txt`, "uploaded\n");
    await using server = sockit(
      ["files", "serve", `${base}/share`, "--listen", "0", "--allow-upload", "--json"],
      ["--allow-net=127.0.0.1", `--allow-read=${base}/share`, `--allow-write=${base}/share`],
    );
    await server.waitFor(/"event":"listening"/, { on: "stdout" });
    const port = listeningPort(server.stdout);
    const put = await runSockit(
      ["files", "put", `127.0.0.1:${port}`, `${base}/up.txt`, "copy.txt", "--json"],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${base}/up.txt`] },
    );
    assert.equal(put.code, 0, put.stderr);
    const [uploaded] = events(put.stdout);
    assert.deepEqual({ ...uploaded, sha256: typeof uploaded?.sha256 }, {
      event: "uploaded",
      path: `${base}/up.txt`,
      remote: "copy.txt",
      size: 9,
      sha256: "string",
    });
    const [line] = await server.waitFor(/\{"event":"uploaded"[^\n]*\n/, { on: "stdout" });
    const stored = JSON.parse(line);
    assert.equal(stored.path, "copy.txt");
    assert.equal(stored.size, 9);
    assert.equal(stored.sha256, uploaded?.sha256);
    assert.match(stored.from, /^127\.0\.0\.1:\d+$/);
    server.kill("SIGINT");
    assert.equal(events((await server.finish()).stdout).at(-1)?.event, "summary");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
