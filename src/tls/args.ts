/**
 * The TLS options of a command read into the TLS layer's form. Bad values
 * are `SyntaxError`s (a pin that is not a fingerprint, a missing file), which
 * the command edge turns into usage errors (exit 2) before anything
 * connects or listens.
 *
 * @module
 */

import type { Args } from "../command/values.ts";
import type { TlsClientOptions } from "./client.ts";
import { parsePin } from "./fingerprint.ts";

/**
 * Reads the client-side options into the TLS layer's form.
 *
 * @throws {SyntaxError} a bad pin, an unreadable `--cacert`, `--pin` with `--insecure`
 */
export async function readTlsClientOptions(args: Args): Promise<TlsClientOptions> {
  const pinText = args.text("pin");
  const insecure = args.flag("insecure");
  if (pinText !== undefined && insecure) {
    throw new SyntaxError("--pin and --insecure contradict each other: give one");
  }
  const cacertPath = args.text("cacert");
  const alpn = args.texts("alpn");
  return {
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
): Promise<{ cert: string; key: string } | undefined> {
  const cert = args.text("cert");
  const key = args.text("key");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new SyntaxError(
      "--cert and --key go together: give both, or neither for a self-signed certificate",
    );
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
