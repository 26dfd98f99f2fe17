// Bench helper: serves SIZE bytes as a chunked HTTP/1.1 body (64 KiB chunks)
// on 127.0.0.1, port 0; prints "listening on 127.0.0.1:PORT".
// usage: chunked_server.ts SIZE
const size = Number(Deno.args[0]);
const chunk = new Uint8Array(64 * 1024).fill(0x61);
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.error(`listening on 127.0.0.1:${port}`),
}, () => {
  let left = size;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(left, chunk.length);
      controller.enqueue(n === chunk.length ? chunk : chunk.subarray(0, n));
      left -= n;
    },
  });
  return new Response(body); // no Content-Length: Deno sends it chunked
});
