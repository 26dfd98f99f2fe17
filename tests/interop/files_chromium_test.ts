/**
 * Headless Chromium (Debian's `chromium`) against the file service's HTTP
 * face: the directory page renders, its filter box filters, following a
 * file's link downloads exactly the file's bytes (driven over the DevTools
 * protocol with Deno's own WebSocket), and the listing, as the browser
 * builds it with and without JavaScript, has folders first in natural
 * order (`--dump-dom`, `--screenshot`). In CI a missing chromium fails;
 * elsewhere it skips.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { pollUntil } from "../helpers/net.ts";
import { skipWithout, sockit, Spawned } from "../helpers/harness.ts";
import { spkiPin } from "../helpers/pki.ts";

/** Chromium without a sandbox, GPU, or any traffic of its own; a profile is added per run. */
const HEADLESS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

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
      await Deno.writeTextFile(`${base}/share/docs/a.txt`, "a");
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
      );
      const url = `http://127.0.0.1:${await server.port({ label: "http" })}/`;
      await using browser = new Spawned("chromium", [
        ...HEADLESS,
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
        // (An evaluation that meets the navigation midway is retried.)
        await pollUntil(async () => {
          const state = await send("Runtime.evaluate", {
            returnByValue: true,
            expression: "location.href + ' ' + document.readyState",
          }).catch(() => undefined) as { result?: { value?: string } } | undefined;
          return state?.result?.value === `${url} complete` || undefined;
        }, 20_000);
        const result = await send("Runtime.evaluate", {
          awaitPromise: true,
          returnByValue: true,
          expression: `(async () => {
            const links = [...document.querySelectorAll("tbody a")].map((a) => a.textContent);
            const link = [...document.querySelectorAll("a")].find((a) => a.textContent === "data.bin");
            const body = await (await fetch(link.href)).arrayBuffer();
            const digest = await crypto.subtle.digest("SHA-256", body);
            const box = document.getElementById("filter");
            const shown = () => [...document.querySelectorAll("tbody a")]
              .filter((a) => a.getClientRects().length > 0)
              .map((a) => a.textContent);
            box.value = "DOC";
            box.dispatchEvent(new Event("input"));
            const filtered = shown();
            box.value = "";
            box.dispatchEvent(new Event("input"));
            return {
              title: document.title,
              links,
              filterShown: box.getClientRects().length > 0,
              filtered,
              unfiltered: shown(),
              size: body.byteLength,
              sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
            };
          })()`,
        }) as {
          result: {
            value: {
              title: string;
              links: string[];
              filterShown: boolean;
              filtered: string[];
              unfiltered: string[];
              size: number;
              sha256: string;
            };
          };
        };
        const page = result.result.value;
        assert.ok(
          page?.title !== undefined,
          `the page script failed: ${JSON.stringify(result).slice(0, 300)}`,
        );
        assert.equal(page.title, "/ — sockit");
        assert.deepEqual(page.links, ["docs/", "data.bin"], "folders first");
        assert.ok(page.filterShown, "the filter box is shown when its script runs");
        assert.deepEqual(page.filtered, ["docs/"], "the filter ignores case");
        assert.deepEqual(page.unfiltered, ["docs/", "data.bin"]);
        assert.equal(page.size, data.length);
        assert.equal(page.sha256, createHash("sha256").update(data).digest("hex"));

        // Without JavaScript, a column header's plain link orders the page
        // (by the server), and the filter box, which needs script, stays out.
        await send("Emulation.setScriptExecutionDisabled", { value: true });
        await send("Page.navigate", { url: `${url}docs/?sort=size&order=desc` });
        // While the navigation replaces the document, a node id from
        // DOM.getDocument can vanish before DOM.getOuterHTML reads it
        // ("Could not find node with given id"): that poll round is retried.
        const html = await pollUntil(async () => {
          try {
            const { root } = await send("DOM.getDocument", {}) as { root: { nodeId: number } };
            const { outerHTML } = await send("DOM.getOuterHTML", { nodeId: root.nodeId }) as {
              outerHTML: string;
            };
            return outerHTML.includes("</tbody>") && outerHTML.includes("Size</a> ▼")
              ? outerHTML
              : undefined;
          } catch (error) {
            if (String(error).includes("Could not find node")) return undefined;
            throw error;
          }
        }, 20_000);
        assert.deepEqual(rowNames(html), ["../", "readme.txt", "a.txt"]);
        assert.match(html, /<input type="search" id="filter" class="off"/);
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

/** The entry names of a page as the browser built it, in row order. */
function rowNames(dom: string): string[] {
  const body = dom.slice(dom.indexOf("<tbody>"), dom.indexOf("</tbody>"));
  return [...body.matchAll(/<tr[^>]*><td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) =>
    (m[1] ?? "").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")
  );
}

Deno.test({
  name: "Chromium shows folders first in natural order, sorts by a column link, and draws the page",
  ignore: skipWithout("chromium"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      const share = `${base}/share`;
      for (const dir of ["Photos", "docs", "archive10", "archive9"]) {
        await Deno.mkdir(`${share}/${dir}`, { recursive: true });
      }
      const files: [string, number][] = [
        ["file10.txt", 3000],
        ["file2.txt", 200],
        ["Apple.txt", 50],
        ["apple.txt", 10],
        ["b&<c>.txt", 7],
        ["zeta.md", 100_000],
      ];
      for (const [name, size] of files) {
        await Deno.writeTextFile(`${share}/${name}`, "x".repeat(size));
      }
      await using server = sockit(
        ["files", "serve", share, "--listen", "0", "--http", "0"],
        ["--allow-net=127.0.0.1", `--allow-read=${share}`],
      );
      const url = `http://127.0.0.1:${await server.port({ label: "http" })}/`;
      let profiles = 0;
      /** One headless run to its end (bounded); its stdout. */
      const chromium = async (...args: string[]): Promise<string> => {
        await using browser = new Spawned("chromium", [
          ...HEADLESS,
          `--user-data-dir=${base}/profile${++profiles}`,
          ...args,
        ], { stdin: "null" });
        const finished = await browser.finish(60_000);
        assert.equal(finished.code, 0, finished.stderr);
        return finished.stdout;
      };

      const dom = await chromium("--dump-dom", url);
      assert.deepEqual(rowNames(dom), [
        "archive9/",
        "archive10/",
        "docs/",
        "Photos/",
        "Apple.txt",
        "apple.txt",
        "b&<c>.txt",
        "file2.txt",
        "file10.txt",
        "zeta.md",
      ]);
      assert.match(dom, /<input type="search" id="filter" class=""/, "the script showed the box");

      // The order of a column header's plain link is the server's.
      const bySize = await chromium("--dump-dom", `${url}?sort=size&order=desc`);
      assert.deepEqual(rowNames(bySize), [
        "Photos/",
        "docs/",
        "archive10/",
        "archive9/",
        "zeta.md",
        "file10.txt",
        "file2.txt",
        "Apple.txt",
        "apple.txt",
        "b&<c>.txt",
      ]);
      assert.match(bySize, /<a href="\?sort=size&amp;order=asc">Size<\/a> ▼/);

      const shot = `${base}/listing.png`;
      await chromium("--hide-scrollbars", "--window-size=900,600", `--screenshot=${shot}`, url);
      const png = await Deno.readFile(shot);
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.deepEqual([view.getUint32(16), view.getUint32(20)], [900, 600], "IHDR width, height");
      // A blank page of this size compresses to a few kB; text and a table do not.
      assert.ok(png.length > 10_000, `a page was drawn (${png.length} bytes)`);
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "Chromium loads the HTTPS face (files serve --tls) trusting its key's SPKI pin, and not without it",
  ignore: skipWithout("chromium", "openssl"),
  async fn() {
    const base = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${base}/share`);
      await Deno.writeTextFile(`${base}/share/secure.txt`, "over https\n");
      await using server = sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "0", "--tls"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
      );
      const port = await server.port({ label: "http" });
      const url = `https://127.0.0.1:${port}/`;
      // Chromium's way to trust one server key: the base64 SHA-256 of its SubjectPublicKeyInfo.
      const pin = await spkiPin(port);
      let profiles = 0;
      const dump = async (...extra: string[]) => {
        await using browser = new Spawned("chromium", [
          ...HEADLESS,
          `--user-data-dir=${base}/profile${++profiles}`,
          ...extra,
          "--dump-dom",
          url,
        ], { stdin: "null" });
        return await browser.finish(60_000);
      };
      const trusted = await dump(`--ignore-certificate-errors-spki-list=${pin}`);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.deepEqual(rowNames(trusted.stdout), ["secure.txt"]);
      const untrusted = await dump();
      assert.doesNotMatch(untrusted.stdout, /secure\.txt/, "no page without trusting the key");
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
  },
});
