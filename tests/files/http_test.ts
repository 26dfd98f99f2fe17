import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { handleRequest, type HandleRequestOptions } from "../../src/files/http.ts";
import { entityTag } from "../../src/files/http_core.ts";
import { openShare, type Resolved, Sandbox } from "../../src/share/sandbox.ts";
import { versionOf } from "../../src/share/version.ts";
import type { StoredUpload } from "../../src/share/upload.ts";

const NOTES = "hello, sockit\n"; // 14 bytes

/** A shared folder: a file, a folder, a hidden file, an odd name and links out. */
async function withShare(fn: (share: Sandbox, root: string) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "sockit-http-" });
  const root = `${base}/share`;
  await Deno.mkdir(`${root}/docs`, { recursive: true });
  await Deno.writeTextFile(`${root}/notes.txt`, NOTES);
  await Deno.writeTextFile(`${root}/docs/<b>&.txt`, "odd");
  await Deno.writeTextFile(`${root}/.hidden`, "hidden");
  await Deno.writeTextFile(`${base}/secret.txt`, "secret");
  await Deno.symlink(`${base}/secret.txt`, `${root}/leak.txt`);
  try {
    await fn(await openShare(root), root);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

function request(path: string, init: RequestInit = {}): Request {
  return new Request(`http://127.0.0.1${path}`, init);
}

function get(
  share: Sandbox,
  path: string,
  init: RequestInit = {},
  options: HandleRequestOptions = {},
): Promise<Response> {
  return handleRequest(request(path, init), share, options);
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("handleRequest() serves the directory page, without hidden names, names escaped", async () => {
  await withShare(async (share) => {
    const root = await get(share, "/");
    assert.equal(root.status, 200);
    assert.equal(root.headers.get("content-type"), "text/html; charset=utf-8");
    const page = await root.text();
    assert.match(page, /<a href="notes\.txt">notes\.txt<\/a>/);
    assert.match(page, /<a href="docs\/">docs\/<\/a>/);
    assert.doesNotMatch(page, /hidden|leak\.txt/, "hidden files and links out are not listed");
    assert.doesNotMatch(page, /<form/, "no upload form without allowUpload");
    const docs = await (await get(share, "/docs/")).text();
    assert.match(docs, /href="%3Cb%3E%26\.txt">&#60;b&#62;&#38;\.txt<\/a>/);
    assert.match(docs, /<a href="\.\.\/">\.\.\/<\/a>/);
    const form = await (await get(share, "/", {}, { allowUpload: true })).text();
    assert.match(form, /<form id="up">/);
  });
});

Deno.test("handleRequest() redirects a folder without its slash and lists it as JSON", async () => {
  await withShare(async (share) => {
    const redirect = await get(share, "/docs?json");
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/docs/?json");
    assert.equal(redirect.body, null);
    const json = await get(share, "/?json");
    assert.equal(json.status, 200);
    assert.equal(json.headers.get("content-type"), "application/json");
    const entries = (await json.json()) as { type: string; name: string; size: number }[];
    assert.deepEqual(
      entries.map((e) => [e.type, e.name, e.size]),
      [["d", "docs", 0], ["f", "notes.txt", NOTES.length]],
    );
  });
});

Deno.test("handleRequest() downloads a file with its headers; HEAD has them without a body", async () => {
  await withShare(async (share, root) => {
    const info = await Deno.stat(`${root}/notes.txt`);
    // Just written, so named by its content (see share/version.ts).
    const etag = entityTag(versionOf(info), createHash("sha256").update(NOTES).digest("hex"));
    const response = await get(share, "/notes.txt");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), String(NOTES.length));
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    assert.equal(response.headers.get("etag"), etag);
    assert.equal(response.headers.get("last-modified"), info.mtime!.toUTCString());
    assert.equal(await response.text(), NOTES);
    const head = await get(share, "/notes.txt", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(NOTES.length));
    assert.equal(head.headers.get("etag"), etag);
    assert.equal(head.body, null);
    const cached = await get(share, "/notes.txt", { headers: { "if-none-match": etag } });
    assert.equal(cached.status, 304);
    assert.equal(cached.body, null);
  });
});

Deno.test("handleRequest() answers Range with 206, past the end with 416", async () => {
  await withShare(async (share) => {
    const part = await get(share, "/notes.txt", { headers: { range: "bytes=7-12" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 7-12/${NOTES.length}`);
    assert.equal(part.headers.get("content-length"), "6");
    assert.equal(await part.text(), "sockit");
    const suffix = await get(share, "/notes.txt", { headers: { range: "bytes=-7" } });
    assert.equal(suffix.status, 206);
    assert.equal(await suffix.text(), "sockit\n");
    const past = await get(share, "/notes.txt", { headers: { range: "bytes=14-" } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${NOTES.length}`);
    assert.equal(past.body, null);
    // A stale If-Range: the whole, current file.
    const stale = await get(share, "/notes.txt", {
      headers: { range: "bytes=0-4", "if-range": `"0-0"` },
    });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), NOTES);
  });
});

Deno.test("handleRequest() refuses missing, hidden, outside and malformed paths", async () => {
  await withShare(async (share) => {
    const cases: [string, number, string][] = [
      ["/nope.txt", 404, "no such file or directory"],
      ["/notes.txt/x", 404, "no such file or directory"],
      ["/.hidden", 403, "hidden files are not shared"],
      ["/%2ehidden", 403, "hidden files are not shared"],
      ["/leak.txt", 403, "outside the shared folder"],
      ["/a%2f..%2f..%2fsecret.txt", 403, `".." is not allowed in paths`],
      // The URL parser already resolves "%2e%2e" segments: the folder's own /secret.txt.
      ["/%2e%2e/secret.txt", 404, "no such file or directory"],
      ["/a%5cb", 403, "backslashes are not allowed in paths"],
      ["/a%00b", 403, "control characters are not allowed in paths"],
      ["/%c3%28", 400, `bad percent-encoding in "/%c3%28"`],
      ["/" + "x".repeat(256), 400, "path component over 255 bytes"],
    ];
    for (const [path, status, message] of cases) {
      const response = await get(share, path);
      assert.equal(response.status, status, path);
      assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await response.text(), `${status} ${message}\n`, path);
    }
  });
});

