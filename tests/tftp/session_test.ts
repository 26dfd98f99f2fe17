import assert from "node:assert/strict";
import type { Negotiated, Packet } from "../../src/tftp/packet.ts";
import { type Action, ReceiveSession, SendSession, wireBlock } from "../../src/tftp/session.ts";

/** A seeded PRNG, so every simulated network is reproducible. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Network {
  loss?: number;
  duplicate?: number;
  /** Random extra delay (ms) per packet: packets overtake each other. */
  jitter?: number;
  /** Drop everything after this many packets (a peer that vanishes). */
  cutAfter?: number;
  seed?: number;
}

/**
 * Runs a transfer of `file` between a SendSession and a ReceiveSession over
 * a simulated network, on a virtual clock, for at most `maxEvents` events.
 */
function simulate(
  file: Uint8Array,
  params: Negotiated,
  network: Network = {},
  maxEvents = 2_000_000,
) {
  const { loss = 0, duplicate = 0, jitter = 0, cutAfter = Infinity, seed = 1 } = network;
  const next = random(seed);
  const block = (i: number) => file.subarray(i * params.blksize, (i + 1) * params.blksize);
  const sender = new SendSession(block, { params });
  const receiver = new ReceiveSession({ params });
  const received: Uint8Array[] = [];
  let now = 0;
  let sent = 0;
  const stats = {
    dataSent: 0,
    acksSent: 0,
    senderDone: false,
    receiverDone: false,
    failures: [] as string[],
  };
  // Pending events: [time, kind, side, packet?]
  const queue: { at: number; to: "S" | "R"; packet?: Packet; timer?: number }[] = [];
  const timers = { S: 0, R: 0 }; // generation counters: a newer timer replaces the older
  const apply = (side: "S" | "R", actions: Action[]) => {
    for (const action of actions) {
      if (action.type === "send") {
        if (action.packet.op === "DATA") stats.dataSent++;
        if (action.packet.op === "ACK") stats.acksSent++;
        const copies = next() < duplicate ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          sent++;
          if (sent > cutAfter || next() < loss) continue;
          queue.push({
            at: now + 1 + next() * jitter,
            to: side === "S" ? "R" : "S",
            packet: action.packet,
          });
        }
      } else if (action.type === "write") {
        received.push(action.data.slice());
      } else if (action.type === "timer") {
        timers[side]++;
        queue.push({ at: now + action.ms, to: side, timer: timers[side] });
      } else if (action.type === "done") {
        if (side === "S") stats.senderDone = true;
        else stats.receiverDone = true;
      } else {
        stats.failures.push(`${side}: ${action.message}`);
      }
    }
  };
  apply("R", receiver.start());
  apply("S", sender.start());
  for (let events = 0; events < maxEvents && queue.length > 0; events++) {
    if (stats.senderDone && stats.receiverDone) break;
    let earliest = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i]!.at < queue[earliest]!.at) earliest = i;
    const event = queue.splice(earliest, 1)[0]!;
    now = event.at;
    const session = event.to === "S" ? sender : receiver;
    if (event.timer !== undefined) {
      if (event.timer === timers[event.to]) apply(event.to, session.tick());
    } else {
      apply(event.to, session.receive(event.packet!));
    }
  }
  const total = received.reduce((n, c) => n + c.length, 0);
  const output = new Uint8Array(total);
  let offset = 0;
  for (const chunk of received) {
    output.set(chunk, offset);
    offset += chunk.length;
  }
  return { output, stats, blocks: Math.floor(file.length / params.blksize) + 1 };
}

function file(size: number, seed = 7): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(next() * 256));
}

const params = (blksize: number, windowsize = 1): Negotiated => ({
  blksize,
  windowsize,
  timeout: 1,
});

