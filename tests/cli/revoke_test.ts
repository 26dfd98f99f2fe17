import assert from "node:assert/strict";
import { DENO } from "../helpers/harness.ts";

const RUN = new URL("../../src/cli/run.ts", import.meta.url).href;
const TABLE = new URL("../../src/cli/table.ts", import.meta.url).href;

/** Runs `argv` through runCli with `revoke` in a process granted everything, then reports what is left. */
async function leftAfter(argv: string[]): Promise<Record<string, string>> {
  const script = `
    import { runCli } from ${JSON.stringify(RUN)};
    import { TABLE } from ${JSON.stringify(TABLE)};
    const code = await runCli(${JSON.stringify(argv)}, TABLE, {
      version: "test", signal: new AbortController().signal, revoke: true,
    });
    const left = {};
    for (const name of ["net", "read", "write", "sys", "run", "env"]) {
      left[name] = Deno.permissions.querySync({ name }).state;
    }
    console.error(JSON.stringify({ code, left }));
  `;
  const { stderr } = await new Deno.Command(DENO, {
    args: ["eval", "--no-prompt", "-A", "--ext=ts", script],
    stdout: "null",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const line = text.trim().split("\n").at(-1) ?? "";
  const { code, left } = JSON.parse(line);
  assert.equal(code, 0, text);
  return left;
}

Deno.test("runCli({ revoke }): a pure command keeps no permission kind", async () => {
  const left = await leftAfter(["ip", "info", "1.2.3.4"]);
  for (const name of ["net", "read", "write", "sys", "run", "env"]) {
    assert.notEqual(left[name], "granted", `${name} is still granted`);
  }
});

Deno.test("runCli({ revoke }): ip ifaces keeps sys and drops every other kind", async () => {
  const left = await leftAfter(["ip", "ifaces"]);
  assert.equal(left.sys, "granted");
  for (const name of ["net", "read", "write", "run", "env"]) {
    assert.notEqual(left[name], "granted", `${name} is still granted`);
  }
});
