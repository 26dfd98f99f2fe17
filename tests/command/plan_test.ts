import assert from "node:assert/strict";
import { parentOf, planFlags, planLine, Planner, unusedKinds } from "../../src/command/plan.ts";

Deno.test("Planner: a host covers its HOST:PORT grants, in either order", () => {
  const p = new Planner();
  p.hostPort("127.0.0.1", 9000);
  p.hostPort("127.0.0.1", 0);
  p.host("127.0.0.1");
  p.hostPort("127.0.0.1", 8080);
  p.hostPort("::1", 53);
  assert.deepEqual(p.plan.net, ["127.0.0.1", "[::1]:53"]);
});

Deno.test("Planner: all of a kind swallows its values; values never repeat", () => {
  const p = new Planner();
  p.read("./share");
  p.read("./share");
  p.grant("net", "example.com:80");
  p.grant("net");
  p.grant("net", "other:1");
  assert.deepEqual(p.plan, { read: ["./share"], net: true });
});

Deno.test("Planner.address: Unix sockets need net, read and write of the path", () => {
  const p = new Planner();
  p.address("unix:/tmp/s", () => ({ transport: "unix", path: "/tmp/s" }));
  assert.deepEqual(p.plan, { net: ["unix:/tmp/s"], read: ["/tmp/s"], write: ["/tmp/s"] });
});

Deno.test("Planner.answerPeers: loopback peers by host (localhost both loopbacks), others need all", () => {
  const loop = new Planner();
  loop.answerPeers("localhost", true);
  assert.deepEqual(loop.plan.net, ["localhost", "127.0.0.1", "[::1]"]);
  const lan = new Planner();
  lan.answerPeers("0.0.0.0", false);
  assert.equal(lan.plan.net, true);
});

Deno.test("Planner in describe mode turns placeholders into placeholders", () => {
  const p = new Planner({ describe: true });
  p.address("ADDR", () => {
    throw new Error("a placeholder is never parsed");
  });
  p.besides("LOCAL");
  p.host("HOST");
  assert.equal(planLine(p.plan), "--allow-net=HOST --allow-read=LOCAL_DIR --allow-write=LOCAL_DIR");
});

Deno.test("parentOf() gives the folder a path is in, as the user would write it", () => {
  const rows: [string, string][] = [
    ["x.html", "."],
    ["out/x.html", "out"],
    ["/tmp/x", "/tmp"],
    ["/x", "/"],
    ["a/b/", "a"],
    ["./x", "."],
  ];
  for (const [path, dir] of rows) assert.equal(parentOf(path), dir, path);
});

Deno.test("planFlags() and planLine(): fixed kind order, shell quoting where needed", () => {
  const plan = {
    write: ["my dir"],
    net: ["127.0.0.1:9000", "[::1]:9000"],
    sys: ["networkInterfaces"],
  };
  assert.deepEqual(planFlags(plan), [
    "--allow-net=127.0.0.1:9000,[::1]:9000",
    "--allow-write=my dir",
    "--allow-sys=networkInterfaces",
  ]);
  assert.equal(
    planLine(plan),
    "--allow-net=127.0.0.1:9000,[::1]:9000 '--allow-write=my dir' --allow-sys=networkInterfaces",
  );
  assert.equal(planLine({}), "");
  assert.equal(planLine({ net: true }), "--allow-net");
});

Deno.test("unusedKinds(): what a compiled binary revokes for a plan", () => {
  assert.deepEqual(unusedKinds({}), ["net", "read", "write", "sys", "run", "env"]);
  assert.deepEqual(unusedKinds({ net: ["127.0.0.1:9000"], read: ["."] }), [
    "write",
    "sys",
    "run",
    "env",
  ]);
  assert.deepEqual(unusedKinds({ sys: ["networkInterfaces"] }), [
    "net",
    "read",
    "write",
    "run",
    "env",
  ]);
});
