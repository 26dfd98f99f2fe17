/**
 * Habits from netcat, curl, python's http.server and tftp: each row is what
 * a user types and the hint sockit answers with (all usage errors, exit 2,
 * except where the habit simply works).
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolveInvocation, runCli } from "../../src/cli/run.ts";
import { TABLE } from "../../src/cli/table.ts";
import { Output } from "../../src/console/output.ts";

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const code = await runCli(argv, TABLE, {
    version: "test",
    signal: new AbortController().signal,
    output: (flags) =>
      new Output({
        ...flags,
        stdout: { write: (p) => Promise.resolve(p.length) },
        stderr: { writeSync: (p) => (stderr += new TextDecoder().decode(p), p.length) },
      }),
  });
  return { code, stderr };
}

const ROWS: [argv: string[], hint: RegExp][] = [
  // netcat
  [["tcp", "connect", "-l", "9000"], /hint: to listen, use: sockit tcp listen ADDR/],
  [["tcp", "listen", "-l", "9000"], /hint: no -l needed/],
  [["tcp", "listen", "-p", "9000"], /hint: the port goes in ADDR/],
  [["tcp", "connect", "-u", "127.0.0.1:53"], /hint: for UDP use: sockit udp send/],
  [["tcp", "connect", "-z", "127.0.0.1:22"], /hint: to scan ports use: sockit port scan/],
  [["tcp", "connect", "-w", "3", "127.0.0.1:22"], /hint: --timeout MS bounds the connect/],
  // -e works on tcp listen and connect (tests/e2e/exec_test.ts); elsewhere it points there
  [["udp", "listen", "9000", "-e", "/bin/cat"], /hint: -e\/--exec PROGRAM belongs to 'tcp listen'/],
  [["tcp", "listen", "9000", "-c", "cat"], /hint: no shell runs; use -e\/--exec "sh -c/],
  [["udp", "send", "127.0.0.1", "9999"], /hint: did you mean 127\.0\.0\.1:9999\?/],
  [["chat", "join", "example.com", "6667"], /hint: did you mean example\.com:6667\?/],
  [["chat", "join", "[::1]", "6667"], /hint: did you mean \[::1\]:6667\?/],
  // curl
  [["http", "get", "-O", "http://127.0.0.1/x"], /hint: save under a name with -o FILE/],
  [["http", "get", "-s", "http://127.0.0.1/x"], /hint: to silence status lines use -q/],
  [
    ["http", "get", "-k", "https://127.0.0.1/x"],
    /hint: to skip TLS hostname checks use --insecure/,
  ],
  [["http", "get", "-m", "5", "http://127.0.0.1/x"], /hint: use --timeout MS/],
  [["files", "get", "-C", "-", "127.0.0.1", "a"], /hint: files get resumes a \.part by itself/],
  [["http", "get", "-X", "POST", "http://127.0.0.1/x"], /hint: http get sends GET/],
  [["http", "get", "-d", "a=1", "http://127.0.0.1/x"], /hint: http get sends no request body/],
  // URLs where a TARGET is expected
  [
    ["tftp", "get", "tftp://127.0.0.1/boot.img"],
    /hint: TARGET is HOST\[:PORT\], not a URL: e\.g\. 127\.0\.0\.1/,
  ],
  [
    ["files", "get", "http://127.0.0.1:8080/a.txt", "a.txt"],
    /hint: for a URL use: sockit http get/,
  ],
  // python -m http.server
  [["files", "serve", "--directory", "."], /hint: the folder is the argument/],
  [["files", "serve", "-b", "0.0.0.0"], /hint: choose the address with --listen ADDR/],
  [
    ["files", "serve", "8000"],
    /hint: for browsers on port 8000 use: sockit files serve DIR --http 8000/,
  ],
  // tftp
  [
    ["tftp", "get", "-m", "octet", "127.0.0.1", "x"],
    /hint: the transfer mode is --mode octet\|netascii/,
  ],
];

Deno.test("habits of other tools get a hint naming the sockit way (exit 2)", async () => {
  for (const [argv, hint] of ROWS) {
    const { code, stderr } = await run(argv);
    assert.equal(code, 2, `${argv.join(" ")}: ${stderr}`);
    assert.match(stderr, hint, argv.join(" "));
  }
});

Deno.test("port scan HOST PORTS with a bad port gets no HOST:PORT hint (PORTS is its own argument)", async () => {
  const { code, stderr } = await run(["port", "scan", "127.0.0.1", "0"]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /ports are 1-65535/);
  assert.doesNotMatch(stderr, /did you mean/);
});

Deno.test("netcat's tcp connect HOST PORT means HOST:PORT", async () => {
  const { code, stderr } = await run(["--permissions", "tcp", "connect", "::1", "7"]);
  assert.equal(code, 0, stderr);
  const refused = await run(["tcp", "connect", "127.0.0.1", "nine"]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /unexpected argument "nine"/);
});

Deno.test("curl's -f works as http get --fail", () => {
  const resolved = resolveInvocation(["http", "get", "-f", "http://127.0.0.1/x"], TABLE, "test");
  assert.equal(resolved.kind, "command");
  if (resolved.kind === "command") assert.equal(resolved.args.flag("fail"), true);
});

Deno.test("the installed command gives the same habit hints as a direct run", async () => {
  const { launchOf } = await import("../../src/cli/launch.ts");
  for (const [argv, hint] of ROWS) {
    const launch = launchOf(argv);
    const direct = await run(argv);
    if (launch.kind !== "error") continue; // planned fine: the child run gives the hint
    assert.equal(launch.error.exitCode, 2, argv.join(" "));
    assert.match(`hint: ${launch.error.hint ?? ""}`, hint, argv.join(" "));
    assert.match(direct.stderr, new RegExp(`hint: ${escapeRegExp(launch.error.hint ?? "")}`));
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
