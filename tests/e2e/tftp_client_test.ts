/**
 * `tftp get | put` against a hostile TFTP server, played by hand with raw
 * packets: whatever it sends (an error message, option names) must reach
 * the terminal escaped.
 */

import assert from "node:assert/strict";
import type { Packet } from "../../src/tftp/packet.ts";
import { sockit } from "../helpers/harness.ts";
import { RawPeer } from "../helpers/tftp.ts";

const EVIL = "\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eevil";

/** No raw ESC, BEL, other C0 controls (but LF), C1 controls or bidi overrides. */
function assertNoRawControls(text: string) {
  // deno-lint-ignore no-control-regex
  const raw = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(raw, null, `raw control ${JSON.stringify(raw?.[0])} in ${JSON.stringify(text)}`);
}

const answers: [string, "get" | "put", Packet, RegExp][] = [
  ["an error message", "get", { op: "ERROR", code: 1, message: EVIL }, /\(TFTP error 1\)/],
  ["an upload's error message", "put", { op: "ERROR", code: 2, message: EVIL }, /TFTP error 2/],
  ["an option name", "get", { op: "OACK", options: { [EVIL]: "1" } }, /OACK was refused/],
  ["an option value", "get", { op: "OACK", options: { blksize: EVIL } }, /OACK was refused/],
];
for (const [name, command, answer, message] of answers) {
  Deno.test(`tftp ${command}: ${name} from the server is escaped on stderr`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/up.txt`, "upload\n");
      using server = new RawPeer();
      const target = `127.0.0.1:${server.port}`;
      const args = command === "get"
        ? ["tftp", "get", target, "x.bin", "-o", `${dir}/x.bin`, "--retries", "1"]
        : ["tftp", "put", target, `${dir}/up.txt`, "--retries", "1"];
      for (const verbose of [[], ["-v"]]) {
        const client = sockit(
          [...args, ...verbose],
          ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
          { stdin: "null" },
        );
        const request = await server.next();
        assert.ok(request, "the client sent a request");
        await server.send(answer, request.port);
        const { code, stderr } = await client.finish(15_000);
        assert.equal(code, 1, stderr);
        assert.match(stderr, message);
        assertNoRawControls(stderr);
        // The client may answer an OACK it refuses with an ERROR: read it before the next run.
        await server.next(answer.op === "OACK" ? 2_000 : 1);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
