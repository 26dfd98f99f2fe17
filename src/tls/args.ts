/**
 * The TLS options of a command read into the TLS layer's form. Bad values
 * are `SyntaxError`s (a pin that is not a fingerprint, a missing file), which
 * the command edge turns into usage errors (exit 2) before anything
 * connects or listens.
 *
 * @module
 */

import { clientWantsTls } from "../command/tls.ts";
import type { Args } from "../command/values.ts";
import { input, inputAsync } from "../console/errors.ts";
import type { Output } from "../console/output.ts";
import type { Address } from "../inet/address.ts";
import type { TlsClientOptions } from "./client.ts";
import { parsePin } from "./fingerprint.ts";
import { type ServerCredentials, serverCredentials } from "./server.ts";

/**
 * Reads the client-side options into the TLS layer's form.
 *
 * @throws {SyntaxError} a bad pin, an unreadable `--cacert`, `--pin` with `--insecure`
 */
export async function readTlsClientOptions(
  args: Args,
  withClientCert = true,
): Promise<TlsClientOptions> {
  const pinText = args.text("pin");
  const insecure = args.flag("insecure");
  if (pinText !== undefined && insecure) {
    throw new SyntaxError("--pin and --insecure contradict each other: give one");
  }
  const cacertPath = args.text("cacert");
  const alpn = args.texts("alpn");
  const identity = withClientCert
    ? await readTlsServerFiles(args, "a client certificate")
    : undefined;
  return {
    ...(identity ?? {}),
    ...(pinText === undefined ? {} : { pin: parsePin(pinText) }),
    ...(cacertPath === undefined ? {} : { cacert: [await readPem(cacertPath, "--cacert")] }),
    ...(args.text("servername") === undefined ? {} : { servername: args.text("servername") }),
    ...(alpn.length === 0 ? {} : { alpn }),
    insecure,
  };
}

/**
 * Reads `--cert`/`--key` (both or neither).
 *
 * @throws {SyntaxError} one without the other, or a file that cannot be read
 */
export async function readTlsServerFiles(
  args: Args,
  what = "a self-signed certificate",
): Promise<{ cert: string; key: string } | undefined> {
  const cert = args.text("cert");
  const key = args.text("key");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new SyntaxError(`--cert and --key go together: give both, or neither for ${what}`);
  }
  return { cert: await readPem(cert, "--cert"), key: await readPem(key, "--key") };
}

async function readPem(path: string, option: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SyntaxError(`Cannot read ${option} "${path}": no such file`);
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new SyntaxError(`Cannot read ${option} "${path}": it is a folder`);
    }
    throw err;
  }
}

/** True when a server run speaks TLS: `--tls`, or `--cert`/`--key` (which mean it). */
export function serverWantsTls(args: Args, flag = "tls"): boolean {
  return args.flag(flag) ||
    ["cert", "key", "client-ca"].some((name) => args.text(name) !== undefined);
}

/**
 * A server's TLS credentials from its options, or undefined without TLS:
 * the given `--cert`/`--key` (checked to belong together), or a fresh
 * self-signed certificate for `host` and `localhost`.
 *
 * @throws {SyntaxError} unreadable or mismatched files (a usage error)
 */
export async function readServerTls(
  args: Args,
  host: string,
  flag = "tls",
): Promise<ServerCredentials | undefined> {
  if (!serverWantsTls(args, flag)) return undefined;
  const credentials = await serverCredentials(host, await readTlsServerFiles(args));
  const clientCa = args.text("client-ca");
  if (clientCa === undefined) return credentials;
  const pem = await readPem(clientCa, "--client-ca");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new SyntaxError(`--client-ca "${clientCa}" holds no PEM certificate`);
  }
  return { ...credentials, clientCa: pem };
}

/**
 * A client's TLS options, or undefined when it does not speak TLS; bad
 * values are usage errors, and `--insecure` is warned about.
 */
export async function clientTls(
  args: Args,
  out: Output,
  flag = "tls",
  withClientCert = true,
): Promise<TlsClientOptions | undefined> {
  if (!clientWantsTls(args, flag)) return undefined;
  const options = await inputAsync(() => readTlsClientOptions(args, withClientCert));
  if (options.insecure) {
    out.warn("--insecure: the server's certificate is not checked (chain and name)");
  }
  return options;
}

/**
 * A server's TLS credentials, made or read before it listens (bad files are
 * usage errors), with their warnings printed; undefined without TLS.
 */
export async function startTls(
  args: Args,
  address: Address,
  out: Output,
  flag = "tls",
): Promise<ServerCredentials | undefined> {
  if (!serverWantsTls(args, flag)) return undefined;
  if (address.transport === "unix") {
    return input(() => {
      throw new SyntaxError("--tls is for TCP listeners, not Unix sockets");
    });
  }
  const credentials = await inputAsync(() => readServerTls(args, address.hostname, flag));
  for (const warning of credentials?.warnings ?? []) out.warn(warning);
  return credentials;
}
