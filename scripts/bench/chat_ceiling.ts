/**
 * The bare-runtime ceiling of `bench:chat`: the least a Deno program does
 * to relay a chat room. Listens on 127.0.0.1 (port 0); each complete line a
 * client sends goes to every other client with a "<uN> " prefix (what the
 * load generator expects of a relay). A read's lines are framed into one
 * buffer, queued by reference for each recipient, and whatever queued for a
 * client while its last write was in flight goes out as one write. Reading
 * pauses while more than 64 MiB wait in all queues together. No limits per
 * client, no announcements, no reports.
 *
 * usage: deno run --allow-net=127.0.0.1 chat_ceiling.ts
 *
 * @module
 */

const HIGH = 64 * 1024 * 1024;

class Client {
  readonly conn: Deno.Conn;
  readonly prefix: Uint8Array;
  queue: Uint8Array[] = [];
  writing = false;
  constructor(conn: Deno.Conn, id: number) {
    this.conn = conn;
    this.prefix = new TextEncoder().encode(`<u${id}> `);
  }
}

const clients = new Set<Client>();
let queued = 0;
let drained: { promise: Promise<void>; resolve: () => void } | undefined;

function enqueue(client: Client, bytes: Uint8Array): void {
  client.queue.push(bytes);
  queued += bytes.length;
  if (!client.writing) pump(client);
}

async function pump(client: Client): Promise<void> {
  client.writing = true;
  while (client.queue.length > 0 && clients.has(client)) {
    const chunks = client.queue;
    client.queue = [];
    let bytes = chunks[0]!;
    if (chunks.length > 1) {
      bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
    }
    try {
      for (let at = 0; at < bytes.length;) at += await client.conn.write(bytes.subarray(at));
    } catch {
      clients.delete(client);
    }
    queued -= bytes.length;
    if (queued < HIGH / 2 && drained) {
      drained.resolve();
      drained = undefined;
    }
  }
  if (!clients.has(client)) { for (const chunk of client.queue) queued -= chunk.length; }
  client.writing = false;
}

async function serve(client: Client): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  let rest = new Uint8Array(0);
  try {
    for (;;) {
      if (queued > HIGH) {
        drained ??= Promise.withResolvers<void>();
        await drained.promise;
      }
      const n = await client.conn.read(buffer);
      if (n === null) break;
      let data = buffer.subarray(0, n);
      if (rest.length > 0) {
        const joined = new Uint8Array(rest.length + n);
        joined.set(rest);
        joined.set(data, rest.length);
        data = joined;
      }
      const end = data.lastIndexOf(10) + 1;
      rest = data.slice(end);
      if (end === 0) continue;
      // Frame the read's lines: the prefix before each.
      let lines = 0;
      for (let at = 0; at < end; at = data.indexOf(10, at) + 1) lines++;
      const { prefix } = client;
      const framed = new Uint8Array(end + lines * prefix.length);
      let to = 0;
      for (let at = 0; at < end;) {
        const next = data.indexOf(10, at) + 1;
        framed.set(prefix, to);
        framed.set(data.subarray(at, next), to + prefix.length);
        to += prefix.length + next - at;
        at = next;
      }
      for (const other of clients) if (other !== client) enqueue(other, framed);
    }
  } catch {
    // reset by the client
  } finally {
    clients.delete(client);
    try {
      client.conn.close();
    } catch {
      // closed already
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.error(`listening on 127.0.0.1:${listener.addr.port}`);
let id = 0;
for await (const conn of listener) {
  conn.setNoDelay(true);
  const client = new Client(conn, ++id);
  clients.add(client);
  serve(client);
}
