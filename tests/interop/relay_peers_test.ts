/**
 * The relay between real peers: socat and OpenBSD nc as clients in front of
 * it and as TARGET behind it, over TCP (with half-close carried through
 * both ways) and UDP. In CI a missing peer fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { freePort, skipWithout, sockit, Spawned } from "../helpers/harness.ts";

Deno.test({
  name:
    "relay tcp: socat client → relay → nc -l target, each side's stdin to the other, half-closed",
  ignore: skipWithout("socat", "nc"),
  async fn() {
    const upPort = freePort();
    await using target = new Spawned("nc", ["-v", "-N", "-l", "127.0.0.1", String(upPort)]);
    await target.waitFor(/Listening on/);
    await using relay = sockit(["relay", "tcp", "0", `127.0.0.1:${upPort}`, "--once"]);
    const port = await relay.port();
    await using client = new Spawned("socat", ["-", `TCP:127.0.0.1:${port}`]);
    // Both answer before either half-closes: OpenBSD nc may exit once the network side
    // ends, so the target writes its reply while the client's direction is still open.
    await client.write("request from socat\n");
    await target.waitFor(/request from socat\n/, { on: "stdout" });
    await target.write("reply from nc\n");
    await client.waitFor(/reply from nc\n/, { on: "stdout" });
    await client.closeStdin(); // socat shuts down its write side and keeps reading
    await target.closeStdin(); // nc -N shuts down its write side
    const fromClient = await client.finish();
    assert.equal(fromClient.code, 0, fromClient.stderr);
    assert.equal(fromClient.stdout, "reply from nc\n");
    const fromTarget = await target.finish();
    assert.equal(fromTarget.code, 0, fromTarget.stderr);
    assert.equal(fromTarget.stdout, "request from socat\n");
    const { code, stderr } = await relay.finish();
    assert.equal(code, 0);
    assert.match(stderr, /closed 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \(19 B in, 14 B out, /);
  },
});

Deno.test({
  name: "relay tcp: nc -N client → relay → socat target running tr, whose answer needs the EOF",
  ignore: skipWithout("socat", "nc"),
  async fn() {
    const upPort = freePort();
    await using target = new Spawned("socat", [
      "-d",
      "-d",
      `TCP-LISTEN:${upPort},bind=127.0.0.1,reuseaddr,fork`,
      "EXEC:tr a-z A-Z",
    ]);
    await target.waitFor(/listening on/);
    await using relay = sockit(["relay", "tcp", "0", `127.0.0.1:${upPort}`]);
    const port = await relay.port();
    const payload = "lower case words, ".repeat(20_000);
    await using nc = new Spawned("nc", ["-N", "127.0.0.1", String(port)]);
    await nc.write(payload);
    const done = await nc.finish(15_000);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, payload.toUpperCase());
    await relay.waitFor(/closed 127\.0\.0\.1:\d+ → [^\n]*\(360\.0 kB in, 360\.0 kB out, /);
  },
});

Deno.test({
  name: "relay tcp: socat client → relay → socat echo target, 4 MB back exactly",
  ignore: skipWithout("socat"),
  async fn() {
    const upPort = freePort();
    await using target = new Spawned("socat", [
      "-d",
      "-d",
      `TCP-LISTEN:${upPort},bind=127.0.0.1,reuseaddr,fork`,
      "PIPE",
    ]);
    await target.waitFor(/listening on/);
    await using relay = sockit(["relay", "tcp", "0", `127.0.0.1:${upPort}`, "-q"]);
    const port = await relay.port();
    const payload = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 11)) & 0xff;
    await using client = new Spawned("socat", ["-t", "10", "-", `TCP:127.0.0.1:${port}`], {
      name: "socat client",
    });
    await client.write(payload);
    const echoed = (await client.finish(30_000)).stdoutBytes;
    assert.equal(echoed.length, payload.length);
    assert.deepEqual(echoed, payload);
  },
});

Deno.test({
  name: "relay udp: nc -u client → relay → socat UDP echo target",
  ignore: skipWithout("socat", "nc"),
  async fn() {
    const upPort = freePort({ transport: "udp" });
    await using target = new Spawned("socat", [
      "-d",
      "-d",
      `UDP4-RECVFROM:${upPort},bind=127.0.0.1,fork`,
      "PIPE",
    ]);
    await target.waitFor(/receiving on/);
    await using relay = sockit(["relay", "udp", "0", `127.0.0.1:${upPort}`]);
    const port = await relay.port();
    await using nc = new Spawned("nc", ["-u", "-w", "1", "127.0.0.1", String(port)]);
    await nc.write("ping through the relay\n");
    assert.equal((await nc.finish(10_000)).stdout, "ping through the relay\n");
    await relay.waitFor(/session from 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
  },
});
