/**
 * `deno task install` gives a `sockit` command whose every run is confined
 * to its command's plan; `deno task uninstall` removes it. Installs into a
 * temporary DENO_INSTALL_ROOT, never the user's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DENO, Spawned } from "../helpers/harness.ts";

const INSTALL = new URL("../../scripts/install.ts", import.meta.url).pathname;

async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    env,
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("deno task install gives a sockit command confined to each command's plan", async () => {
  const root = await Deno.makeTempDir({ prefix: "sockit-install-" });
  const env = { DENO_INSTALL_ROOT: root, PATH: "/usr/bin:/bin" };
  try {
    const installed = await run(DENO, ["run", "-A", INSTALL], env);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, new RegExp(`installed ${root}/bin/sockit`));
    assert.match(installed.stdout, /is not on your PATH; add it/);
    const bin = `${root}/bin/sockit`;

    const info = await run(bin, ["ip", "info", "1.2.3.4"], env);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^scope +global$/m);
    const plan = await run(bin, ["--permissions", "tcp", "listen", "9000"], env);
    assert.equal(plan.stdout, "--allow-net=127.0.0.1:9000\n");
    const bad = await run(bin, ["tcp", "listen", "70000"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^sockit: error: Cannot parse port "70000"/);

    // The sandbox: a run of files serve reads inside its share and nowhere else.
    await Deno.mkdir(`${root}/share`);
    await Deno.writeTextFile(`${root}/share/a.txt`, "inside\n");
    await Deno.writeTextFile(`${root}/secret.txt`, "outside\n");
    for (
      const [path, result] of [[`${root}/secret.txt`, /denied \(NotCapable\)/], [
        `${root}/share/a.txt`,
        /7 bytes/,
      ]] as const
    ) {
      await using server = new Spawned(bin, [
        "--debug-read",
        path,
        "files",
        "serve",
        `${root}/share`,
        "--listen",
        "0",
      ], { env });
      await server.port();
      const [line] = await server.waitFor(new RegExp(`^debug: read ${path}: .*$`, "m"));
      assert.match(line, result);
      server.kill("SIGINT");
      const { code, stderr } = await server.finish();
      assert.equal(code, 130, stderr);
      assert.match(stderr, /^stopped: 0 connections served/m);
    }
    // A pure command runs with no permission at all.
    const pure = await run(
      bin,
      ["--debug-read", `${root}/share/a.txt`, "ip", "calc", "10.0.0.0/8"],
      env,
    );
    assert.equal(pure.code, 0, pure.stderr);
    assert.match(pure.stderr, /denied \(NotCapable\)/);

    const removed = await run(DENO, ["run", "-A", INSTALL, "--uninstall"], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(await Deno.stat(bin).then(() => true, () => false), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
