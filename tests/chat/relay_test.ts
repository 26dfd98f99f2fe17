import assert from "node:assert/strict";
import { type Effect, Relay, stripControls } from "../../src/chat/relay.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The line an effect carries ("" for close). */
const lineOf = (effect: Effect | undefined) => effect && "line" in effect ? effect.line : "";

/** A relay with clients 1..n joined; returns it with the join effects dropped. */
function room(n: number): Relay {
  const relay = new Relay();
  for (let id = 1; id <= n; id++) relay.join(id);
  return relay;
}

Deno.test("Relay.join() names clients userN, welcomes them and tells the others", () => {
  const relay = new Relay();
  assert.deepEqual(relay.join(7), [
    {
      kind: "send",
      to: 7,
      line: "* welcome, you are user1 (commands: /nick NAME, /who, /msg NAME TEXT, /quit)",
    },
    { kind: "broadcast", except: 7, line: "* user1 joined" },
  ]);
  relay.join(8);
  assert.deepEqual(relay.names(), ["user1", "user2"]);
});

Deno.test("Relay.join() skips a default name someone took with /nick", () => {
  const relay = room(1);
  relay.line(1, enc("/nick user2"));
  relay.join(2);
  assert.deepEqual(relay.names(), ["user2", "user3"]);
});

Deno.test("Relay.line() relays text to all other clients as <NAME> TEXT", () => {
  const relay = room(3);
  assert.deepEqual(relay.line(2, enc("hello all")), [
    { kind: "broadcast", except: 2, line: "<user2> hello all" },
  ]);
});

Deno.test("Relay.line() strips control characters and ANSI sequences", () => {
  const relay = room(2);
  const [effect] = relay.line(1, enc("\x1b[2J\x1b[31mred\x1b[0m\x07 a\tb\x1b]0;title\x07!"));
  assert.deepEqual(effect, { kind: "broadcast", except: 1, line: "<user1> red a b!" });
  assert.deepEqual(relay.line(1, enc("\x1b[31m\x00")), [], "nothing left: nothing sent");
});

Deno.test("Relay.line() refuses invalid UTF-8 with a notice to the sender only", () => {
  const relay = room(2);
  assert.deepEqual(relay.line(1, new Uint8Array([0x68, 0xff])), [
    { kind: "send", to: 1, line: "* not sent: the line is not valid UTF-8" },
  ]);
});

Deno.test("Relay.tooLong() tells the sender only", () => {
  assert.deepEqual(room(1).tooLong(1), [
    { kind: "send", to: 1, line: "* not sent: lines are at most 4096 bytes" },
  ]);
});

const nickRows: [string, Effect[]][] = [
  ["/nick Ada", [{ kind: "broadcast", line: "* user1 is now known as Ada" }]],
  ["/nick", [{ kind: "send", to: 1, line: "* usage: /nick NAME" }]],
  ["/nick   ", [{ kind: "send", to: 1, line: "* usage: /nick NAME" }]],
  ["/nick user2", [{ kind: "send", to: 1, line: "* name user2 is taken" }]],
  ["/nick USER2", [{ kind: "send", to: 1, line: "* name USER2 is taken" }]],
  ["/nick user1", [{ kind: "send", to: 1, line: "* you are already user1" }]],
  ["/nick two words", [{
    kind: "send",
    to: 1,
    line: '* bad name "two words": use letters, digits, _ . -',
  }]],
  ["/nick " + "x".repeat(33), [{ kind: "send", to: 1, line: "* names are at most 32 characters" }]],
  ["/nick 李雷", [{ kind: "broadcast", line: "* user1 is now known as 李雷" }]],
];
for (const [line, effects] of nickRows) {
  Deno.test(`Relay: "${line.slice(0, 20)}" → ${lineOf(effects[0]).slice(0, 40)}`, () => {
    assert.deepEqual(room(2).line(1, enc(line)), effects);
  });
}

Deno.test("Relay /who lists the names; /msg reaches one client as *NAME* TEXT", () => {
  const relay = room(3);
  relay.line(2, enc("/nick Bob"));
  assert.deepEqual(relay.line(1, enc("/who")), [
    { kind: "send", to: 1, line: "* 3 online: user1, Bob, user3" },
  ]);
  assert.deepEqual(relay.line(1, enc("/msg bob  psst,  secret ")), [
    { kind: "send", to: 2, line: "*user1* psst,  secret" },
  ]);
  assert.deepEqual(relay.line(1, enc("/msg nobody hi")), [
    { kind: "send", to: 1, line: "* no such user: nobody" },
  ]);
  assert.deepEqual(relay.line(1, enc("/msg Bob")), [
    { kind: "send", to: 1, line: "* usage: /msg NAME TEXT" },
  ]);
});

Deno.test("Relay /quit says bye and closes; leave() tells the others once", () => {
  const relay = room(2);
  assert.deepEqual(relay.line(2, enc("/quit")), [
    { kind: "send", to: 2, line: "* bye" },
    { kind: "close", id: 2, reason: "quit" },
  ]);
  assert.deepEqual(relay.leave(2), [{ kind: "broadcast", except: 2, line: "* user2 left" }]);
  assert.deepEqual(relay.leave(2), []);
  assert.deepEqual(relay.leave(1, "not reading"), [
    { kind: "broadcast", except: 1, line: "* user1 left (not reading)" },
  ]);
  assert.deepEqual(relay.names(), []);
});

Deno.test("Relay: unknown commands get help; // sends a literal slash; blank lines are ignored", () => {
  const relay = room(2);
  assert.match(lineOf(relay.line(1, enc("/dance"))[0]), /^\* unknown command \/dance \(commands:/);
  assert.deepEqual(relay.line(1, enc("//slash")), [
    { kind: "broadcast", except: 1, line: "<user1> /slash" },
  ]);
  assert.deepEqual(relay.line(1, enc("   ")), []);
  assert.deepEqual(relay.line(99, enc("who?")), [], "unknown client");
});

Deno.test("stripControls() keeps ordinary Unicode text", () => {
  assert.equal(stripControls("héllo, 世界 👋"), "héllo, 世界 👋");
  assert.equal(stripControls("\u202eevil"), "evil");
});
