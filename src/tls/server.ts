/**
 * What a TLS server presents: the certificate and key it was given (PEM), or
 * a fresh self-signed certificate for its listen host and `localhost`, and
 * in both cases the SHA-256 fingerprint that a server prints next to
 * `listening on` and clients pin.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import { duplexOf, NodeSocketConn, ReadGate } from "./node_conn.ts";
import { selfSigned } from "./certificate.ts";
import { fingerprintOf } from "./fingerprint.ts";

/** A server's certificate, key and fingerprint. */
export interface ServerCredentials {
  cert: string;
  key: string;
  /** SHA-256 of the (first) certificate, lower-case hex. */
  fingerprint: string;
  /** True when made at start rather than read from files. */
  selfSigned: boolean;
  /** What a user should know about given credentials (a CA certificate, an expired one). */
  warnings: string[];
  /** PEM of the CAs whose client certificates are required (`--client-ca`). */
  clientCa?: string | undefined;
}

/**
 * Given certificate files that cannot be used: a usage error (exit 2), found
 * before anything listens.
 */
export class TlsCredentialsError extends SyntaxError {
  override name = "TlsCredentialsError";
}

/**
 * The credentials for a server listening on `host`: `given` when set
 * (checked to hold a certificate and a private key), else a fresh
 * self-signed certificate for `host` (a wildcard host means `localhost` and
 * the loopbacks only) and `localhost`.
 *
 * @throws {TlsCredentialsError} when the PEM texts hold no certificate or no key
 */
export async function serverCredentials(
  host: string,
  given?: { cert: string; key: string },
): Promise<ServerCredentials> {
  if (given) {
    let certificate: X509Certificate;
    try {
      // The first certificate of the file is the server's (a chain may follow).
      certificate = new X509Certificate(given.cert);
    } catch {
      throw new TlsCredentialsError(
        "--cert holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
      );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(given.key);
    } catch {
      throw new TlsCredentialsError("--key holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    if (!certificate.checkPrivateKey(key)) {
      throw new TlsCredentialsError(
        "the key does not belong to the certificate (--cert and --key do not match)",
      );
    }
    return {
      ...given,
      fingerprint: await fingerprintOf(new Uint8Array(certificate.raw)),
      selfSigned: false,
      warnings: credentialWarnings(certificate),
    };
  }
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const names = wildcard ? ["localhost", "127.0.0.1", "::1"] : [host, "localhost"];
  const made = await selfSigned({ names: [...new Set(names)] });
  return {
    cert: made.cert,
    key: made.key,
    fingerprint: made.fingerprint,
    selfSigned: true,
    warnings: [],
  };
}

/** What is wrong with a usable certificate: a CA used as a server's, or a validity elsewhere in time. */
export function credentialWarnings(certificate: X509Certificate, now = new Date()): string[] {
  const warnings: string[] = [];
  if (certificate.ca) {
    warnings.push(
      "the certificate is a CA certificate (CA:TRUE, as `openssl req -x509` makes by default); " +
        "verifying clients such as rustls refuse it as a server certificate (CaUsedAsEndEntity): " +
        "sign a leaf certificate with it, or have clients trust it with --pin",
    );
  }
  if (new Date(certificate.validTo) < now) {
    warnings.push(`the certificate expired on ${new Date(certificate.validTo).toISOString()}`);
  }
  if (new Date(certificate.validFrom) > now) {
    warnings.push(
      `the certificate is not valid before ${new Date(certificate.validFrom).toISOString()}`,
    );
  }
  return warnings;
}

/** What a TLS listener presents and asks for. */
export interface TlsListenOptions {
  cert: string;
  key: string;
  /** Require a client certificate issued by one of these CAs (PEM). */
  clientCa?: string | undefined;
  /** ALPN protocols offered, in order of preference. */
  alpn?: readonly string[] | undefined;
}

/**
 * A TCP listener whose connections speak TLS as the server end, through
 * `node:tls` over sockit's own connection (see `node_conn.ts`): unlike
 * `Deno.listenTls`, it can set TCP_NODELAY on each connection (without it
 * a small answer right after the handshake waits out a delayed ACK, 40 ms
 * or more) and could ask for client certificates. The handshake runs as the
 * connection is first read; a client that never finishes it is ended by the
 * server's idle and header timeouts like any silent client.
 */
export class TlsListener implements AsyncIterable<Deno.Conn> {
  readonly #inner: Deno.Listener;
  readonly #context: SecureContext;
  readonly #alpn: string[] | undefined;
  readonly #clientCas: X509Certificate[] | undefined;

  /** @throws {TlsCredentialsError} when the runtime refuses the certificate or key */
  constructor(inner: Deno.Listener, options: TlsListenOptions) {
    this.#inner = inner;
    try {
      this.#context = createSecureContext({
        cert: options.cert,
        key: options.key,
        minVersion: "TLSv1.2",
      });
    } catch (err) {
      throw new TlsCredentialsError(
        `the certificate and key cannot be used: ${err instanceof Error ? err.message : err}`,
      );
    }
    this.#alpn = options.alpn ? [...options.alpn] : undefined;
    this.#clientCas = options.clientCa ? certificatesOf(options.clientCa) : undefined;
  }

  get addr(): Deno.Addr {
    return this.#inner.addr;
  }

  /** The next connection, as the TLS server end (its handshake runs on first read). */
  async accept(): Promise<Deno.Conn> {
    const raw = await this.#inner.accept();
    try {
      (raw as Deno.TcpConn).setNoDelay(true);
    } catch {
      // not a TCP connection: nothing to tune
    }
    const gate = new ReadGate();
    const cas = this.#clientCas;
    const socket = new TLSSocket(duplexOf(raw, gate) as unknown as Socket, {
      isServer: true,
      secureContext: this.#context,
      ...(this.#alpn ? { ALPNProtocols: this.#alpn } : {}),
      // Deno's node:tls asks for the certificate but does not check it: see clientRefusal().
      ...(cas ? { requestCert: true, rejectUnauthorized: false } : {}),
    });
    if (cas) {
      socket.once("secure", () => {
        const refusal = clientRefusal(socket.getPeerCertificate(true)?.raw, cas);
        if (refusal) socket.destroy(new Error(`TLS client certificate refused: ${refusal}`));
      });
    }
    return new NodeSocketConn(socket, { addresses: raw, gate }) as unknown as Deno.Conn;
  }

  close(): void {
    this.#inner.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Deno.Conn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) return;
        throw err;
      }
    }
  }
}

/** Every certificate of a PEM text. */
function certificatesOf(pemText: string): X509Certificate[] {
  const blocks = pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ??
    [];
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Why a client's certificate is not accepted, or undefined when it is: it
 * must be issued and signed by one of `cas` directly (no intermediates) and
 * be valid now. Deno's `node:tls` server requests a certificate but neither
 * verifies it nor reports `authorized`, so sockit checks it here.
 */
export function clientRefusal(
  raw: Uint8Array | undefined,
  cas: readonly X509Certificate[],
  now = new Date(),
): string | undefined {
  if (!raw || raw.length === 0) return "the client sent none";
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(raw);
  } catch {
    return "it cannot be parsed";
  }
  if (new Date(certificate.validTo) < now) return "it has expired";
  if (new Date(certificate.validFrom) > now) return "it is not valid yet";
  const issuer = cas.find((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
  if (!issuer) {
    return `it is not issued by a --client-ca CA (subject ${
      certificate.subject.replaceAll("\n", ", ")
    })`;
  }
  return undefined;
}
