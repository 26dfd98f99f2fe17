import assert from "node:assert/strict";
import config from "../../deno.json" with { type: "json" };
import { freePort, runSockit, sockit } from "../helpers/harness.ts";

Deno.test("sockit alone prints the group list on stdout, exit 0", async () => {
  const { code, stdout } = await runSockit([], { permissions: [] });
  assert.equal(code, 0);
  assert.match(stdout, /Groups and commands:/);
  assert.match(stdout, /^\s+tcp\s/m);
  assert.match(stdout, /^\s+serve\s/m);
});

Deno.test("sockit --version prints the version from deno.json", async () => {
  const { code, stdout } = await runSockit(["--version"], { permissions: [] });
  assert.equal(code, 0);
  assert.equal(stdout, `sockit ${config.version}\n`);
});

for (
  const args of [
    ["tcp", "--help"],
    ["tcp"],
    ["tcp", "connect", "-h"],
    ["tcp", "listen", "--help"],
    ["serve", "--help"],
  ]
) {
  Deno.test(`sockit ${args.join(" ")} prints help with examples, exit 0`, async () => {
    const { code, stdout, stderr } = await runSockit(args, { permissions: [] });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Examples:\n {2}\S/);
    assert.equal(stderr, "");
  });
}

const usageErrors: [string[], RegExp][] = [
  [["nope"], /unknown command "nope"/],
  [["tcp", "nope"], /unknown command "tcp nope"/],
  [["tcp", "listen", "9000", "--bogus"], /unknown option "--bogus"/],
  [["tcp", "listen"], /missing argument/],
  [["tcp", "listen", "1", "2"], /unexpected argument "2"/],
  [["tcp", "listen", "70000"], /"70000"/],
  [["tcp", "listen", "-1"], /"-1"/],
  [["tcp", "listen", "--", "-1"], /"-1"/],
  [["tcp", "listen", "abc"], /"abc"/],
  [["tcp", "listen", "1.2.3.4:"], /"1.2.3.4:"/],
  [["tcp", "listen", "[::1"], /"\[::1"/],
  [["tcp", "listen", "host:port:extra"], /"host:port:extra"/],
  [["tcp", "listen", "0", "--mode", "loud"], /--mode "loud"/],
  [["tcp", "listen", "0", "--max-conns", "0"], /--max-conns "0"/],
  [["tcp", "listen", "0", "--idle", "soon"], /--idle "soon"/],
  [["tcp", "listen", "0", "--mode"], /option "--mode" needs a value/],
  [["tcp", "listen", "0", "--greeting", "hi"], /--greeting needs --mode greet/],
  [["tcp", "connect", "127.0.0.1:0"], /"0"/],
  [["tcp", "connect", "127.0.0.1"], /HOST:PORT/],
  [["tcp", "connect", "h:1", "--timeout", "-5"], /option "--timeout" needs a value/],
  [["tcp", "connect", "h:1", "--timeout=-5"], /--timeout "-5"/],
  [["tcp", "connect", "h:1", "--send-only", "--recv-only"], /cannot be used together/],
];

for (const [args, message] of usageErrors) {
  Deno.test(`sockit ${args.join(" ")} exits 2 naming the bad value`, async () => {
    const { code, stdout, stderr } = await runSockit(args, { permissions: [] });
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^sockit: error: /);
    assert.match(stderr, message);
    assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, "no stack trace");
  });
}

Deno.test("a missing net permission gives exit 1 and the exact --allow-net hint", async () => {
  const { code, stderr } = await runSockit(["tcp", "listen", "127.0.0.1:0"], { permissions: [] });
  assert.equal(code, 1);
  assert.match(stderr, /^sockit: error: permission denied: net access to "127.0.0.1:0"$/m);
  assert.match(
    stderr,
    /^hint: run with --allow-net=127.0.0.1:0 \(the whole plan of this command\)$/m,
  );
});

Deno.test("every group and command in the table prints help with examples", async () => {
  const { TABLE } = await import("../../src/cli/table.ts");
  const invocations: string[][] = [];
  for (const entry of TABLE) {
    if (entry.kind === "group") {
      invocations.push([entry.name, "--help"]);
      for (const command of entry.commands) invocations.push([entry.name, command.name, "--help"]);
    } else {
      invocations.push([entry.name, "--help"]);
    }
  }
  const results = await Promise.all(
    invocations.map((args) => runSockit(args, { permissions: [] })),
  );
  results.forEach(({ code, stdout }, i) => {
    const what = invocations[i]!.join(" ");
    assert.equal(code, 0, what);
    assert.match(stdout, /Examples:\n {2}\S/, what);
    if (invocations[i]!.length === 3) assert.match(stdout, /^Permissions: \S/m, what);
  });
  const top = await runSockit([], { permissions: [] });
  for (const entry of TABLE) assert.match(top.stdout, new RegExp(`^ +${entry.name} `, "m"));
});

Deno.test("SIGTERM stops a server like Ctrl-C, with its summary, and exits 143", async () => {
  await using server = sockit(["tcp", "listen", "0", "-k"]);
  await server.port();
  server.kill("SIGTERM");
  const { code, stderr } = await server.finish();
  assert.equal(code, 143);
  assert.match(stderr, /^stopped: 0 connections served/m);
});

Deno.test("with --json a failure is also an error event on stdout, usage errors included", async () => {
  const port = freePort();
  const refused = await runSockit(["tcp", "connect", `127.0.0.1:${port}`, "--json"]);
  assert.equal(refused.code, 1);
  assert.deepEqual(JSON.parse(refused.stdout), {
    event: "error",
    message: `connection refused by 127.0.0.1:${port}`,
    exitCode: 1,
  });
  const usage = await runSockit(["ip", "nope", "--json"], { permissions: [] });
  assert.equal(usage.code, 2);
  const event = JSON.parse(usage.stdout);
  assert.equal(event.event, "error");
  assert.equal(event.exitCode, 2);
  assert.match(event.hint, /^commands: /);
});