const sizes: [string, number, number][] = [
  ["0 bytes", 0, 512],
  ["one short block", 100, 512],
  ["exactly one block (then an empty one)", 512, 512],
  ["an exact multiple of blksize", 512 * 5, 512],
  ["several blocks and a tail", 512 * 5 + 7, 512],
];
for (const [name, size, blksize] of sizes) {
  for (const windowsize of [1, 4]) {
    Deno.test(`TFTP session: ${name}, windowsize ${windowsize}`, () => {
      const data = file(size);
      const { output, stats, blocks } = simulate(data, params(blksize, windowsize));
      assert.deepEqual(output, data);
      assert.equal(stats.senderDone && stats.receiverDone, true);
      assert.equal(blocks, Math.floor(size / blksize) + 1);
      assert.deepEqual(stats.failures, []);
    });
  }
}

for (const loss of [0.01, 0.1, 0.3]) {
  for (const windowsize of [1, 8]) {
    Deno.test(`TFTP session survives ${loss * 100}% loss with duplicates and reordering, windowsize ${windowsize}`, () => {
      const data = file(40_000, 3);
      const { output, stats } = simulate(data, params(512, windowsize), {
        loss,
        duplicate: 0.05,
        jitter: 3,
        seed: Math.round(loss * 1000) + windowsize,
      });
      assert.deepEqual(stats.failures, []);
      assert.equal(stats.receiverDone, true);
      assert.deepEqual(output, data);
    });
  }
}

Deno.test("TFTP session: block numbers wrap past 65535 to 0 (over 65535 blocks)", () => {
  const data = file(8 * 70_000 + 3, 9); // blksize 8: 70,001 blocks
  const { output, stats, blocks } = simulate(data, params(8, 16));
  assert.equal(blocks, 70_001);
  assert.deepEqual(stats.failures, []);
  assert.deepEqual(output, data);
  assert.equal(wireBlock(65534), 65535);
  assert.equal(wireBlock(65535), 0);
  assert.equal(wireBlock(65536), 1);
});

Deno.test("TFTP session: duplicate ACKs never cause retransmission (no Sorcerer's Apprentice)", () => {
  const data = file(512 * 20 + 1);
  const { output, stats, blocks } = simulate(data, params(512, 1), { duplicate: 1 });
  assert.deepEqual(output, data);
  assert.equal(stats.dataSent, blocks, "each DATA block sent exactly once");
});

Deno.test("TFTP session: a vanished peer ends in ERROR after bounded retries", () => {
  const { stats } = simulate(file(512 * 50), params(512, 1), { cutAfter: 10 });
  assert.equal(stats.senderDone, false);
  assert.match(stats.failures.join("\n"), /S: no answer from the peer: gave up after retries/);
  assert.match(stats.failures.join("\n"), /R: no data from the peer: gave up after retries/);
});

Deno.test("ReceiveSession refuses oversized DATA and unexpected packets with ERROR", () => {
  const receiver = new ReceiveSession({ params: params(8) });
  const actions = receiver.receive({ op: "DATA", block: 1, data: new Uint8Array(9) });
  assert.deepEqual(actions[0], {
    type: "send",
    packet: { op: "ERROR", code: 4, message: "DATA of 9 bytes is over blksize 8" },
  });
  const other = new ReceiveSession({ params: params(8) });
  assert.equal(other.receive({ op: "ACK", block: 1 })[1]?.type, "fail");
});

Deno.test("SendSession with an OACK waits for ACK 0 before the first DATA", () => {
  const oack: Packet = { op: "OACK", options: { blksize: "8" } };
  const sender = new SendSession(
    (i) => new Uint8Array(8).fill(i).subarray(0, i === 2 ? 4 : 8),
    { params: params(8), oack },
  );
  assert.deepEqual(sender.start()[0], { type: "send", packet: oack });
  assert.deepEqual(sender.receive({ op: "ACK", block: 5 }), [], "not ACK 0: ignored");
  const first = sender.receive({ op: "ACK", block: 0 });
  assert.equal(first[0]?.type === "send" && first[0].packet.op, "DATA");
});
