/**
 * Multicast and broadcast, inside a private network namespace the test
 * creates (`unshare --net`, as root): a loopback with multicast on and a
 * route for 224.0.0.0/4, and a veth pair with 10.77.0.1/24. Nothing leaves
 * the namespace. Skipped where namespaces cannot be made (not root).
 */
import assert from "node:assert/strict";
import { DENO, MAIN, Spawned } from "../helpers/harness.ts";

function canUnshare(): boolean {
  try {
    return new Deno.Command("unshare", { args: ["--net", "true"], stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const SETUP = [
  "set -e",
  'PATH="$PATH:/usr/sbin:/sbin"',
  "ip link set lo up",
  "ip link set lo multicast on",
  "ip route add 224.0.0.0/4 dev lo",
  "ip link add v0 type veth peer name v1",
  "ip addr add 10.77.0.1/24 brd + dev v0",
  "ip link set v0 up",
  "ip link set v1 up",
].join("\n");

/** Runs a listener and a sender inside one fresh namespace; returns the listener's output. */
async function inNamespace(listen: string[], send: string[], perms: string): Promise<string> {
  const quote = (args: string[]) => args.map((a) => `'${a}'`).join(" ");
  const sockit = `'${DENO}' run --no-prompt ${perms} '${MAIN}'`;
  const script = [
    SETUP,
    `${sockit} ${quote(listen)} > "$T/out" 2> "$T/err" &`,
    "for i in $(seq 100); do grep -q 'listening on' \"$T/err\" && break; sleep 0.1; done",
    `${sockit} ${quote(send)}`,
    'for i in $(seq 100); do [ -s "$T/out" ] && break; sleep 0.1; done',
    // The listener normally exits by itself (--count 1): a failed kill is fine.
    "kill -INT $! 2>/dev/null || true",
    "wait $! || true",
    'cat "$T/out"; cat "$T/err" >&2',
  ].join("\n");
  const dir = await Deno.makeTempDir();
  try {
    await using proc = new Spawned("unshare", ["--net", "sh", "-c", script], {
      stdin: "null",
      env: { T: dir },
    });
    const { stdout, stderr } = await proc.finish(30_000);
    assert.match(stderr, /listening on/, stderr);
    return stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "udp listen --multicast receives what udp send sends to the group",
  ignore: !canUnshare(),
  async fn() {
    const out = await inNamespace(
      ["udp", "listen", "5000", "--multicast", "239.1.2.3", "--count", "1"],
      ["udp", "send", "239.1.2.3:5000", "to the group"],
      "--allow-net",
    );
    assert.match(out, /^[\d.]+:\d+ to the group\n$/);
  },
});

Deno.test({
  name: "udp send to a broadcast address reaches a 0.0.0.0 listener",
  ignore: !canUnshare(),
  async fn() {
    const out = await inNamespace(
      ["udp", "listen", "0.0.0.0:5001", "--count", "1"],
      ["udp", "send", "10.77.0.255:5001", "anyone?"],
      "--allow-net=0.0.0.0,10.77.0.255",
    );
    assert.match(out, /^10\.77\.0\.1:\d+ anyone\?\n$/);
  },
});
