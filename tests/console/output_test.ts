import assert from "node:assert/strict";
import { CliError } from "../../src/console/errors.ts";
import { eventJson, Output } from "../../src/console/output.ts";
import { count } from "../../src/console/format.ts";

function capture(json: boolean) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = new Output({
    json,
    stdout: { write: (p) => (stdout.push(new TextDecoder().decode(p)), Promise.resolve(p.length)) },
    stderr: { writeSync: (p) => (stderr.push(new TextDecoder().decode(p)), p.length) },
  });
  return { out, stdout, stderr };
}

Deno.test("eventJson() rounds seconds to the millisecond and other fractions to three decimals", () => {
  assert.equal(
    eventJson({ event: "saved", seconds: 0.058791158999999996, rate: 1234.56789, size: 12 }),
    '{"event":"saved","seconds":0.059,"rate":1234.568,"size":12}',
  );
  assert.equal(
    eventJson({ event: "x", nested: { seconds: 1.00049 } }),
    '{"event":"x","nested":{"seconds":1}}',
  );
});

Deno.test("Output.error() with --json also writes an error event on stdout", async () => {
  const { out, stdout, stderr } = capture(true);
  out.error(new CliError("connection refused by 127.0.0.1:9", { hint: "is it running?" }));
  await out.flush();
  assert.deepEqual(JSON.parse(stdout.join("")), {
    event: "error",
    message: "connection refused by 127.0.0.1:9",
    hint: "is it running?",
    exitCode: 1,
  });
  assert.match(stderr.join(""), /^sockit: error: connection refused/);
});

Deno.test("Output.error() without --json writes stderr only", async () => {
  const { out, stdout } = capture(false);
  out.error(new CliError("nope", { exitCode: 2 }));
  await out.flush();
  assert.deepEqual(stdout, []);
});

Deno.test("count() puts the noun in the right number", () => {
  assert.equal(count(0, "connection"), "0 connections");
  assert.equal(count(1, "connection"), "1 connection");
  assert.equal(count(2, "datagram"), "2 datagrams");
  assert.equal(count(1, "entry", "entries"), "1 entry");
  assert.equal(count(5, "entry", "entries"), "5 entries");
});
