/**
 * TLS for clients, through `node:tls`: the chain and the name are verified
 * by default (the system's roots, or `cacert`), `pin` trusts exactly one
 * certificate by its SHA-256 fingerprint (a server's self-signed certificate
 * needs no CA then), and `insecure` trusts anything. The trust decision is
 * made here after the handshake, from the runtime's own verdict
 * (`authorized`) and the peer's certificate, so an untrusted server is
 * refused with everything a user needs to decide: subject, issuer,
 * fingerprint, and the `--pin` that would trust it.
 *
 * @module
 */

import tls from "node:tls";
import type { Socket } from "node:net";
import { OperationError } from "../console/errors.ts";
import { ipOf } from "../inet/ip.ts";
import { escapeText } from "../text/escape.ts";
import { duplexOf, NodeSocketConn, ReadGate } from "./node_conn.ts";

/** How a client checks the server (and whether it shows a certificate itself). */
export interface TlsClientOptions {
  /** The name sent in SNI and checked against the certificate. @default {the host, unless an IP} */
  servername?: string | undefined;
  /** PEM texts of the CAs to trust instead of the system's roots. */
  cacert?: readonly string[] | undefined;
  /** SHA-256 fingerprint (lower-case hex) of the one certificate to trust. */
  pin?: string | undefined;
  /** Trust any certificate (the caller warns). */
  insecure?: boolean | undefined;
  /** ALPN protocols to offer, in order of preference. */
  alpn?: readonly string[] | undefined;
  /** A client certificate and its key, PEM, for servers that ask for one. */
  cert?: string | undefined;
  key?: string | undefined;
}

/** What the handshake settled, for `-v` and JSON. */
export interface TlsSession {
  protocol: string;
  cipher: string;
  alpn: string | undefined;
  fingerprint: string;
  subject: string;
  issuer: string;
  /** How the server was trusted. */
  trust: "verified" | "pinned" | "insecure";
}

/**
 * The server's certificate was not trusted (or the handshake failed). Its
 * hint names what would trust the certificate it saw: its `--pin`, or a CA.
 */
export class TlsTrustError extends OperationError {
  override name = "TlsTrustError";
  constructor(
    message: string,
    /** What the certificate says about itself, when one was seen. */
    readonly certificate?: { subject: string; issuer: string; fingerprint: string },
  ) {
    super(message, certificate?.fingerprint ? { hint: trustHint(certificate) } : {});
  }
}

function trustHint(seen: { subject: string; issuer: string; fingerprint: string }): string {
  return `the certificate is ${escapeText(seen.subject) || "(no subject)"}, issued by ${
    escapeText(seen.issuer) || "(no issuer)"
  }; to trust exactly it: --pin ${seen.fingerprint}; for a private CA: --cacert FILE`;
}

/** A connected TLS client: the connection and what its handshake settled. */
export interface TlsClient {
  conn: NodeSocketConn;
  session: TlsSession;
}

/**
 * The connection TLS runs over (made by sockit: direct, a proxy tunnel, a
 * Unix socket), and the host and port it reaches; `hostname` is the name
 * to send and check.
 */
export interface TlsTarget {
  hostname: string;
  port: number;
  conn: Deno.Conn;
}

/**
 * Runs a TLS client handshake over `target.conn`.
 *
 * @throws {TlsTrustError} when the certificate is not trusted or the handshake fails
 */
