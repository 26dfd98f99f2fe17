/**
 * The TLS options every TLS client and server shares, defined once, with
 * and what they add to a permission plan.
 *
 * `SSLKEYLOGFILE` is not honoured: sockit's TLS runs on `node:tls` (the
 * only TLS in Deno that lets a client pin a certificate or skip
 * verification, and a server set TCP_NODELAY), and Deno's `node:tls`
 * neither writes that file nor emits Node's `keylog` event. Only
 * `Deno.connectTls` writes it, which sockit does not use. `src/tls/args.ts` reads them into
 * the TLS layer's options.
 *
 * @module
 */

import type { Planner } from "./plan.ts";
import type { OptionSpec } from "./spec.ts";
import type { Args } from "./values.ts";

/** The client side: `--tls` and how the server is trusted. */
export function tlsClientOptions(
  withTlsFlag = true,
  clientCert = true,
): Record<string, OptionSpec> {
  return {
    ...(clientCert
      ? {
        cert: {
          type: "string",
          value: "FILE",
          help: "client certificate (PEM) for servers that ask for one, with --key",
        },
        key: { type: "string", value: "FILE", help: "the client certificate's private key (PEM)" },
      } as Record<string, OptionSpec>
      : {}),
    ...(withTlsFlag
      ? { tls: { type: "boolean", help: "speak TLS (the certificate is verified)" } }
      : {}),
    cacert: {
      type: "string",
      value: "FILE",
      help: "trust the CA certificates in FILE (PEM) instead of the system's",
    },
    pin: {
      type: "string",
      value: "SHA256",
      help: "trust exactly the certificate with this SHA-256 fingerprint (hex, colons optional)",
    },
    servername: {
      type: "string",
      value: "NAME",
      help: "name to send (SNI) and verify (default: the host)",
    },
    alpn: {
      type: "string",
      value: "PROTO",
      multiple: true,
      help: "ALPN protocol to offer (repeatable)",
    },
    insecure: {
      type: "boolean",
      help: "trust any certificate: no chain and no name check (a warning is printed)",
    },
  };
}

/** The server side: `--tls` and the certificate to present. */
export const TLS_SERVER_OPTIONS: Record<string, OptionSpec> = {
  tls: {
    type: "boolean",
    help: "speak TLS; without --cert/--key a fresh self-signed certificate is made",
  },
  cert: {
    type: "string",
    value: "FILE",
    help: "TLS certificate chain (PEM), with --key (means --tls)",
  },
  key: { type: "string", value: "FILE", help: "TLS private key (PEM), with --cert" },
  "client-ca": {
    type: "string",
    value: "FILE",
    help: "require a client certificate issued by a CA in FILE (PEM)",
  },
};

/**
 * True when this client run speaks TLS: `--tls`, or an option that only
 * means something with TLS (`--pin`, `--cacert`, `--insecure`, `--servername`).
 */
export function clientWantsTls(args: Args, flag = "tls"): boolean {
  return args.flag(flag) || args.flag("insecure") ||
    ["pin", "cacert", "servername"].some((name) => args.text(name) !== undefined);
}

/** Adds the files a TLS client reads to `p`. */
export function planTlsClient(args: Args, p: Planner): void {
  for (const name of ["cacert", "cert", "key"]) {
    const file = args.text(name);
    if (file !== undefined) p.read(file);
  }
}

/** Adds the files a TLS server reads to `p`. */
export function planTlsServer(args: Args, p: Planner, flag = "tls"): void {
  const cert = args.text("cert");
  const key = args.text("key");
  const clientCa = args.text("client-ca");
  if (!args.flag(flag) && cert === undefined && key === undefined && clientCa === undefined) return;
  if (cert !== undefined) p.read(cert);
  if (key !== undefined) p.read(key);
  if (clientCa !== undefined) p.read(clientCa);
}
