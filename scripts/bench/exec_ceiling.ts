/**
 * The bare-runtime ceiling of `tcp listen -k --exec`: the least a Deno
 * program can do to join each connection to a new process (no limits, no
 * reports, no kill on disconnect). Prints `listening on 127.0.0.1:PORT`.
 *
 * Usage: deno run -A scripts/bench/exec_ceiling.ts PROGRAM [ARGS…]
 *
 * @module
 */

const [program, ...args] = Deno.args;
if (program === undefined) throw new TypeError("usage: exec_ceiling.ts PROGRAM [ARGS…]");
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.error(`listening on 127.0.0.1:${listener.addr.port}`);
for await (const conn of listener) {
  const child = new Deno.Command(program, { args, stdin: "piped", stdout: "piped" }).spawn();
  conn.readable.pipeTo(child.stdin).catch(() => {});
  child.stdout.pipeTo(conn.writable).catch(() => {});
  child.status.catch(() => {});
}
