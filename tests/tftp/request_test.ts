import assert from "node:assert/strict";
import { TftpParseError } from "../../src/tftp/packet.ts";
import type { Packet } from "../../src/tftp/packet.ts";
import { acceptOack, GetSession, PutSession, requestOptions } from "../../src/tftp/request.ts";
import type { Action } from "../../src/tftp/session.ts";

function sent(actions: Action[]): Packet[] {
  return actions.flatMap((a) => (a.type === "send" ? [a.packet] : []));
}

function failed(actions: Action[]): string | undefined {
  const fail = actions.find((a) => a.type === "fail");
  return fail?.type === "fail" ? fail.message : undefined;
}

Deno.test("requestOptions() asks only for what differs from plain TFTP", () => {
  assert.deepEqual(requestOptions({}), {});
  assert.deepEqual(requestOptions({ blksize: 1468, windowsize: 16, timeout: 3, tsize: 0 }), {
    blksize: "1468",
    windowsize: "16",
    timeout: "3",
    tsize: "0",
  });
});

Deno.test("requestOptions() caps a window at 64 KiB in flight", () => {
  assert.deepEqual(requestOptions({ blksize: 65464, windowsize: 16 }), { blksize: "65464" });
  assert.deepEqual(requestOptions({ blksize: 8192, windowsize: 16 }), {
    blksize: "8192",
    windowsize: "8",
  });
});

Deno.test("acceptOack() takes narrowed options and the size", () => {
  const asked = { blksize: "1468", windowsize: "16", tsize: "0" };
  assert.deepEqual(acceptOack(asked, { blksize: "1024", tsize: "5000" }), {
    blksize: 1024,
    timeout: 1,
    windowsize: 1,
    tsize: 5000,
  });
  assert.deepEqual(acceptOack(asked, {}), { blksize: 512, timeout: 1, windowsize: 1 });
});

const badOacks: [string, Record<string, string>][] = [
  ["an option not asked for", { timeout: "5" }],
  ["an unknown option", { blksize: "1468", colour: "blue" }],
  ["a larger blksize", { blksize: "9000" }],
  ["a larger windowsize", { windowsize: "64" }],
  ["a blksize under 8", { blksize: "4" }],
  ["a value that is not a number", { blksize: "lots" }],
];
for (const [name, oack] of badOacks) {
  Deno.test(`acceptOack() refuses ${name} with error 8`, () => {
    assert.throws(
      () =>
        acceptOack(
          { blksize: "1468", windowsize: "16", colour: "red" },
          oack as Record<string, string>,
        ),
      (err) => err instanceof TftpParseError && err.code === 8,
    );
  });
}

Deno.test("GetSession: RRQ, OACK answered by ACK 0 (again if the OACK repeats), then DATA", () => {
  const get = new GetSession("a.bin", { blksize: 1468, tsize: 0 });
  const rrq = sent(get.start())[0];
  assert.deepEqual(rrq, {
    op: "RRQ",
    filename: "a.bin",
    mode: "octet",
    options: { blksize: "1468", tsize: "0" },
  });
  assert.equal(get.requesting, true);
  const answer = get.receive({ op: "OACK", options: { blksize: "1468", tsize: "3" } });
  assert.deepEqual(sent(answer), [{ op: "ACK", block: 0 }]);
  assert.equal(get.requesting, false);
  assert.equal(get.params?.tsize, 3);
  assert.deepEqual(sent(get.receive({ op: "OACK", options: { blksize: "1468" } })), [
    { op: "ACK", block: 0 },
  ]);
  const last = get.receive({ op: "DATA", block: 1, data: new Uint8Array([1, 2, 3]) });
  assert.deepEqual(sent(last), [{ op: "ACK", block: 1 }]);
  assert.ok(last.some((a) => a.type === "done"));
  assert.equal(get.written, 3);
});

Deno.test("GetSession: a server that ignores options sends DATA of 512", () => {
  const get = new GetSession("a.bin", { blksize: 1468 });
  get.start();
  const actions = get.receive({ op: "DATA", block: 1, data: new Uint8Array(512) });
  assert.deepEqual(sent(actions), [{ op: "ACK", block: 1 }]);
  assert.equal(get.params?.blksize, 512);
  assert.ok(!actions.some((a) => a.type === "done"), "a full block is not the last");
});

