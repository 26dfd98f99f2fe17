import assert from "node:assert/strict";
import { runSockit, silentPort, skipWithout, sockit, Spawned } from "../helpers/harness.ts";

const none: string[] = []; // pure computations need no permissions at all

Deno.test("ip info/calc/same/port info run with no permissions", async () => {
  const info = await runSockit(["ip", "info", "10.1.2.3", "--json"], { permissions: none });
  assert.equal(info.code, 0, info.stderr);
  assert.deepEqual(JSON.parse(info.stdout), {
    event: "result",
    address: "10.1.2.3",
    version: 4,
    class: "A",
    binary: "00001010.00000001.00000010.00000011",
    scope: "private",
    private: true,
    global: false,
  });
  const calc = await runSockit(["ip", "calc", "192.168.1.10", "255.255.255.0"], {
    permissions: none,
  });
  assert.match(calc.stdout, /^network +192\.168\.1\.0\/24$/m);
  assert.match(calc.stdout, /^broadcast +192\.168\.1\.255$/m);
  assert.match(calc.stdout, /^hosts +254$/m);
  assert.match(calc.stdout, /^binary mask +11111111\.11111111\.11111111\.00000000$/m);
  const v6 = await runSockit(["ip", "calc", "2001:db8::1/64", "--json"], { permissions: none });
  const result = JSON.parse(v6.stdout);
  assert.equal(result.network, "2001:db8::");
  assert.equal(result.hosts, "18446744073709551615");
  const same = await runSockit(["ip", "same", "192.168.1.10", "192.168.1.77", "--mask", "/24"], {
    permissions: none,
  });
  assert.equal(same.code, 0);
  assert.match(same.stdout, /same subnet\n$/);
  const differ = await runSockit(
    ["ip", "same", "10.0.1.5", "10.0.2.5", "--mask", "255.255.255.0"],
    { permissions: none },
  );
  assert.equal(differ.code, 1);
  assert.match(
    differ.stdout,
    /10\.0\.2\.5 AND 255\.255\.255\.0 = 10\.0\.2\.0\ndifferent subnets\n$/,
  );
  const port = await runSockit(["port", "info", "22"], { permissions: none });
  assert.match(port.stdout, /^range +well-known$/m);
  assert.match(port.stdout, /^tcp +ssh \(Secure Shell\)$/m);
});

const bad: [string[], RegExp][] = [
  [["ip", "info", "1.2.3.256"], /"1\.2\.3\.256"/],
  [["ip", "info", "1..3.4"], /"1\.\.3\.4"/],
  [["ip", "info", "01.2.3.4"], /leading zero/],
  [["ip", "info", "0x7f.0.0.1"], /"0x7f\.0\.0\.1"/],
  [["ip", "info", "1.2.3.4 "], /"1\.2\.3\.4 "/],
  [["ip", "info", "2001:db8:::1"], /"2001:db8:::1"/],
  [["ip", "info", "fe80::1%"], /zone/],
  [["ip", "calc", "10.0.0.0/33"], /"\/33"/],
  [["ip", "calc", "2001:db8::/129"], /"\/129"/],
  [["ip", "calc", "10.0.0.1", "255.0.255.0"], /"255\.0\.255\.0": not contiguous/],
  [["ip", "calc", "10.0.0.1"], /missing \/PREFIX or MASK/],
  [["ip", "same", "10.0.0.1", "::1", "--mask", "/8"], /one is IPv4, the other IPv6/],
  [["ip", "same", "10.0.0.1", "10.0.0.2"], /--mask is required/],
  [["port", "scan", "127.0.0.1", "80-"], /"80-"/],
  [["port", "scan", "127.0.0.1", "9-3"], /"9-3"/],
  [["port", "scan", "127.0.0.1", "0"], /port 0/],
  [["port", "scan", "127.0.0.1", "65536"], /65536/],
  [["port", "scan", "127.0.0.1", "http"], /"http"/],
  [["port", "info", "http2"], /"http2"/],
  [["port", "info", "70000"], /"70000"/],
];
for (const [args, message] of bad) {
  Deno.test(`sockit ${args.join(" ")} exits 2 quoting the input`, async () => {
    const { code, stderr } = await runSockit(args, { permissions: none });
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  });
}

