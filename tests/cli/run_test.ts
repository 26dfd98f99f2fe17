import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { TABLE } from "../../src/cli/table.ts";
import { Output } from "../../src/console/output.ts";

/** Runs sockit in this process with stdout and stderr captured through the output seam. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const code = await runCli(argv, TABLE, {
    version: "0.0.0-test",
    signal: new AbortController().signal,
    output: (flags) =>
      new Output({
        ...flags,
        stdout: { write: (p) => (stdout.push(p.slice()), Promise.resolve(p.length)) },
        stderr: { writeSync: (p) => (stderr.push(p.slice()), p.length) },
      }),
  });
  const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c)).join("");
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("runCli() runs a command in-process: ip calc --json on the captured stdout", async () => {
  const { code, stdout, stderr } = await run(["ip", "calc", "10.0.0.0/24", "--json"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  const event = JSON.parse(stdout);
  assert.equal(event.event, "result");
  assert.equal(event.broadcast, "10.0.0.255");
  assert.equal(event.hosts, "254");
});

Deno.test("runCli() maps bad input to exit 2 with one error line and a hint", async () => {
  const bad = await run(["ip", "info", "1.2.3.256"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^sockit: error: .*1\.2\.3\.256/);
  const unknown = await run(["ip", "nope"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^sockit: error: unknown command "ip nope"\nhint: commands: /);
  const option = await run(["ip", "info", "1.2.3.4", "--bogus"]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /unknown option "--bogus"\nhint: usage: sockit ip info ADDRESS/);
});

Deno.test("runCli() answers a false predicate with exit 1 and no error", async () => {
  const { code, stdout, stderr } = await run([
    "ip",
    "same",
    "10.0.0.1",
    "10.0.1.1",
    "--mask",
    "/24",
  ]);
  assert.equal(code, 1);
  assert.match(stdout, /different subnets/);
  assert.equal(stderr, "");
});

Deno.test("runCli() takes global options before the group too", async () => {
  const before = await run(["--json", "ip", "calc", "10.0.0.0/30"]);
  const after = await run(["ip", "calc", "10.0.0.0/30", "--json"]);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(before.stdout, after.stdout);
  assert.equal(JSON.parse(before.stdout).hosts, "2");
  const quiet = await run(["-q", "--json", "ip", "info", "::1"]);
  assert.equal(JSON.parse(quiet.stdout).scope, "loopback");
});

Deno.test("help lists -v only where it adds something, with what it adds", async () => {
  const { commandHelp } = await import("../../src/cli/help.ts");
  for (const entry of TABLE) {
    const commands = entry.kind === "group" ? entry.commands : [entry];
    for (const command of commands) {
      const help = commandHelp(command, entry.kind === "group" ? entry : undefined);
      if (command.verbose) {
        assert.ok(help.includes(`-v, --verbose`) && help.includes(command.verbose));
      } else assert.ok(!help.includes("--verbose"), `${entry.name} ${command.name} lists -v`);
    }
  }
});
