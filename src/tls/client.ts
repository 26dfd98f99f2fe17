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
import { duplexOf, NodeSocketConn } from "./node_conn.ts";

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

/** The server's certificate was not trusted (or the handshake failed). */
export class TlsTrustError extends Error {
  override name = "TlsTrustError";
  constructor(
    message: string,
    /** What the certificate says about itself, when one was seen. */
    readonly certificate?: { subject: string; issuer: string; fingerprint: string },
  ) {
    super(message);
  }
}

/** A connected TLS client: the connection and what its handshake settled. */
export interface TlsClient {
  conn: NodeSocketConn;
  session: TlsSession;
}

/**
 * Where to connect: a host and port (node:tls connects), or a connection
 * already made (a proxy tunnel, a Unix socket), which TLS then runs over;
 * `hostname` is the name to send and check either way.
 */
export interface TlsTarget {
  hostname: string;
  port: number;
  conn?: Deno.Conn | undefined;
}

/**
 * Connects (or upgrades `target.socket`) and completes the handshake.
 *
 * @throws {TlsTrustError} when the certificate is not trusted or the handshake fails
 */
export function connectTls(
  target: TlsTarget,
  options: TlsClientOptions = {},
  signal?: AbortSignal,
): Promise<TlsClient> {
  const servername = options.servername ??
    (isIpLiteral(target.hostname) ? undefined : target.hostname);
  const socket = tls.connect({
    ...(target.conn
      ? { socket: duplexOf(target.conn) as unknown as Socket }
      : { host: target.hostname, port: target.port }),
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
      fail(
        error instanceof TlsTrustError
          ? error
          : new TlsTrustError(`TLS handshake failed: ${error.message}`),
      );
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
              describeAuthorizationError(String(socket.authorizationError ?? "unknown"), servername)
            }`,
            certificate,
          ),
        );
      } else {
        trust = "verified";
      }
      cleanup();
      const cipher = socket.getCipher();
      resolve({
        conn: new NodeSocketConn(socket),
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

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