Deno.test("port scan finds the listeners the test opens and not the ports it keeps closed", async () => {
  const open = [
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  ];
  const closedListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = closedListener.addr.port;
  closedListener.close();
  try {
    const ports = open.map((l) => l.addr.port).sort((a, b) => a - b);
    const { code, stdout, stderr } = await runSockit(
      ["port", "scan", "127.0.0.1", `${closed},${ports.join(",")}`],
      { permissions: ["--allow-net=127.0.0.1"] },
    );
    assert.equal(code, 0, stderr);
    assert.equal(stdout, ports.map((p) => `${p}/tcp open\n`).join(""));
    assert.match(
      stderr,
      /scanned 3 ports on 127\.0\.0\.1 in [\d.]+ s: 2 open, 1 closed, 0 filtered/,
    );
    const none = await runSockit(["port", "scan", "127.0.0.1", String(closed), "-v"], {
      permissions: ["--allow-net=127.0.0.1"],
    });
    assert.equal(none.code, 1);
    assert.equal(none.stdout, `${closed}/tcp closed\n`);
  } finally {
    for (const l of open) l.close();
  }
});

Deno.test("port scan prints the same with --workers 1 and 2 over a range with open ports", async () => {
  // A range below the ephemeral ports, where no test's port-0 listener lands mid-scan.
  const from = 20000 + Math.floor(Math.random() * 9000);
  const listeners: Deno.TcpListener[] = [];
  for (const offset of [3, 700, 701, 1500, 2999]) {
    try {
      listeners.push(Deno.listen({ hostname: "127.0.0.1", port: from + offset }));
    } catch {
      // taken by another program: it is open in both scans all the same
    }
  }
  assert.ok(listeners.length > 0);
  const range = `${from}-${from + 2999}`;
  const scan = (...options: string[]) =>
    // A refused port answers at once; the long timeout keeps a busy machine from calling one filtered.
    runSockit(["port", "scan", "127.0.0.1", range, "--timeout", "10s", ...options], {
      permissions: ["--allow-net=127.0.0.1"],
    });
  try {
    // One thread with 100 in flight against two with 100 each, and the default (threads for 500).
    const single = ["--workers", "1", "--concurrency", "100"];
    const double = ["--workers", "2", "--concurrency", "200"];
    const [one, two, auto] = [
      await scan("-v", ...single),
      await scan("-v", ...double),
      await scan("-v"),
    ];
    assert.equal(auto.stdout, one.stdout);
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, one.stdout);
    const lines = two.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3000);
    assert.equal(lines[0], `${from}/tcp ${lines[0]!.endsWith("open") ? "open" : "closed"}`);
    for (const l of listeners) assert.ok(lines.includes(`${l.addr.port}/tcp open`), two.stdout);
    assert.match(two.stderr, /scanned 3000 ports on 127\.0\.0\.1 in [\d.]+ s: \d+ open, /);
    const [jsonOne, jsonTwo] = [
      await scan("--json", ...single),
      await scan("--json", ...double),
    ];
    const events = (text: string) =>
      text.trimEnd().split("\n").map((line) => JSON.parse(line)).filter((e) => e.event === "port");
    assert.deepEqual(events(jsonTwo.stdout), events(jsonOne.stdout));
    assert.deepEqual(
      events(jsonTwo.stdout).map((e) => e.port),
      Array.from({ length: 3000 }, (_, i) => from + i),
    );
  } finally {
    for (const l of listeners) l.close();
  }
});

Deno.test("port scan keeps every refused port closed when more connects are asked in flight than a thread serves", async () => {
  // 500 in flight on one thread left ports 129-500 of the scan waiting for the
  // whole scan: longer than the timeout, so they read as filtered.
  const { code, stdout, stderr } = await runSockit(
    ["port", "scan", "127.0.0.1", "10000-29999", "--timeout", "500", "--json", "-q"],
    { permissions: ["--allow-net=127.0.0.1"] },
  );
  assert.ok(code === 0 || code === 1, stderr);
  const summary = JSON.parse(stdout.trimEnd().split("\n").at(-1)!);
  assert.equal(summary.event, "summary");
  assert.equal(summary.ports, 20000);
  assert.equal(
    summary.filtered,
    0,
    stdout.split("\n").filter((l) => l.includes('"filtered"')).slice(0, 5).join("\n"),
  );
});