Deno.test("GetSession: ERROR 8 brings the plain request, once", () => {
  const get = new GetSession("a.bin", { blksize: 1468 });
  get.start();
  const again = get.receive({ op: "ERROR", code: 8, message: "no options" });
  assert.deepEqual(sent(again), [{ op: "RRQ", filename: "a.bin", mode: "octet", options: {} }]);
  assert.equal(get.requesting, true);
  assert.equal(get.fellBack, true);
  const refused = get.receive({ op: "ERROR", code: 8, message: "still no" });
  assert.equal(failed(refused), "still no (TFTP error 8)");
});

Deno.test("GetSession: a server ERROR fails with its message, and nothing is sent back", () => {
  const get = new GetSession("missing.bin");
  get.start();
  const actions = get.receive({ op: "ERROR", code: 1, message: "File not found" });
  assert.equal(failed(actions), "File not found (TFTP error 1)");
  assert.deepEqual(sent(actions), []);
  assert.equal(failed(get.receive({ op: "ERROR", code: 0, message: "" })), undefined, "over");
});

Deno.test("GetSession: an OACK beyond the request is refused with ERROR 8", () => {
  const get = new GetSession("a.bin", { blksize: 1024 });
  get.start();
  const actions = get.receive({ op: "OACK", options: { blksize: "65464" } });
  assert.equal(sent(actions)[0]?.op, "ERROR");
  assert.deepEqual((sent(actions)[0] as { code: number }).code, 8);
  assert.match(failed(actions) ?? "", /OACK was refused/);
});

Deno.test("GetSession: an ACK in answer to a read request is an illegal operation", () => {
  const get = new GetSession("a.bin");
  get.start();
  const actions = get.receive({ op: "ACK", block: 0 });
  assert.equal((sent(actions)[0] as { code: number }).code, 4);
  assert.match(failed(actions) ?? "", /broke the protocol/);
});

Deno.test("GetSession: the request is resent with back-off, then given up", () => {
  const get = new GetSession("a.bin", { timeout: 2, maxRetries: 2 });
  const timers = (actions: Action[]) => actions.flatMap((a) => (a.type === "timer" ? [a.ms] : []));
  assert.deepEqual(timers(get.start()), [2000]);
  const first = get.tick();
  assert.equal(sent(first)[0]?.op, "RRQ");
  assert.deepEqual(timers(first), [4000]);
  assert.deepEqual(timers(get.tick()), [8000]);
  assert.match(failed(get.tick()) ?? "", /no answer from the server/);
});

Deno.test("PutSession: WRQ, then DATA after OACK or after ACK 0", () => {
  const file = new Uint8Array(700).fill(7);
  const block = (blksize: number) => (i: number) => file.subarray(i * blksize, (i + 1) * blksize);
  const put: PutSession = new PutSession("up.bin", (i) => block(put.params!.blksize)(i), {
    blksize: 1024,
    tsize: 700,
  });
  assert.deepEqual(sent(put.start())[0], {
    op: "WRQ",
    filename: "up.bin",
    mode: "octet",
    options: { blksize: "1024", tsize: "700" },
  });
  const data = sent(put.receive({ op: "OACK", options: { blksize: "1024" } }));
  assert.equal(data.length, 1);
  assert.equal(data[0]?.op === "DATA" && data[0].data.length, 700);
  assert.deepEqual(put.receive({ op: "OACK", options: { blksize: "1024" } }), [], "repeat ignored");
  assert.ok(put.receive({ op: "ACK", block: 1 }).some((a) => a.type === "done"));

  const plain: PutSession = new PutSession(
    "up.bin",
    (i) => block(plain.params!.blksize)(i),
    {
      blksize: 1024,
    },
  );
  plain.start();
  const blocks = sent(plain.receive({ op: "ACK", block: 0 }));
  assert.equal(blocks[0]?.op === "DATA" && blocks[0].data.length, 512, "plain TFTP: 512");
  assert.deepEqual(plain.receive({ op: "ACK", block: 0 }), [], "a repeated ACK 0 is ignored");
});

Deno.test("PutSession: a DATA in answer to a write request is an illegal operation", () => {
  const put = new PutSession("up.bin", () => new Uint8Array(0));
  put.start();
  const actions = put.receive({ op: "DATA", block: 1, data: new Uint8Array(0) });
  assert.equal((sent(actions)[0] as { code: number }).code, 4);
  assert.ok(failed(actions));
});

Deno.test("acceptOack() refuses an option the client never asked for, even one named like a property", () => {
  for (const name of ["constructor", "tostring", "hasownproperty"]) {
    assert.throws(
      () => acceptOack({ blksize: "1468" }, { [name]: "4" }),
      (err) =>
        err instanceof TftpParseError && err.code === 8 && /was not requested/.test(err.message),
      name,
    );
  }
});
