import assert from "node:assert/strict";
import { greetResponder, stampResponder } from "../../src/tcp/responder.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array[]) => b.map((x) => new TextDecoder().decode(x));

Deno.test("stampResponder() answers [ISO-8601] LINE", () => {
  const responder = stampResponder(() => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)));
  assert.deepEqual(responder.open(), []);
  const { replies, close } = responder.line(enc("hello"));
  assert.deepEqual(dec(replies), ["[2026-01-02T03:04:05.006Z] hello\n"]);
  assert.equal(close, false);
});

Deno.test("stampResponder() keeps the line's raw bytes", () => {
  const raw = new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]); // GBK, not UTF-8
  const [reply] = stampResponder(() => new Date(0)).line(raw).replies;
  assert.deepEqual(reply!.subarray(reply!.length - 5), new Uint8Array([...raw, 0x0a]));
});

Deno.test("greetResponder() greets, answers names and closes on exit", () => {
  const responder = greetResponder({ greeting: "Hi there" });
  assert.deepEqual(dec(responder.open()), ["Hi there\n"]);
  assert.deepEqual(dec(responder.line(enc(" Ada ")).replies), ["Hello, Ada!\n"]);
  assert.deepEqual(responder.line(enc("")), { replies: [], close: false });
  const bye = responder.line(enc("exit"));
  assert.equal(bye.close, true);
  assert.deepEqual(dec(bye.replies), ["Bye!\n"]);
});

Deno.test("greetResponder() default greeting is 'Welcome to sockit!'", () => {
  assert.deepEqual(dec(greetResponder().open()), ["Welcome to sockit!\n"]);
});
