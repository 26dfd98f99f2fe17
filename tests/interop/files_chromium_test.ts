/**
 * Headless Chromium (Debian's `chromium`) against the file service's HTTP
 * face: the directory page renders, and following a file's link downloads
 * exactly the file's bytes. Driven over the DevTools protocol with Deno's
 * own WebSocket. In CI a missing chromium fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { pollUntil } from "../helpers/net.ts";
import { skipWithout, sockit, Spawned } from "../helpers/harness.ts";

/** Sends one DevTools command and waits (bounded) for its answer. */
function devtools(socket: WebSocket) {
  let id = 0;
  return (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const mine = ++id;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 20 s`)), 20_000);
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(event.data);
        if (message.id !== mine) return;
        clearTimeout(timer);
        socket.removeEventListener("message", onMessage);
        if (message.error) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result);
      };
      socket.addEventListener("message", onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
}

Deno.test({
  name: "Chromium renders the directory page and a followed link downloads the right bytes",
  ignore: skipWithout("chromium"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${base}/share/docs`, { recursive: true });
      const data = new Uint8Array(1024 * 1024);
      for (let i = 0; i < data.length; i += 65536) {
        crypto.getRandomValues(data.subarray(i, i + 65536));
      }
      await Deno.writeFile(`${base}/share/data.bin`, data);
      await Deno.writeTextFile(`${base}/share/docs/readme.txt`, "hi\n");
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
      );
      const url = `http://127.0.0.1:${await server.port({ label: "http" })}/`;
      await using browser = new Spawned("chromium", [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${base}/profile`,
        "--remote-debugging-port=0",
        url,
      ], { stdin: "null" });
      const [, port] = await browser.waitFor(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//, {
        timeoutMs: 30_000,
      });
      const pageSocket = await pollUntil(async () => {
        const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const page = pages.find((p: { url: string }) => p.url.startsWith(url));
        return page?.webSocketDebuggerUrl as string | undefined;
      });
      assert.ok(pageSocket, "the page target appeared");
      const socket = new WebSocket(pageSocket);
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = reject;
      });
      try {
        const send = devtools(socket);
        // Wait (bounded) until the page has navigated to the listing and finished loading.
        await pollUntil(async () => {
          const state = await send("Runtime.evaluate", {
            returnByValue: true,
            expression: "location.href + ' ' + document.readyState",
          }) as { result: { value: string } };
          return state.result.value === `${url} complete` || undefined;
        });
        const result = await send("Runtime.evaluate", {
          awaitPromise: true,
          returnByValue: true,
          expression: `(async () => {
            const links = [...document.querySelectorAll("tbody a")].map((a) => a.textContent);
            const link = [...document.querySelectorAll("a")].find((a) => a.textContent === "data.bin");
            const body = await (await fetch(link.href)).arrayBuffer();
            const digest = await crypto.subtle.digest("SHA-256", body);
            return {
              title: document.title,
              links,
              size: body.byteLength,
              sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
            };
          })()`,
        }) as {
          result: { value: { title: string; links: string[]; size: number; sha256: string } };
        };
        const page = result.result.value;
        assert.ok(
          page?.title !== undefined,
          `the page script failed: ${JSON.stringify(result).slice(0, 300)}`,
        );
        assert.equal(page.title, "/ — sockit");
        assert.deepEqual(page.links, ["data.bin", "docs/"]);
        assert.equal(page.size, data.length);
        assert.equal(page.sha256, createHash("sha256").update(data).digest("hex"));
      } finally {
        const closed = new Promise((r) => (socket.onclose = r));
        socket.close();
        await closed;
      }
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
});
