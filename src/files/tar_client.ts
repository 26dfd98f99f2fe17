/**
 * `files get -r URL`: a folder of a sockit HTTP face fetched as one tar
 * stream (`URL?tar`) and extracted as it arrives, through the HTTP client
 * of `http get` (its TLS trust, proxy and timeouts) and the
 * {@linkcode TarExtractor}.
 *
 * Requires `--allow-net` of the URL's host and port (or the proxy), and
 * `--allow-read`/`--allow-write` of DEST.
 *
 * @module
 */

import { count } from "../console/format.ts";
import type { Output } from "../console/output.ts";
import { InterruptedError, SocketError } from "../console/errors.ts";
import { Progress } from "../console/progress.ts";
import type { ProxyUrl } from "../inet/proxy_url.ts";
import { HttpError, streamHttpGet } from "../http/client.ts";
import { parseHttpUrl } from "../http/request.ts";
import { ProxyError } from "../net/proxy.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { FileClientError } from "./client.ts";
import { type ExtractCounts, TarExtractor } from "./tar_extract.ts";

/** Options for {@linkcode fetchFolderArchive}. */
export interface FolderArchiveOptions {
  /** The folder that receives the folder's contents. */
  dest: string;
  /** Replace files that differ. */
  force?: boolean;
  out: Output;
  signal?: AbortSignal | undefined;
  /** Give up when connecting, a byte or the response header takes longer. */
  timeoutMs?: number | undefined;
  /** How an `https:` server is trusted. */
  tls?: TlsClientOptions | undefined;
  proxy?: ProxyUrl | undefined;
}

/**
 * The archive's URL for a folder URL: the path with a trailing `/` (a
 * sockit server redirects a folder without one), the query `?tar`.
 *
 * @throws {SyntaxError|RangeError} a URL `http get` would refuse
 * @example
 * ```ts
 * import { archiveUrl } from "./tar_client.ts";
 * archiveUrl("http://127.0.0.1:8080/docs"); // "http://127.0.0.1:8080/docs/?tar"
 * ```
 */
export function archiveUrl(text: string): string {
  const url = new URL(parseHttpUrl(text).url);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.search = "tar";
  url.hash = "";
  return url.href;
}

/**
 * Where `get -r URL` saves without -o: the folder's base name, or
 * `download` for the root of a share (or a name that is not one).
 */
export function folderName(text: string): string {
  const segment = new URL(parseHttpUrl(text).url).pathname.split("/").filter(Boolean).at(-1);
  let name: string;
  try {
    name = decodeURIComponent(segment ?? "");
  } catch {
    return "download";
  }
  // deno-lint-ignore no-control-regex
  return name === "" || name === "." || name === ".." || /[/\\\x00-\x1f]/.test(name)
    ? "download"
    : name;
}

/** Thrown from the body taker once the archive's end blocks arrived: the fetch stops there. */
class ArchiveComplete extends Error {}

/**
 * Fetches `url`'s folder archive into `dest`. Messages are not escaped:
 * they may quote the server (a status reason, a member's name), so the
 * caller escapes them before they reach the terminal.
 *
 * @throws {FileClientError} `not-a-folder` (a status other than 200 or no
 *   tar), `peer`/`local` (a refused member), `broke-off` (the stream ended
 *   early: the file being received is removed)
 * @throws {HttpError} an untrusted certificate
 * @throws {InterruptedError} when `signal` aborts
 */
export async function fetchFolderArchive(
  url: string,
  options: FolderArchiveOptions,
): Promise<ExtractCounts> {
  const { dest, force = false, out, signal, timeoutMs, tls, proxy } = options;
  const extractor = new TarExtractor({ dest, force, out });
  const progress = new Progress(dest, undefined, { enabled: !out.quiet && !out.json });
  let answered = false;
  try {
    await streamHttpGet(url, out, {
      timeoutMs,
      tls,
      proxy,
      ...(signal ? { signal } : {}),
      body: (head) => {
        answered = true;
        if (head.status !== 200) {
          throw new FileClientError(
            `${url} answered HTTP ${head.status} ${head.reason}`,
            "not-a-folder",
          );
        }
        const type = head.headers.find(([name]) => name.toLowerCase() === "content-type")?.[1];
        if (type?.split(";")[0]?.trim().toLowerCase() !== "application/x-tar") {
          throw new FileClientError(
            `${url} did not answer with a tar archive (Content-Type: ${type ?? "none"})`,
            "not-a-folder",
          );
        }
        // DEST is made only now: a refused connection or URL leaves nothing behind.
        return extractor.start().then(() => async (data: Uint8Array) => {
          await extractor.push(data);
          progress.add(data.length);
          // The end blocks arrived: done, whatever the server sends after them or however
          // long it keeps the connection open (a body without a length ends only at close).
          if (extractor.ended) throw new ArchiveComplete();
        });
      },
    }).catch((err) => {
      if (!(err instanceof ArchiveComplete)) throw err;
    });
    extractor.end();
    progress.finish();
    return extractor.counts;
  } catch (err) {
    const during = extractor.inProgress;
    await extractor.abandon();
    progress.finish();
    if (signal?.aborted) {
      throw new InterruptedError("the file being received was removed; files complete are kept");
    }
    if (err instanceof FileClientError) throw err;
    if (err instanceof HttpError && err.reason === "untrusted") throw err;
    // Only the transport's failures once the archive flows are a broken stream; a local
    // failure (a full disk, a missing permission) or a bug stands as it is.
    // Before an answer nothing broke off: a refused connect, a timeout or a missing
    // permission stands as it is.
    if (
      !answered ||
      !(err instanceof HttpError || err instanceof SocketError || err instanceof ProxyError)
    ) {
      throw err;
    }
    const where = during
      ? ` in ${during.name} after ${during.arrived} of ${during.size} bytes`
      : "";
    throw new FileClientError(
      `the folder download broke off${where} (${count(extractor.counts.fetched, "file")} ` +
        `saved before it, nothing half-written left): ${err.message}`,
      "broke-off",
    );
  }
}
