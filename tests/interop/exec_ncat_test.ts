/**
 * `sockit tcp listen --exec` against Nmap's `ncat -l --exec` (and
 * `--sh-exec`): the same program fed the same input gives the client the
 * same bytes back from both. In CI a missing ncat fails; elsewhere it skips.
 *
 * ncat (7.x) ends the whole session when the client half-closes, before the
 * program's answer is out (sockit passes the half-close on as stdin's end and
 * sends the answer: see tests/e2e/exec_test.ts), so every program here ends
 * by itself after a known amount of input and the client never half-closes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, skipWithout, sockit, Spawned } from "../helpers/harness.ts";
import { readAll, send } from "../helpers/net.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Sends `input` and returns every byte until the server closes. */
async function exchange(port: number, input: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const answer = readAll(conn);
    await send(conn, input).catch(() => {}); // a program may stop reading early
    return await answer;
  } finally {
    conn.close();
  }
}

interface Case {
  name: string;
  /** ncat's options for the program (`--exec` takes a full path; `--sh-exec` a shell line). */
  ncat: string[];
  /** The same program for sockit, and the program its plan allows. */
  sockit: string;
  run: string;
  input: Uint8Array;
}

const ALL_BYTES = Uint8Array.from({ length: 256 * 64 }, (_, i) => i % 256);
const MIB = 1024 * 1024;

const CASES: Case[] = [
  {
    name: "head -c on every byte value",
    ncat: ["--exec", "/usr/bin/head -c 16384"],
    sockit: "head -c 16384",
    run: "head",
    input: ALL_BYTES,
  },
  {
    name: "head -c on 1 MiB",
    ncat: ["--exec", `/usr/bin/head -c ${MIB}`],
    sockit: `head -c ${MIB}`,
    run: "head",
    input: new Uint8Array(MIB).map((_, i) => (i * 7) % 251),
  },
  {
    name: "tr and sort behind head -n in a shell line",
    ncat: ["--sh-exec", "head -n 3 | tr a-z A-Z | sort"],
    sockit: `sh -c "head -n 3 | tr a-z A-Z | sort"`,
    run: "sh",
    input: enc("pear\napple\nfig\n"),
  },
  {
    name: "a shell line that writes before and after reading, and to stderr",
    ncat: [
      "--sh-exec",
      'printf \'start\\000\\377\\n\'; read a; read b; echo "$b $a" >&2; echo "$b/$a"',
    ],
    sockit:
      `sh -c "printf 'start\\\\000\\\\377\\\\n'; read a; read b; echo \\"$b $a\\" >&2; echo \\"$b/$a\\""`,
    run: "sh",
    input: enc("one\ntwo\n"),
  },
  {
    name: "a program that exits without reading",
    ncat: ["--exec", "/bin/echo early"],
    sockit: "echo early",
    run: "echo",
    input: enc("never read\n"),
  },
];

for (const c of CASES) {
  Deno.test({
    name: `tcp listen --exec gives the same bytes as ncat --exec: ${c.name}`,
    ignore: skipWithout("ncat"),
    async fn() {
      const port = freePort();
      await using ncat = new Spawned("ncat", ["-v", "-l", "127.0.0.1", String(port), ...c.ncat]);
      await ncat.waitFor(/Listening on 127\.0\.0\.1:\d+/);
      const fromNcat = await exchange(port, c.input);

      await using server = sockit(["tcp", "listen", "0", "--exec", c.sockit], [
        "--allow-net=127.0.0.1",
        `--allow-run=${c.run}`,
      ]);
      const fromSockit = await exchange(await server.port(), c.input);

      assert.ok(fromNcat.length > 0, "ncat answered");
      assert.equal(fromSockit.length, fromNcat.length);
      assert.deepEqual(fromSockit, fromNcat);
      assert.equal((await server.finish()).code, 0);
    },
  });
}
