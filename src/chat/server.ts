/**
 * The chat relay endpoint: feeds each client's lines to the pure
 * {@linkcode Relay} and carries out its effects. Every client has a bounded
 * outgoing queue; one that stops reading is disconnected when its queue is
 * full and never delays anyone else. When the whole room is congested
 * (many queues filling), senders are paused instead, so overload slows the
 * talkers rather than dropping the listeners. Only clients that are reading
 * count: one with bytes waiting and none taken for 2 s has stopped, and
 * pausing the room for it would only stall everyone (a few clients that
 * never read could hold a room still indefinitely).
 *
 * Requires `--allow-net=HOST`.
 *
 * @module
 */

import type { Output } from "../console/output.ts";
import type { BoundListener } from "../net/endpoint.ts";
import { LineSplitter } from "../net/lines.ts";
import { QueuedWriter } from "../net/queued_writer.ts";
import { DEFAULT_MAX_CONNS } from "../command/options.ts";
import type { AccessGate } from "../net/access_gate.ts";
import { serveConnections, type ServerStats, type Session } from "../net/server.ts";
import { type Effect, Relay } from "./relay.ts";

/** Options for {@linkcode serveChat}. */
export interface ServeChatOptions {
  /** @default {1000} */
  maxConns?: number;
  /** Bytes queued for one client before it counts as not reading. @default {1048576} */
  queueLimit?: number;
  /** Longest line in bytes; longer ones are refused with a notice. @default {4096} */
  maxLineBytes?: number;
  label?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The `--allow`/`--deny` gate. */
  access?: AccessGate | undefined;
}

interface Client {
  session: Session;
  queue: QueuedWriter;
}

const encoder = new TextEncoder();

/** A client with bytes waiting and none taken for this long has stopped reading. */
const STUCK_MS = 2000;

/** Runs the relay on a bound listener until `signal` aborts. */
export function serveChat(
  bound: BoundListener,
  out: Output,
  options: ServeChatOptions = {},
): Promise<ServerStats> {
  const {
    maxConns = DEFAULT_MAX_CONNS,
    queueLimit = 1024 * 1024,
    maxLineBytes = 4096,
    label,
    signal,
    access,
  } = options;
  const relay = new Relay({ maxLineBytes });
  const clients = new Map<number, Client>();

  const deliver = (client: Client, bytes: Uint8Array) => {
    if (client.session.closed) return;
    if (client.queue.write(bytes)) client.session.bytesOut += bytes.length;
    else client.session.close("not reading");
  };
  const apply = (effects: Effect[]) => {
    for (const effect of effects) {
      switch (effect.kind) {
        case "send": {
          const client = clients.get(effect.to);
          if (client) deliver(client, encoder.encode(effect.line + "\n"));
          break;
        }
        case "broadcast": {
          const bytes = encoder.encode(effect.line + "\n");
          for (const [id, client] of clients) if (id !== effect.except) deliver(client, bytes);
          break;
        }
        case "close": {
          const client = clients.get(effect.id);
          // Let what was queued (the "* bye") go out first, then close.
          client?.queue.drain().finally(() => client.session.close(effect.reason));
          break;
        }
      }
    }
  };
  // The clients with more than 16 KiB waiting (a few hundred lines). One slow
  // reader is one client and is dropped when its queue fills; when an eighth
  // of the room (and at least two) are behind and still reading, the room as
  // a whole is congested and talkers are paused instead. A client behind that
  // has taken nothing for STUCK_MS has stopped reading: it does not count, so
  // talkers go on and its queue fills.
  const behind = new Set<QueuedWriter>();
  const behindMark = 16 * 1024;
  const track = (queue: QueuedWriter, before: number, after: number) => {
    if (before > behindMark === after > behindMark) return;
    if (after > behindMark) behind.add(queue);
    else behind.delete(queue);
  };
  const crowded = (count: number) => count >= 2 && count * 8 >= clients.size;
  // Checked per line: O(1) while few are behind, else a count of the readers
  // behind, redone at most every 50 ms.
  let verdict = false;
  let verdictAt = -Infinity;
  const congested = () => {
    if (!crowded(behind.size)) return false;
    const now = performance.now();
    if (now - verdictAt >= 50) {
      verdictAt = now;
      let reading = 0;
      for (const queue of behind) if (queue.stalledFor(now) < STUCK_MS) reading++;
      verdict = crowded(reading);
    }
    return verdict;
  };
  /** Pauses a talker while the room is congested, for at most 5 s at a time. */
  const whileCongested = async (session: Session) => {
    const until = Date.now() + 5000;
    while (congested() && !session.closed && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };

  return serveConnections(bound, out, {
    keepOpen: true,
    maxConns,
    label,
    signal,
    access,
    async handle(session) {
      const queue: QueuedWriter = new QueuedWriter(session.conn, {
        limit: queueLimit,
        onChange: (before, after) => track(queue, before, after),
      });
      const client = { session, queue };
      clients.set(session.id, client);
      apply(relay.join(session.id));
      const splitter = new LineSplitter({ maxLength: maxLineBytes, overlong: "drop" });
      const buffer = new Uint8Array(16 * 1024);
      try {
        for (let n; !session.closed && (n = await session.read(buffer)) !== null;) {
          for (const line of splitter.push(buffer.subarray(0, n))) {
            // Back-pressure on talkers while the room cannot keep up.
            if (congested()) await whileCongested(session);
            if (session.closed) break;
            apply(relay.line(session.id, line));
          }
          for (let dropped = splitter.takeDropped(); dropped > 0; dropped--) {
            apply(relay.tooLong(session.id));
          }
        }
        // A line cut off by a disconnect is incomplete: it is not relayed.
      } finally {
        clients.delete(session.id);
        const reason = session.closeReason === "not reading" ? "not reading" : undefined;
        apply(relay.leave(session.id, reason));
        if (session.closeReason !== "quit") await drainBriefly(client.queue);
        behind.delete(queue);
      }
    },
  });
}

/** Lets a leaving client's queue flush, for at most 1 s. */
async function drainBriefly(queue: QueuedWriter): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    queue.drain(),
    new Promise<void>((resolve) => timer = setTimeout(resolve, 1000)),
  ]);
  clearTimeout(timer);
}
