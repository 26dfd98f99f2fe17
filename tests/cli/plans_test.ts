/**
 * The permission plan of representative invocations of every command,
 * table-driven: a plan must never grant more than its command needs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { planLine } from "../../src/command/plan.ts";
import { UsageError } from "../../src/console/errors.ts";
import { permissionsHelp } from "../../src/cli/help.ts";
import { planOf, resolveInvocation } from "../../src/cli/run.ts";
import { TABLE } from "../../src/cli/table.ts";

function plan(argv: string[]): string {
  const resolved = resolveInvocation(argv, TABLE, "test");
  if (resolved.kind !== "command") throw new Error(`${argv.join(" ")} is not a command`);
  return planLine(planOf(resolved.command, resolved.args));
}

const SHARE = new URL("../../docs", import.meta.url).pathname;

const ROWS: [group: string, argv: string[], flags: string][] = [
  ["tcp", ["tcp", "connect", "127.0.0.1:7"], "--allow-net=127.0.0.1:7"],
  ["tcp", ["tcp", "connect", "[::1]:7", "--timeout", "5"], "--allow-net=[::1]:7"],
  [
    "tcp",
    ["tcp", "connect", "unix:/tmp/app.sock"],
    "--allow-net=unix:/tmp/app.sock --allow-read=/tmp/app.sock --allow-write=/tmp/app.sock",
  ],
  ["tcp", ["tcp", "connect", "localhost:7"], "--allow-net=127.0.0.1:7,[::1]:7"],
  ["tcp", ["tcp", "listen", "9000", "-k", "--mode", "echo"], "--allow-net=127.0.0.1:9000"],
  ["tcp", ["tcp", "listen", "localhost:9000"], "--allow-net=localhost:9000"],
  ["tcp", ["tcp", "listen", "0.0.0.0:9000"], "--allow-net=0.0.0.0:9000"],
  ["tcp", ["tcp", "listen", "[::]:0"], "--allow-net=[::]:0"],
  ["tcp", ["tcp", "listen", "9443", "--tls"], "--allow-net=127.0.0.1:9443"],
  [
    "tcp",
    ["tcp", "listen", "9443", "--cert", "tls/server.pem", "--key", "tls/server.key"],
    "--allow-net=127.0.0.1:9443 --allow-read=tls/server.pem,tls/server.key",
  ],
  [
    "tcp",
    ["tcp", "connect", "example.com:443", "--tls", "--cacert", "ca.pem"],
    "--allow-net=example.com:443 --allow-read=ca.pem",
  ],
  [
    "tcp",
    ["tcp", "connect", "example.com:443", "--tls", "--proxy", "socks5h://127.0.0.1:1080"],
    "--allow-net=127.0.0.1:1080",
  ],
  ["chat", ["chat", "serve", "6697", "--tls"], "--allow-net=127.0.0.1:6697"],
  [
    "bench",
    ["bench", "client", "127.0.0.1:5201", "--tls", "--cacert", "ca.pem"],
    "--allow-net=127.0.0.1:5201 --allow-read=ca.pem",
  ],
  [
    "tcp",
    ["tcp", "listen", "9443", "--tls", "--client-ca", "clients.pem"],
    "--allow-net=127.0.0.1:9443 --allow-read=clients.pem",
  ],
  [
    "tcp",
    ["tcp", "connect", "127.0.0.1:9443", "--tls", "--cert", "me.pem", "--key", "me.key"],
    "--allow-net=127.0.0.1:9443 --allow-read=me.pem,me.key",
  ],
  ["serve", ["serve", SHARE, "--tls"], `--allow-net=127.0.0.1 --allow-read=${SHARE}`],
  [
    "files",
    ["files", "get", "127.0.0.1", "a.txt", "--tls", "--cacert", "ca.pem", "-o", "-"],
    "--allow-net=127.0.0.1:9000 --allow-read=ca.pem",
  ],
  [
    "relay",
    ["relay", "tcp", "8443", "127.0.0.1:8080", "--tls-listen", "--cert", "c.pem", "--key", "k.pem"],
    "--allow-net=127.0.0.1:8443,127.0.0.1:8080 --allow-read=c.pem,k.pem",
  ],
  [
    "relay",
    [
      "relay",
      "tcp",
      "8080",
      "10.0.0.5:80",
      "--proxy",
      "socks5h://127.0.0.1:1080",
      "--log",
      "r.log",
    ],
    "--allow-net=127.0.0.1:8080,127.0.0.1:1080 --allow-write=r.log",
  ],
  [
    "chat",
    ["chat", "join", "127.0.0.1:6697", "--pin", "ab".repeat(32)],
    "--allow-net=127.0.0.1:6697",
  ],
  // --exec grants running exactly PROGRAM as written (a name is looked up on PATH by Deno)
  [
    "tcp",
    ["tcp", "listen", "9000", "-k", "--exec", "tr a-z A-Z"],
    "--allow-net=127.0.0.1:9000 --allow-run=tr",
  ],
  [
    "tcp",
    ["tcp", "listen", "9000", "--exec", "/usr/bin/cat -n", "--log", "/tmp/s.log", "-x"],
    "--allow-net=127.0.0.1:9000 --allow-write=/tmp/s.log --allow-run=/usr/bin/cat",
  ],
  [
    "tcp",
    ["tcp", "connect", "127.0.0.1:7", "--exec", "sh -c 'read x; echo $x'"],
    "--allow-net=127.0.0.1:7 --allow-run=sh",
  ],
  ["tcp", ["tcp", "connect", "127.0.0.1:7", "-x"], "--allow-net=127.0.0.1:7"],
  // --allow/--deny add nothing to a plan
  [
    "tcp",
    ["tcp", "listen", "0.0.0.0:9000", "--allow", "10.0.0.0/8", "--deny", "10.0.0.7"],
    "--allow-net=0.0.0.0:9000",
  ],
  ["udp", ["udp", "send", "127.0.0.1:9999", "hi"], "--allow-net=127.0.0.1:9999,127.0.0.1:0"],
  [
    "udp",
    ["udp", "send", "[::1]:9999", "hi", "--bind", "[::1]:5353"],
    "--allow-net=[::1]:9999,[::1]:5353",
  ],
  ["udp", ["udp", "listen", "9999"], "--allow-net=127.0.0.1:9999"],
  ["udp", ["udp", "listen", "9999", "--echo"], "--allow-net=127.0.0.1"],
  ["udp", ["udp", "listen", "9999", "--echo", "--deny", "::1"], "--allow-net=127.0.0.1"],
  ["udp", ["udp", "listen", "0.0.0.0:9999", "--stamp"], "--allow-net"],
  ["udp", ["udp", "listen", "5000", "--multicast", "239.1.2.3"], "--allow-net=239.1.2.3:5000"],
  ["udp", ["udp", "chat", "9001", "127.0.0.1:9002"], "--allow-net=127.0.0.1:9001,127.0.0.1:9002"],
  ["chat", ["chat", "serve", "6667"], "--allow-net=127.0.0.1:6667"],
  ["chat", ["chat", "serve", "6667", "--allow", "127.0.0.0/8"], "--allow-net=127.0.0.1:6667"],
  ["chat", ["chat", "join", "127.0.0.1:6667", "--nick", "Ada"], "--allow-net=127.0.0.1:6667"],
  ["files", ["files", "serve", SHARE], `--allow-net=127.0.0.1:9000 --allow-read=${SHARE}`],
  [
    "files",
    ["files", "serve", SHARE, "--deny", "fd00::/8", "--http", "8080"],
    `--allow-net=127.0.0.1:9000,127.0.0.1:8080 --allow-read=${SHARE}`,
  ],
  [
    "files",
    ["files", "serve", SHARE, "--listen", "0", "--http", "8080", "--allow-upload"],
    `--allow-net=127.0.0.1:0,127.0.0.1:8080 --allow-read=${SHARE} --allow-write=${SHARE}`,
  ],
  [
    "files",
    ["files", "get", "127.0.0.1", "notes.txt"],
    "--allow-net=127.0.0.1:9000 --allow-read=. --allow-write=.",
  ],
  [
    "files",
    ["files", "get", "127.0.0.1:9001", "a/b.txt", "-o", "out/b.txt"],
    "--allow-net=127.0.0.1:9001 --allow-read=out --allow-write=out",
  ],
  [
    "files",
    ["files", "get", "127.0.0.1", "docs", "-r", "-o", "copy"],
    "--allow-net=127.0.0.1:9000 --allow-read=copy --allow-write=copy",
  ],
  ["files", ["files", "get", "127.0.0.1", "notes.txt", "-o", "-"], "--allow-net=127.0.0.1:9000"],
  [
    "files",
    ["files", "get", "-r", "http://192.168.1.20:8080/photos/", "-o", "pics"],
    "--allow-net=192.168.1.20:8080 --allow-read=pics --allow-write=pics",
  ],
  [
    "files",
    ["files", "get", "-r", "https://[::1]/pics", "--cacert", "ca.pem"],
    "--allow-net=[::1]:443 --allow-read=ca.pem,pics --allow-write=pics",
  ],
  [
    "files",
    ["files", "get", "-r", "http://10.0.0.2:8080/", "--proxy", "http://127.0.0.1:3128"],
    "--allow-net=127.0.0.1:3128 --allow-read=download --allow-write=download",
  ],
  ["files", ["files", "ls", "127.0.0.1", "docs"], "--allow-net=127.0.0.1:9000"],
  [
    "files",
    ["files", "serve", SHARE, "--http", "0.0.0.0:8080", "--qr"],
    `--allow-net=127.0.0.1:9000,0.0.0.0:8080 --allow-read=${SHARE} --allow-sys=networkInterfaces`,
  ],
  [
    "files",
    ["files", "find"],
    "--allow-net=0.0.0.0:9009,239.255.90.90:9009,255.255.255.255:9009",
  ],
  [
    "files",
    ["files", "serve", SHARE, "--listen", "0.0.0.0:9000", "--announce"],
    `--allow-net=0.0.0.0:9000,0.0.0.0:9009,239.255.90.90:9009,255.255.255.255:9009 --allow-read=${SHARE}`,
  ],
  [
    "files",
    ["files", "put", "127.0.0.1", "a.txt", "inbox/a.txt"],
    "--allow-net=127.0.0.1:9000 --allow-read=a.txt",
  ],
  ["http", ["http", "get", "http://127.0.0.1:8080/"], "--allow-net=127.0.0.1:8080"],
  [
    "http",
    ["http", "get", "https://example.com/x", "-o", "dl/page.html", "--cacert", "ca.pem"],
    "--allow-net=example.com:443 --allow-read=dl,ca.pem --allow-write=dl",
  ],
  ["http", ["http", "get", "-o", "-", "http://127.0.0.1:8080/"], "--allow-net=127.0.0.1:8080"],
  [
    "http",
    ["http", "get", "--proxy", "socks5h://127.0.0.1:1080", "https://example.com/"],
    "--allow-net=127.0.0.1:1080",
  ],
  [
    "http",
    ["http", "get", "--proxy", "socks5://127.0.0.1:1080", "https://example.com/"],
    "--allow-net=127.0.0.1:1080,example.com",
  ],
  [
    "http",
    ["http", "get", "--proxy", "http://proxy.lan:3128", "http://10.0.0.5/"],
    "--allow-net=proxy.lan:3128",
  ],
  ["http", ["http", "get", "-L", "http://127.0.0.1:8080/old"], "--allow-net"],
  ["tftp", ["tftp", "serve", SHARE], `--allow-net=127.0.0.1 --allow-read=${SHARE}`],
  [
    "tftp",
    ["tftp", "serve", SHARE, "--allow", "127.0.0.1"],
    `--allow-net=127.0.0.1 --allow-read=${SHARE}`,
  ],
  [
    "tftp",
    ["tftp", "serve", SHARE, "--listen", "0.0.0.0:6969", "--allow-write"],
    `--allow-net --allow-read=${SHARE} --allow-write=${SHARE}`,
  ],
  [
    "tftp",
    ["tftp", "get", "127.0.0.1:6969", "a.txt"],
    "--allow-net=127.0.0.1 --allow-read=. --allow-write=.",
  ],
  [
    "tftp",
    ["tftp", "get", "localhost", "a.txt", "-o", "-"],
    "--allow-net=localhost,127.0.0.1,[::1]",
  ],
  ["tftp", ["tftp", "put", "[::1]:6969", "x.bin"], "--allow-net=[::1] --allow-read=x.bin"],
  ["relay", ["relay", "tcp", "8080", "127.0.0.1:80"], "--allow-net=127.0.0.1:8080,127.0.0.1:80"],
  [
    "relay",
    ["relay", "tcp", "[::]:2222", "example.com:22", "--idle", "10m"],
    "--allow-net=[::]:2222,example.com:22",
  ],
  [
    "relay",
    ["relay", "tcp", "9000", "localhost:80"],
    "--allow-net=127.0.0.1:9000,127.0.0.1:80,[::1]:80",
  ],
  [
    "relay",
    ["relay", "tcp", "unix:/tmp/in.sock", "unix:/tmp/out.sock", "--once"],
    "--allow-net=unix:/tmp/in.sock,unix:/tmp/out.sock --allow-read=/tmp/in.sock,/tmp/out.sock " +
    "--allow-write=/tmp/in.sock,/tmp/out.sock",
  ],
  ["relay", ["relay", "udp", "5353", "127.0.0.1:53"], "--allow-net=127.0.0.1"],
  [
    "relay",
    ["relay", "udp", "5353", "192.168.1.1:53", "--max-sessions", "10"],
    "--allow-net=127.0.0.1,192.168.1.1:53,0.0.0.0:0",
  ],
  ["relay", ["relay", "udp", "0.0.0.0:5353", "[::1]:53"], "--allow-net"],
  ["ip", ["ip", "info", "1.2.3.4"], ""],
  ["ip", ["ip", "calc", "10.0.0.0/8"], ""],
  ["ip", ["ip", "same", "10.0.0.1", "10.0.0.2", "--mask", "/24"], ""],
  ["ip", ["ip", "ifaces"], "--allow-sys=networkInterfaces"],
  ["port", ["port", "info", "443"], ""],
  ["port", ["port", "scan", "127.0.0.1", "1-1024"], "--allow-net=127.0.0.1"],
  ["port", ["port", "scan", "127.0.0.1", "1-65535", "--workers", "2"], "--allow-net=127.0.0.1"],
  ["port", ["port", "scan", "::1", "22"], "--allow-net=[::1]"],
  ["port", ["port", "free"], "--allow-net=127.0.0.1:0"],
  ["port", ["port", "free", "--udp", "--host", "::1"], "--allow-net=[::1]:0"],
  // UDP tests answer the client's own ports: the host, or anyone off loopback.
  ["bench", ["bench", "serve"], "--allow-net=127.0.0.1"],
  ["bench", ["bench", "serve", "0.0.0.0:5201", "--max-clients", "4"], "--allow-net"],
  ["bench", ["bench", "serve", "[::1]:9000", "--once"], "--allow-net=[::1]"],
  ["bench", ["bench", "client", "127.0.0.1:5201"], "--allow-net=127.0.0.1:5201"],
  ["bench", ["bench", "client", "127.0.0.1", "-p", "5202"], "--allow-net=127.0.0.1:5202"],
  ["bench", ["bench", "client", "10.0.0.2", "-u"], "--allow-net=10.0.0.2:5201,0.0.0.0:0"],
  [
    "bench",
    ["bench", "client", "localhost", "-R", "--latency"],
    "--allow-net=localhost,127.0.0.1,[::1]",
  ],
  ["bench", ["bench", "client", "[::1]:5201", "-u"], "--allow-net=[::1]:5201,[::1]:0"],
  ["bench", ["bench", "client", "10.0.0.2:5201", "--latency"], "--allow-net=0.0.0.0:0,10.0.0.2"],
  ["serve", ["serve", SHARE], `--allow-net=127.0.0.1 --allow-read=${SHARE}`],
  [
    "serve",
    ["serve", SHARE, "--allow", "127.0.0.1", "--deny", "::1"],
    `--allow-net=127.0.0.1 --allow-read=${SHARE}`,
  ],
  ["serve", ["serve", SHARE, "--host", "0.0.0.0"], `--allow-net --allow-read=${SHARE}`],
];

for (const group of new Set(ROWS.map(([g]) => g))) {
  Deno.test(`plans of the ${group} commands grant exactly what each invocation needs`, () => {
    for (const [, argv, flags] of ROWS.filter(([g]) => g === group)) {
      assert.equal(plan(argv), flags, argv.join(" "));
    }
  });
}

Deno.test("every command in the table has a plan row here", () => {
  const covered = new Set(ROWS.flatMap(([, argv]) => [argv.slice(0, 2).join(" "), argv[0]]));
  for (const entry of TABLE) {
    const names = entry.kind === "group"
      ? entry.commands.map((c) => `${entry.name} ${c.name}`)
      : [entry.name];
    for (const name of names) {
      assert.ok(covered.has(name), `no plan row for ${name}`);
    }
  }
});

Deno.test("a plan that cannot be computed is a usage error, before anything runs", () => {
  const bad: string[][] = [
    ["files", "serve", "/nonexistent/share"],
    ["tftp", "serve", "/nonexistent/share"],
    ["serve", new URL(import.meta.url).pathname],
    ["tcp", "listen", "70000"],
    ["udp", "listen", "5000", "--multicast", "10.0.0.1"],
    ["http", "get", "ftp://example.com/"],
    ["tcp", "listen", "9000", "--allow", "10.0.0.0/33"],
    ["serve", "--deny", "nonsense"],
    ["tcp", "listen", "9000", "--exec", "cat | tr a b"],
    ["tcp", "connect", "127.0.0.1:7", "--exec", "'unterminated"],
  ];
  for (const argv of bad) assert.throws(() => plan(argv), UsageError, argv.join(" "));
});

Deno.test("--help shows the plan with placeholders, generated from the same plan code", () => {
  const help = (group: string, name: string) => {
    const entry = TABLE.find((e) => e.name === group);
    const command = entry?.kind === "group" ? entry.commands.find((c) => c.name === name) : entry;
    if (!command || command.kind !== "command") throw new Error(`${group} ${name}`);
    return permissionsHelp(command);
  };
  assert.equal(
    help("tcp", "listen"),
    "--allow-net=HOST:PORT (with --log: --allow-write=FILE) (with --exec: --allow-run=PROGRAM) " +
      "(with --cert: --allow-read=FILE) (with --key: --allow-read=FILE) " +
      "(with --client-ca: --allow-read=FILE)",
  );
  assert.equal(help("ip", "calc"), "none");
  assert.equal(
    help("files", "serve"),
    "--allow-net=HOST:PORT --allow-read=DIR (with --allow-upload: --allow-write=DIR)" +
      " (with --cert: --allow-read=FILE) (with --key: --allow-read=FILE)" +
      " (with --client-ca: --allow-read=FILE)" +
      " (with --announce: --allow-net=0.0.0.0:9009,239.255.90.90:9009,255.255.255.255:9009)",
  );
  assert.match(help("http", "get"), /\(with --location: --allow-net\)/);
  assert.equal(help("ip", "ifaces"), "--allow-sys=networkInterfaces");
});
