import assert from "node:assert/strict";
import { runSockit, sockit } from "../helpers/harness.ts";
import { SERVICES } from "../../src/serve/command.ts";

Deno.test({
  name: "sockit serve starts every service, each answers, Ctrl-C exits 130",
  // serve uses fixed well-known-style ports; skip when another program holds one.
  ignore: !SERVICES.every((s) => portFree(s.port, s.transport)),
  async fn() {
    await using server = sockit(["serve", "docs"], ["--allow-net=127.0.0.1", "--allow-read=docs"], {
      cwd: new URL("../..", import.meta.url).pathname,
    });
    for (const s of SERVICES) await server.port({ label: s.label });
    await server.waitFor(/try: .*greet|greet .*try:/);
    const echo = await runSockit(["tcp", "connect", "127.0.0.1:7007"], { input: "hello" });
    assert.equal(echo.stdout, "hello");
    const stamp = await runSockit(["tcp", "connect", "127.0.0.1:1313"], { input: "hi\n" });
    assert.match(stamp.stdout, /^\[.+Z\] hi\n$/);
    const greet = await runSockit(["tcp", "connect", "127.0.0.1:7070"], { input: "Ada\n" });
    assert.equal(greet.stdout, "Welcome to sockit!\nHello, Ada!\n");
    const ls = await runSockit(["files", "ls", "127.0.0.1:9000"]);
    assert.match(ls.stdout, /^f \d+ \S+Z file-protocol\.md$/m);
    const tftp = await runSockit(["tftp", "get", "127.0.0.1:6969", "file-protocol.md", "-o", "-"]);
    assert.equal(tftp.code, 0, tftp.stderr);
    assert.equal(
      tftp.stdout,
      await Deno.readTextFile(new URL("../../docs/file-protocol.md", import.meta.url)),
    );
    const page = await runSockit(["http", "get", "http://127.0.0.1:8080/file-protocol.md"]);
    assert.equal(page.code, 0, page.stderr);
    server.kill("SIGINT");
    const { code, stderr } = await server.finish();
    assert.equal(code, 130);
    // The HTTP face's client counts too: echo, stamp, greet, files and http.
    assert.match(stderr, /stopped: 5 connections served/);
    assert.match(stderr, /^stopped: .*, TFTP 1 sent, 0 received, 0 refused, 0 failed \(/m);
  },
});

function portFree(port: number, transport: "tcp" | "udp"): boolean {
  try {
    if (transport === "tcp") Deno.listen({ hostname: "127.0.0.1", port }).close();
    else Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" }).close();
    return true;
  } catch {
    return false;
  }
}

/** A port offset under which every service's port is free now, or undefined. */
function freeOffset(): number | undefined {
  for (const offset of [20000, 21000, 22000, 23000]) {
    if (SERVICES.every((s) => portFree(s.port + offset, s.transport))) return offset;
  }
  return undefined;
}

Deno.test("serve --port-offset moves every port; a busy port is reported and the others keep running", async () => {
  const offset = freeOffset();
  if (offset === undefined) return;
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 8080 + offset });
  try {
    await using server = sockit(
      ["serve", "docs", "--port-offset", String(offset)],
      ["--allow-net=127.0.0.1", "--allow-read=docs"],
      { cwd: new URL("../..", import.meta.url).pathname },
    );
    await server.waitFor(/^sockit serve: 8 services on 127\.0\.0\.1/m);
    assert.match(
      server.stderr,
      new RegExp(
        `not started: http: 127\\.0\\.0\\.1:${
          8080 + offset
        } is in use \\(try --port-offset or --skip http\\)`,
      ),
    );
    const echo = await runSockit(["tcp", "connect", `127.0.0.1:${7007 + offset}`], { input: "hi" });
    assert.equal(echo.stdout, "hi");
    server.kill("SIGINT");
    const { code } = await server.finish();
    assert.equal(code, 130);
  } finally {
    busy.close();
  }
});

Deno.test("serve --only and --skip choose services by name; an unknown name is a usage error", async () => {
  const offset = freeOffset();
  if (offset === undefined) return;
  await using server = sockit(
    [
      "serve",
      "docs",
      "--port-offset",
      String(offset),
      "--only",
      "echo,stamp,tftp",
      "--skip",
      "tftp",
    ],
    ["--allow-net=127.0.0.1", "--allow-read=docs"],
    { cwd: new URL("../..", import.meta.url).pathname },
  );
  await server.waitFor(/^sockit serve: 2 services on 127\.0\.0\.1/m);
  assert.doesNotMatch(server.stderr, /\((files|http|greet|chat|tftp)\)/);
  server.kill("SIGINT");
  assert.equal((await server.finish()).code, 130);
  const bad = await runSockit(["serve", "--skip", "ftp"], { permissions: [] });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot use --skip "ftp": services are files, http/);
});

Deno.test("serve exits 1 when no service could start", async () => {
  const offset = freeOffset();
  if (offset === undefined) return;
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 7007 + offset });
  try {
    const { code, stderr } = await runSockit(
      ["serve", "docs", "--port-offset", String(offset), "--only", "echo"],
      { permissions: ["--allow-net=127.0.0.1", "--allow-read=docs"] },
    );
    assert.equal(code, 1);
    assert.match(stderr, /not started: echo: .* is in use/);
    assert.match(stderr, /sockit: error: no service started/);
  } finally {
    busy.close();
  }
});
