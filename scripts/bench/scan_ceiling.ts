// Bench helper: the bare-runtime ceiling of `port scan 127.0.0.1 FROM-TO`, a
// minimal Deno connect scan with nothing else (no timeout sweep, no service
// names, no output but the count). WORKERS threads each take every Nth port
// with CONCURRENCY ÷ WORKERS connects in flight, as sockit shares its scan.
// Prints the number of open ports.
//
// usage: deno run --allow-net=127.0.0.1 --allow-read scan_ceiling.ts WORKERS [CONCURRENCY] [FROM] [TO]

type Share = { ports: number[]; concurrency: number };

async function scan({ ports, concurrency }: Share): Promise<number> {
  let open = 0;
  let next = 0;
  const loop = async () => {
    while (next < ports.length) {
      const port = ports[next++]!;
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        open++;
      } catch {
        // refused
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, loop));
  return open;
}

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Share>) => void) | null;
  postMessage(open: number): void;
  close(): void;
};

if ("WorkerGlobalScope" in globalThis) {
  scope.onmessage = async ({ data }) => {
    scope.postMessage(await scan(data));
    scope.close();
  };
} else {
  const [workers = 1, concurrency = 500, from = 1, to = 65535] = Deno.args.map(Number);
  const ports = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  let open: number;
  if (workers === 1) open = await scan({ ports, concurrency });
  else {
    const counts = await Promise.all(
      Array.from({ length: workers }, (_, k) =>
        new Promise<number>((resolve) => {
          const worker = new Worker(import.meta.url, { type: "module" });
          worker.onmessage = ({ data }) => {
            worker.terminate();
            resolve(data);
          };
          worker.postMessage({
            ports: ports.filter((_, i) => i % workers === k),
            concurrency: Math.ceil(concurrency / workers),
          });
        })),
    );
    open = counts.reduce((a, b) => a + b, 0);
  }
  console.log(open);
}
