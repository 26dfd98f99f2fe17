import assert from "node:assert/strict";
import { sameNick } from "../../src/chat/nick.ts";
import { Relay } from "../../src/chat/relay.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Pairs of names that must be one name in a room: they look the same. */
const sameRows: [string, string, string][] = [
  ["case", "Ada", "ADA"],
  ["Cyrillic capital A", "Ada", "\u0410da"],
  ["Cyrillic small a", "Ada", "Ad\u0430"],
  ["Cyrillic o, e, p, c", "copper", "\u0441\u043e\u0440\u0440\u0435r"],
  ["Cyrillic x, y, i, j, s", "xyijs", "\u0445\u0443\u0456\u0458\u0455"],
  ["Cyrillic capitals B, H, K, M, T", "BHKMT", "\u0412\u041d\u041a\u041c\u0422"],
  [
    "Greek capitals A, B, E, Z, H, I, K, M, N, O, P, T, Y, X",
    "ABEZHIKMNOPTYX",
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
  ],
  ["Greek small o, a, i, k, p", "oaikp", "\u03bf\u03b1\u03b9\u03ba\u03c1"],
  ["Greek small nu is v", "vivid", "\u03bdi\u03bdid"],
  ["fullwidth letters", "Ada", "\uff21\uff44\uff41"],
  ["fullwidth capital A", "Ada", "\uff21da"],
  ["mathematical bold", "Ada", "\u{1d400}\u{1d41d}\u{1d41a}"],
  ["ligature fi", "fin", "\ufb01n"],
  ["Kelvin sign", "Kate", "\u212aate"],
  ["sharp s", "strasse", "stra\u00dfe"],
  ["fullwidth digits", "user1", "user\uff11"],
  ["superscript two", "r2", "r\u00b2"],
  ["a Cyrillic name in capitals", "мария", "МАРИЯ"],
  ["a Greek name in capitals", "νίκος", "ΝΊΚΟΣ"],
  ["final sigma", "ΟΔΟΣ", "οδος"],
];
for (const [name, a, b] of sameRows) {
  Deno.test(`sameNick() is true for ${name}: "${a}" and "${b}"`, () => {
    assert.equal(sameNick(a, b), true);
    assert.equal(sameNick(b, a), true);
  });
}

/** Pairs that must stay two names: they read differently. */
const differentRows: [string, string, string][] = [
  ["different letters", "Ada", "Ida"],
  ["an accent", "Jose", "José"],
  ["Cyrillic words that are not look-alikes", "Дмитрий", "Дмитрии"],
  ["Chinese names", "李雷", "韩梅梅"],
  ["a digit", "user1", "user2"],
  ["underscore and dot", "a_b", "a.b"],
];
for (const [name, a, b] of differentRows) {
  Deno.test(`sameNick() keeps ${name} apart: "${a}" and "${b}"`, () => {
    assert.equal(sameNick(a, b), false);
  });
}

const lookAlikeRows: [string, string][] = [
  ["Cyrillic А", "\u0410da"],
  ["fullwidth Ａ", "\uff21da"],
  ["all fullwidth", "\uff21\uff44\uff41"],
  ["Greek Α", "\u0391da"],
  ["Cyrillic а at the end", "Ad\u0430"],
];
for (const [name, wanted] of lookAlikeRows) {
  Deno.test(`Relay /nick refuses a look-alike of a name in use (${name})`, () => {
    const relay = new Relay();
    relay.join(1);
    relay.join(2);
    relay.line(1, enc("/nick Ada"));
    assert.deepEqual(relay.line(2, enc(`/nick ${wanted}`)), [
      { kind: "send", to: 2, line: `* name ${wanted} is taken (it looks like Ada)` },
    ]);
    assert.deepEqual(relay.names(), ["Ada", "user2"]);
  });
}

Deno.test("Relay: a look-alike taken first keeps the plain name from being used", () => {
  const relay = new Relay();
  relay.join(1);
  relay.join(2);
  relay.line(1, enc("/nick \u0410da"));
  assert.deepEqual(relay.line(2, enc("/nick Ada")), [
    { kind: "send", to: 2, line: "* name Ada is taken (it looks like \u0410da)" },
  ]);
});

Deno.test("Relay: a client may change its own name to a look-alike or another case", () => {
  const relay = new Relay();
  relay.join(1);
  relay.line(1, enc("/nick Ada"));
  assert.deepEqual(relay.line(1, enc("/nick ADA")), [
    { kind: "broadcast", line: "* Ada is now known as ADA" },
  ]);
});

Deno.test("Relay /msg finds the holder of a name by its look-alike key", () => {
  const relay = new Relay();
  relay.join(1);
  relay.join(2);
  relay.line(2, enc("/nick Ada"));
  assert.deepEqual(relay.line(1, enc("/msg \uff21da hi")), [
    { kind: "send", to: 2, line: "*user1* hi" },
  ]);
});

Deno.test("Relay.join() skips a default name that a look-alike holds", () => {
  const relay = new Relay();
  relay.join(1);
  relay.line(1, enc("/nick user\uff12"));
  relay.join(2);
  assert.deepEqual(relay.names(), ["user\uff12", "user3"]);
});

Deno.test("Relay: a name is free again for look-alikes once its holder leaves", () => {
  const relay = new Relay();
  relay.join(1);
  relay.join(2);
  relay.line(1, enc("/nick Ada"));
  relay.leave(1);
  assert.deepEqual(relay.line(2, enc("/nick \u0410da")), [
    { kind: "broadcast", line: "* user2 is now known as \u0410da" },
  ]);
});