export function connectTls(
  target: TlsTarget,
  options: TlsClientOptions = {},
  signal?: AbortSignal,
): Promise<TlsClient> {
  const gate = new ReadGate();
  const servername = options.servername ??
    (ipOf(target.hostname) ? undefined : target.hostname);
  const socket = tls.connect({
    socket: duplexOf(target.conn, gate) as unknown as Socket,
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: false,
    ...(options.cacert ? { ca: [...options.cacert] } : {}),
    ...(options.alpn ? { ALPNProtocols: [...options.alpn] } : {}),
    ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
    minVersion: "TLSv1.2",
  });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error) =>
      fail(error instanceof TlsTrustError ? error : new TlsTrustError(handshakeFailure(error)));
    const onAbort = () => fail(signal?.reason ?? new DOMException("aborted", "AbortError"));
    const cleanup = () => {
      socket.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate(true);
      const certificate = {
        subject: formatName(peer?.subject),
        issuer: formatName(peer?.issuer),
        fingerprint: (peer?.fingerprint256 ?? "").replaceAll(":", "").toLowerCase(),
      };
      let trust: TlsSession["trust"];
      if (options.pin !== undefined) {
        if (certificate.fingerprint !== options.pin) {
          return fail(
            new TlsTrustError(
              `the server's certificate is not the pinned one (its SHA-256 is ${certificate.fingerprint})`,
              certificate,
            ),
          );
        }
        trust = "pinned";
      } else if (options.insecure) {
        trust = "insecure";
      } else if (!socket.authorized) {
        return fail(
          new TlsTrustError(
            `the server's certificate is not trusted: ${
              validityProblem(peer?.valid_from, peer?.valid_to) ??
                describeAuthorizationError(
                  String(socket.authorizationError ?? "unknown"),
                  servername,
                )
            }`,
            certificate,
          ),
        );
      } else {
        // The runtime checks the name only when one was sent (SNI): an IP target is checked here.
        const name = servername ?? target.hostname;
        if (peer && tls.checkServerIdentity(name, peer) !== undefined) {
          return fail(
            new TlsTrustError(
              `the server's certificate is not trusted: it is not valid for the name ${
                escapeText(name)
              }`,
              certificate,
            ),
          );
        }
        trust = "verified";
      }
      cleanup();
      const cipher = socket.getCipher();
      resolve({
        conn: new NodeSocketConn(socket, { addresses: target.conn, gate }),
        session: {
          protocol: socket.getProtocol() ?? "",
          cipher: cipher?.name ?? "",
          alpn: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
          ...certificate,
          trust,
        },
      });
    });
  });
}

/** `CN=…, O=…` from Node's name object. */
function formatName(name: object | undefined): string {
  if (!name) return "";
  return Object.entries(name as Record<string, unknown>)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : value}`)
    .join(", ");
}

/** Node's verification codes in words a user can act on. */
export function describeAuthorizationError(code: string, servername?: string): string {
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "it is self-signed";
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return "its issuer is not a trusted CA";
    case "CERT_HAS_EXPIRED":
      return "it has expired";
    case "CERT_NOT_YET_VALID":
      return "it is not valid yet";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `it is not valid for the name ${servername ?? "(no name sent)"}`;
    default:
      return code;
  }
}

/**
 * The session in a few words for a `connected to …` line, and its JSON fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeSession } from "./client.ts";
 * const session = {
 *   protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", alpn: undefined,
 *   fingerprint: "ab", subject: "CN=x", issuer: "CN=x", trust: "pinned",
 * } as const;
 * assert.equal(describeSession(session).text, "TLSv1.3, certificate pinned");
 * ```
 */
export function describeSession(session: TlsSession): {
  text: string;
  fields: { tls: string; cipher: string; trust: string; fingerprint: string };
} {
  const trust = session.trust === "insecure"
    ? "certificate NOT checked (--insecure)"
    : `certificate ${session.trust}`;
  return {
    text: `${session.protocol}, ${trust}`,
    fields: {
      tls: session.protocol,
      cipher: session.cipher,
      trust: session.trust,
      fingerprint: session.fingerprint,
    },
  };
}

/** A failed client handshake in words: the common case is a server that does not speak TLS. */
function handshakeFailure(error: Error): string {
  const message = error.message.split("\n")[0] ?? "";
  if (/InvalidContentType|wrong version number|corrupt message/i.test(message)) {
    return "TLS handshake failed: the server does not speak TLS (it answered in plain text)";
  }
  if (/ECONNRESET|reset|EPIPE|disconnected|socket hang up/i.test(message)) {
    return "TLS handshake failed: the server closed the connection during the handshake";
  }
  return `TLS handshake failed: ${escapeText(message)}`;
}

/**
 * A certificate used outside its validity, in words (checked first: the
 * runtime reports such a certificate under another code, e.g. as one whose
 * issuer is unknown).
 */
export function validityProblem(
  validFrom: string | undefined,
  validTo: string | undefined,
  now = new Date(),
): string | undefined {
  const from = validFrom ? new Date(validFrom) : undefined;
  const to = validTo ? new Date(validTo) : undefined;
  if (to && !Number.isNaN(to.getTime()) && to < now) return `it expired on ${to.toISOString()}`;
  if (from && !Number.isNaN(from.getTime()) && from > now) {
    return `it is not valid before ${from.toISOString()}`;
  }
  return undefined;
}