Deno.test({
  name:
    "port scan over the ephemeral port range reports no port where nothing listens (no self-connect)",
  ignore: skipWithout("ss"),
  async fn() {
    // A connect to a port of the ephemeral range can be given that very port as its source
    // and connect to itself: that port is not open. Every open port reported must be one
    // that `ss` lists as listening, before or after the scan.
    const listening = async () => {
      const { stdout } = await new Deno.Command("ss", { args: ["-Hltn"] }).output();
      return new Set(
        new TextDecoder().decode(stdout).split("\n").map((line) => line.trim().split(/\s+/)[3])
          .filter((local) => local !== undefined).map((local) => Number(local.split(":").at(-1))),
      );
    };
    // Read through cat: the test run may not read /proc itself (Deno asks for all access).
    const { stdout: rangeText } = await new Deno.Command("cat", {
      args: ["/proc/sys/net/ipv4/ip_local_port_range"],
    }).output();
    const range = new TextDecoder().decode(rangeText).trim().split(/\s+/).join("-");
    const before = await listening();
    const { code, stdout, stderr } = await runSockit(
      ["port", "scan", "127.0.0.1", range, "--json", "-q"],
      { permissions: ["--allow-net=127.0.0.1"] },
    );
    const after = await listening();
    assert.ok(code === 0 || code === 1, stderr);
    const open = stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
      .filter((event) => event.event === "port" && event.state === "open")
      .map((event) => event.port as number);
    const phantom = open.filter((port) => !before.has(port) && !after.has(port));
    assert.deepEqual(phantom, [], `reported open, nothing listening: ${phantom.join(", ")}`);
  },
});

Deno.test({
  name: "port scan stopped by SIGINT ends the attempts in flight and leaves their ports untried",
  ignore: skipWithout("python3"),
  async fn() {
    // A listener whose accept queue is full drops new SYNs: a connect to it hangs.
    const full = [
      "import socket, sys",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      "held = [socket.socket() for _ in range(3)]",
      "[(c.setblocking(False), c.connect_ex(s.getsockname())) for c in held]",
      "print(s.getsockname()[1], flush=True)",
      "sys.stdin.read()",
    ].join("\n");
    await using peer = new Spawned("python3", ["-c", full], { stdin: "piped" });
    await peer.waitFor(/^\d+$/m, { on: "stdout", timeoutMs: 15_000 });
    const port = Number(peer.stdout.trim());
    await using scan = sockit(["port", "scan", "127.0.0.1", String(port), "--timeout", "60s"]);
    // Long enough for the attempt to be in flight (a stop before it leaves it untried too).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    scan.kill("SIGINT");
    const { code, stderr } = await scan.finish();
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /scanned 0 of 1 ports on 127\.0\.0\.1 in [\d.]+ s: 0 open, 0 closed, 0 filtered \(stopped: 1 untried\)/,
    );
  },
});

Deno.test("port free prints a port that can be listened on", async () => {
  for (const args of [[], ["--udp"]]) {
    const { code, stdout } = await runSockit(["port", "free", ...args], {
      permissions: ["--allow-net=127.0.0.1"],
    });
    assert.equal(code, 0);
    const port = Number(stdout.trim());
    assert.ok(port > 0 && port <= 65535);
    if (args.length === 0) Deno.listen({ hostname: "127.0.0.1", port }).close();
  }
});

Deno.test({
  name: "ip ifaces shows lo with 127.0.0.1/8, as ip -o addr does",
  ignore: skipWithout("ip"),
  async fn() {
    const { code, stdout } = await runSockit(["ip", "ifaces"], {
      permissions: ["--allow-sys=networkInterfaces"],
    });
    assert.equal(code, 0);
    assert.match(stdout, /^lo +IPv4 +127\.0\.0\.1\/8 +255\.0\.0\.0 +00:00:00:00:00:00$/m);
    await using ip = new Spawned("ip", ["-o", "addr"], { stdin: "null" });
    const system = (await ip.finish()).stdout;
    for (const match of system.matchAll(/^\d+: (\S+)\s+inet6? (\S+)/gm)) {
      assert.match(
        stdout,
        new RegExp(`^${match[1]} .* ${match[2]!.replace(/[.]/g, "\\.")} `, "m"),
        match[0],
      );
    }
    const missing = await runSockit(["ip", "ifaces"], { permissions: none });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /hint: run with --allow-sys=networkInterfaces/);
  },
});

Deno.test({
  name: "port scan tells filtered (no answer in time) from closed (refused)",
  ignore: skipWithout("python3"),
  async fn() {
    // A listener whose accept queue is full drops further SYNs: the port looks filtered.
    const { blocker, port } = await silentPort();
    await using _ = blocker;
    const { stdout, stderr } = await runSockit(
      ["port", "scan", "127.0.0.1", String(port), "--timeout", "300", "-v"],
      { permissions: ["--allow-net=127.0.0.1"] },
    );
    assert.equal(stdout, `${port}/tcp filtered\n`);
    assert.match(stderr, /0 open, 0 closed, 1 filtered/);
  },
});
