/**
 * What a TLS server presents: the certificate and key it was given (PEM), or
 * a fresh self-signed certificate for its listen host and `localhost`, and
 * in both cases the SHA-256 fingerprint that a server prints next to
 * `listening on` and clients pin.
 *
 * @module
 */

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
}

/** Given certificate files that cannot be used. */
export class TlsCredentialsError extends Error {
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
    const der = firstCertificate(given.cert);
    if (!der) throw new TlsCredentialsError("the certificate file holds no PEM certificate");
    if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(given.key)) {
      throw new TlsCredentialsError("the key file holds no PEM private key");
    }
    return { ...given, fingerprint: await fingerprintOf(der), selfSigned: false };
  }
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const names = wildcard ? ["localhost", "127.0.0.1", "::1"] : [host, "localhost"];
  const made = await selfSigned({ names: [...new Set(names)] });
  return { cert: made.cert, key: made.key, fingerprint: made.fingerprint, selfSigned: true };
}

/** The DER bytes of the first `CERTIFICATE` block of a PEM text. */
export function firstCertificate(pemText: string): Uint8Array | undefined {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pemText);
  if (!match) return undefined;
  try {
    const binary = atob((match[1] ?? "").replace(/\s+/g, ""));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
