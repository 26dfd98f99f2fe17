/**
 * The chat relay with real OpenBSD netcat clients: joining, talking,
 * private messages, leaving. In CI a missing nc fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { skipWithout, sockit, Spawned } from "../helpers/harness.ts";

Deno.test({
  name: "chat serve with two OpenBSD nc clients: talk, /msg, /who, leave",
  ignore: skipWithout("nc"),
  async fn() {
    await using server = sockit(["chat", "serve", "0"]);
    const port = String(await server.port());
    await using ada = new Spawned("nc", ["-N", "127.0.0.1", port]);
    await ada.waitFor(/you are user1/, { on: "stdout" });
    await using bob = new Spawned("nc", ["-N", "127.0.0.1", port]);
    await bob.waitFor(/you are user2/, { on: "stdout" });
    await ada.waitFor(/\* user2 joined\n/, { on: "stdout" });
    await ada.write("/nick Ada\n");
    await bob.waitFor(/\* user1 is now known as Ada\n/, { on: "stdout" });
    await bob.write("/nick Bob\n");
    await ada.waitFor(/\* user2 is now known as Bob\n/, { on: "stdout" });
    await ada.write("hello Bob\n");
    await bob.waitFor(/<Ada> hello Bob\n/, { on: "stdout" });
    await bob.write("/msg Ada a secret\n");
    await ada.waitFor(/\*Bob\* a secret\n/, { on: "stdout" });
    await bob.write("/who\n");
    await bob.waitFor(/\* 2 online: Ada, Bob\n/, { on: "stdout" });
    await bob.closeStdin(); // nc -N shuts down: Bob leaves
    const bobDone = await bob.finish();
    assert.equal(bobDone.code, 0);
    await ada.waitFor(/\* Bob left\n/, { on: "stdout" });
    assert.doesNotMatch(ada.stdout, /hello Bob/, "no echo of one's own line");
    await ada.closeStdin();
    assert.equal((await ada.finish()).code, 0);
    await server.waitFor(/closed[\s\S]*closed/);
  },
});
