/**
 * Real peers the tests start: Python's http.server on a folder, and a
 * listener whose full accept queue makes connects hang (a "filtered" port
 * on loopback). Both are AsyncDisposable processes.
 *
 * @module
 */

import { freePort } from "./net.ts";
import { Spawned } from "./process.ts";

/** `python3 -m http.server` on `dir`, ready; `port` is where it listens. */
export async function pythonHttpServer(dir: string): Promise<{ server: Spawned; port: number }> {
  const port = freePort();
  const server = new Spawned("python3", [
    "-u",
    "-m",
    "http.server",
    "--bind",
    "127.0.0.1",
    "--directory",
    dir,
    String(port),
  ]);
  await server.waitFor(/Serving HTTP/, { on: "stdout" });
  return { server, port };
}

/**
 * A loopback port whose listener never accepts and whose accept queue is
 * full: further SYNs are dropped, so connecting hangs until a timeout.
 */
export async function silentPort(): Promise<{ blocker: Spawned; port: number }> {
  const blocker = new Spawned("python3", [
    "-c",
    [
      "import socket, time",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      "port = s.getsockname()[1]",
      "fill = []",
      "for _ in range(4):",
      "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); fill.append(c)",
      "time.sleep(0.3)",
      "print(port, flush=True)",
      "time.sleep(30)",
    ].join("\n"),
  ]);
  const [, port] = await blocker.waitFor(/^(\d+)\n/, { on: "stdout" });
  return { blocker, port: Number(port) };
}
