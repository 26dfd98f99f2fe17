/**
 * Certificates made at test time with openssl (never committed): a test CA,
 * a leaf signed by it, and an unrelated key.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Runs openssl to completion; its stdout. */
export async function openssl(args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/** A test CA, a leaf for localhost/127.0.0.1 signed by it, and an unrelated key, in `dir`. */
export async function makePki(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Test CA",
    ],
    dir,
  );
  await openssl(
    ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"],
    dir,
  );
  await Deno.writeTextFile(
    `${dir}/ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "1",
    "-extfile",
    "ext",
  ], dir);
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    "other.key",
  ], dir);
}

/**
 * The base64 SHA-256 of the public key (SPKI) that the TLS server on
 * 127.0.0.1:`port` presents, taken from a handshake by openssl: what curl's
 * `--pinnedpubkey sha256//…` and Chromium's `--ignore-certificate-errors-spki-list` take.
 */
export async function spkiPin(port: number): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `echo | openssl s_client -connect 127.0.0.1:${port} 2>/dev/null | openssl x509 -pubkey -noout | ` +
      "openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
    ],
    stdout: "piped",
  }).output();
  const pin = new TextDecoder().decode(out.stdout).trim();
  assert.match(pin, /^[A-Za-z0-9+/]{43}=$/, "an SPKI pin");
  return pin;
}