Deno.test("handleRequest() refuses uploads without allowUpload and other methods", async () => {
  await withShare(async (share, root) => {
    const put = await get(share, "/new.txt", { method: "PUT", body: "data" });
    assert.equal(put.status, 405);
    assert.equal(
      await put.text(),
      "405 uploads are disabled (server runs without --allow-upload)\n",
    );
    const post = await get(share, "/notes.txt", { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
    const allowed = await get(share, "/", { method: "DELETE" }, { allowUpload: true });
    assert.equal(allowed.headers.get("allow"), "GET, HEAD, PUT");
    await allowed.body?.cancel();
    assert.deepEqual(await names(root), [".hidden", "docs", "leak.txt", "notes.txt"]);
  });
});

Deno.test("handleRequest() stores a PUT once: 201, then 409; 413 over the limit leaves nothing", async () => {
  await withShare(async (share, root) => {
    const stored: StoredUpload[] = [];
    const options = {
      allowUpload: true,
      maxUpload: 16,
      onUpload: (s: StoredUpload) => stored.push(s),
    };
    const body = "uploaded bytes\n";
    const sha256 = createHash("sha256").update(body).digest("hex");
    const created = await get(share, "/docs/up.txt", { method: "PUT", body }, options);
    assert.equal(created.status, 201);
    assert.equal(
      await created.text(),
      `201 created docs/up.txt (${body.length} B, sha256 ${sha256})\n`,
    );
    assert.deepEqual(stored, [{ rel: "docs/up.txt", size: body.length, sha256 }]);
    assert.equal(await Deno.readTextFile(`${root}/docs/up.txt`), body);
    const again = await get(share, "/docs/up.txt", { method: "PUT", body: "other" }, options);
    assert.equal(again.status, 409);
    assert.equal(await again.text(), "409 up.txt exists\n");
    assert.equal(await Deno.readTextFile(`${root}/docs/up.txt`), body, "never overwritten");
    const big = await get(share, "/big.bin", { method: "PUT", body: "x".repeat(17) }, options);
    assert.equal(big.status, 413);
    assert.equal(await big.text(), "413 uploads are at most 16 bytes\n");
    const hidden = await get(share, "/.env", { method: "PUT", body: "x" }, options);
    assert.equal(hidden.status, 403);
    await hidden.body?.cancel();
    const nameless = await get(share, "/", { method: "PUT", body: "x" }, options);
    assert.equal(nameless.status, 400);
    assert.equal(await nameless.text(), "400 an upload needs a file name\n");
    assert.equal(stored.length, 1);
    assert.deepEqual(await names(root), [".hidden", "docs", "leak.txt", "notes.txt"]);
    assert.deepEqual(await names(`${root}/docs`), ["<b>&.txt", "up.txt"]);
  });
});

Deno.test("handleRequest() answers every filesystem error without a server path or OS message", async () => {
  await withShare(async (share, root) => {
    await Deno.symlink("loop", `${root}/loop`);
    await Deno.symlink("x".repeat(300), `${root}/long`); // ENAMETOOLONG
    const cases: [string, number, string][] = [
      ["/notes.txt/x", 404, "no such file or directory"],
      ["/loop", 404, "too many levels of symbolic links"],
      ["/long", 404, "no such file or directory"],
    ];
    for (const [path, status, message] of cases) {
      const response = await get(share, path);
      assert.equal(response.status, status, path);
      assert.equal(await response.text(), `${status} ${message}\n`, path);
    }
    const listing = await (await get(share, "/?json")).json() as { name: string }[];
    assert.deepEqual(listing.map((e) => e.name), ["docs", "notes.txt"]);
  });
});

Deno.test("handleRequest() answers an unexpected error with a plain 500 and reports it aside", async () => {
  await withShare(async (share, root) => {
    class Failing extends Sandbox {
      override resolve(): Promise<Resolved> {
        return Promise.reject(new Error(`Input/output error (os error 5): stat '${root}/x'`));
      }
    }
    const errors: unknown[] = [];
    const response = await handleRequest(request("/notes.txt"), new Failing(share.root), {
      onError: (err) => errors.push(err),
    });
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "500 the server failed to read or write\n");
    assert.match(String(errors[0]), /os error 5/);
  });
});

Deno.test("handleRequest() redirects //docs and /\\docs to /docs/, never to another host", async () => {
  await withShare(async (share) => {
    for (const path of ["//docs", "/\\docs", "///docs?json", "/./docs"]) {
      const response = await get(share, path);
      assert.equal(response.status, 301, path);
      const location = response.headers.get("location") ?? "";
      assert.match(location, /^\/docs\/(\?json)?$/, path);
      assert.equal(new URL(location, "http://share.example/").host, "share.example", path);
    }
  });
});

Deno.test("handleRequest() serves files with nosniff and a sandboxing CSP, so an upload runs no script", async () => {
  await withShare(async (share, root) => {
    await Deno.writeTextFile(`${root}/page.html`, "<script>alert(document.cookie)</script>");
    for (const init of [{}, { method: "HEAD" }, { headers: { range: "bytes=0-3" } }]) {
      const response = await get(share, "/page.html", init);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.match(response.headers.get("content-security-policy") ?? "", /^sandbox(;|$)/);
      await response.body?.cancel();
    }
    const page = await get(share, "/");
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    await page.body?.cancel();
  });
});

Deno.test("handleRequest() refuses FIFOs and other special files; listings leave them out", async () => {
  await withShare(async (share, root) => {
    const made = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
    assert.ok(made.success, "mkfifo");
    for (const method of ["GET", "HEAD"]) {
      const response = await get(share, "/pipe", { method });
      assert.equal(response.status, 400, method);
      await response.body?.cancel();
    }
    const listing = await (await get(share, "/?json")).json() as { name: string }[];
    assert.ok(!listing.some((e) => e.name === "pipe"));
  });
});

Deno.test("handleRequest() lists folders first in natural order and sorts by the query", async () => {
  await withShare(async (share, root) => {
    await Deno.mkdir(`${root}/Photos`);
    await Deno.writeTextFile(`${root}/file10.txt`, "x".repeat(3000));
    await Deno.writeTextFile(`${root}/file2.txt`, "x");
    await Deno.writeTextFile(`${root}/Apple.txt`, "x".repeat(20));
    const rows = async (path: string) => {
      const page = await (await get(share, path)).text();
      return [...page.matchAll(/<tr[^>]*><td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
    };
    assert.deepEqual(await rows("/"), [
      "docs/",
      "Photos/",
      "Apple.txt",
      "file2.txt",
      "file10.txt",
      "notes.txt",
    ]);
    assert.deepEqual(await rows("/?sort=size&order=desc"), [
      "Photos/",
      "docs/",
      "file10.txt",
      "Apple.txt",
      "notes.txt",
      "file2.txt",
    ]);
    assert.deepEqual(await rows("/?sort=nonsense"), await rows("/"));
    const page = await (await get(share, "/?sort=size&order=desc")).text();
    assert.match(page, /<a href="\?sort=size&#38;order=asc">Size<\/a> ▼/);
    assert.match(page, /title="3000 bytes">3\.0 kB</);
  });
});

Deno.test("handleRequest() sends directory pages a CSP that allows only their own script and style", async () => {
  await withShare(async (share) => {
    for (const allowUpload of [false, true]) {
      const response = await get(share, "/", {}, { allowUpload });
      const policy = response.headers.get("content-security-policy") ?? "";
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.match(policy, /^default-src 'none'; /);
      const page = await response.text();
      for (const [, script = ""] of page.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
        const hash = createHash("sha256").update(script).digest("base64");
        assert.ok(policy.includes(`'sha256-${hash}'`), `script allowed (upload ${allowUpload})`);
      }
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*/);
      assert.match(policy, /; connect-src 'self';/);
    }
    // Files keep their own policy: a sandbox.
    const file = await get(share, "/notes.txt");
    assert.equal(file.headers.get("content-security-policy"), "sandbox");
    await file.body?.cancel();
  });
});

Deno.test("handleRequest(): a PUT whose body is cut short is the client's 400, and leaves nothing", async () => {
  await withShare(async (share, root) => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new TextEncoder().encode("helo"));
        } else {
          controller.error(new Error("the peer closed the connection"));
        }
      },
    });
    const response = await get(share, "/cut.txt", {
      method: "PUT",
      body,
      headers: { "content-length": "5" },
      // @ts-ignore: Deno's Request takes a stream body with duplex "half"
      duplex: "half",
    }, { allowUpload: true });
    assert.equal(response.status, 400);
    assert.equal(await response.text(), "400 the request body was cut short\n");
    assert.ok(
      !(await names(root)).some((name) => name.startsWith("cut") || name.startsWith(".sockit")),
    );
  });
});
