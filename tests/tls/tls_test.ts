/**
 * The TLS foundation: the self-signed certificate as openssl reads it, and
 * the client's trust decisions (verified chain and name, pin, insecure)
 * against servers on loopback: Deno's own TLS listener with sockit's
 * certificate, and openssl with a CA and leaf made at test time.
 */
import assert from "node:assert/strict";
import { selfSigned } from "../../src/tls/certificate.ts";
import { type TlsClientOptions, type TlsSession, TlsTrustError } from "../../src/tls/client.ts";
import { dial } from "../../src/net/dial.ts";
import { formatFingerprint, parsePin, PinSyntaxError } from "../../src/tls/fingerprint.ts";
import { X509Certificate } from "node:crypto";
import { serverCredentials } from "../../src/tls/server.ts";
import { skipWithout } from "../helpers/harness.ts";
import { makePki, openssl } from "../helpers/pki.ts";

const encoder = new TextEncoder();

/** A TLS client connection (through `dial`, as the commands make them) and its session. */
async function connectTls(
  target: { hostname: string; port: number },
  options: TlsClientOptions = {},
): Promise<{ conn: Deno.Conn; session: TlsSession }> {
  let session: TlsSession | undefined;
  const conn = await dial({ transport: "tcp", ...target }, {
    tls: options,
    onTls: (settled) => (session = settled),
  });
  assert.ok(session);
  return { conn, session };
}

Deno.test({
  name: "a self-signed certificate is an ECDSA P-256 end-entity certificate for its names",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const made = await selfSigned({ names: ["192.0.2.7", "localhost", "::1"] });
      await Deno.writeTextFile(`${dir}/c.pem`, made.cert);
      await Deno.writeTextFile(`${dir}/k.pem`, made.key);
      const text = await openssl(["x509", "-in", `${dir}/c.pem`, "-noout", "-text"]);
      assert.match(text, /Version: 3/);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
      assert.match(text, /NIST CURVE: P-256/);
      assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /TLS Web Server Authentication/);
      assert.match(text, /IP Address:192\.0\.2\.7, DNS:localhost, IP Address:0:0:0:0:0:0:0:1/);
      assert.match(text, /Subject: O = sockit, CN = 192\.0\.2\.7/);
      // The signature verifies under its own key, and the key matches the certificate.
      await openssl([
        "verify",
        "-check_ss_sig",
        "-partial_chain",
        "-CAfile",
        `${dir}/c.pem`,
        `${dir}/c.pem`,
      ]);
      const pub1 = await openssl(["x509", "-in", `${dir}/c.pem`, "-noout", "-pubkey"]);
      const pub2 = await openssl(["pkey", "-in", `${dir}/k.pem`, "-pubout"]);
      assert.equal(pub1, pub2);
      const fp = await openssl([
        "x509",
        "-in",
        `${dir}/c.pem`,
        "-noout",
        "-fingerprint",
        "-sha256",
      ]);
      assert.equal(fp.trim().split("=")[1], formatFingerprint(made.fingerprint));
      assert.deepEqual(new Uint8Array(new X509Certificate(made.cert).raw), made.der);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a pin is read with or without colons and prefixes, and refused when not SHA-256 hex", () => {
  const hex = "0a".repeat(32);
  assert.equal(parsePin(hex), hex);
  assert.equal(parsePin(formatFingerprint(hex)), hex);
  assert.equal(parsePin(`sha256:${hex}`), hex);
  assert.equal(parsePin(`SHA256 ${hex.toUpperCase()}`), hex);
  assert.equal(parsePin(`sha256 Fingerprint=${formatFingerprint(hex)}`), hex);
  assert.throws(() => parsePin("0a".repeat(31)), PinSyntaxError);
  assert.throws(() => parsePin("zz".repeat(32)), /hex digits/);
});

/** A Deno TLS server on loopback with `cert`/`key` that echoes one message, then half-closes. */
function echoServer(cert: string, key: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const served = (async () => {
    for (;;) {
      let conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      try {
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        if (n !== null) await conn.write(buf.subarray(0, n));
        await conn.closeWrite();
        await conn.read(buf).catch(() => null);
      } catch {
        // a client that refused the certificate leaves mid-handshake
      } finally {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await served;
    },
  };
}

Deno.test("a client trusts a self-signed server by its pin, and only by its pin", async () => {
  const creds = await serverCredentials("127.0.0.1");
  assert.equal(creds.selfSigned, true);
  await using server = echoServer(creds.cert, creds.key);
  const target = { hostname: "127.0.0.1", port: server.port };

  const { conn, session } = await connectTls(target, { pin: creds.fingerprint });
  assert.equal(session.trust, "pinned");
  assert.equal(session.fingerprint, creds.fingerprint);
  assert.match(session.protocol, /^TLSv1\.[23]$/);
  await conn.write(encoder.encode("hello"));
  const buf = new Uint8Array(16);
  assert.equal(await conn.read(buf), 5);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "hello");
  assert.equal(await conn.read(buf), null, "the server's close_notify ends the stream");
  conn.close();

  const wrong = "00".repeat(32);
  const refused = await connectTls(target, { pin: wrong }).catch((e) => e);
  assert.ok(refused instanceof TlsTrustError);
  assert.match(
    refused.message,
    new RegExp(`not the pinned one \\(its SHA-256 is ${creds.fingerprint}\\)`),
  );

  const untrusted = await connectTls(target).catch((e) => e);
  assert.ok(untrusted instanceof TlsTrustError);
  assert.match(untrusted.message, /not trusted: it is self-signed/);
  assert.equal(untrusted.certificate?.fingerprint, creds.fingerprint);
  assert.match(untrusted.certificate?.subject ?? "", /CN=127\.0\.0\.1/);

  const anyway = await connectTls(target, { insecure: true });
  assert.equal(anyway.session.trust, "insecure");
  anyway.conn.close();
});

Deno.test({
  name: "a client verifies chain and name against --cacert, and names what is wrong",
  ignore: skipWithout("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makePki(dir);
      const cert = await Deno.readTextFile(`${dir}/leaf.pem`);
      const key = await Deno.readTextFile(`${dir}/leaf.key`);
      const ca = await Deno.readTextFile(`${dir}/ca.pem`);
      await using server = echoServer(cert, key);
      const target = { hostname: "localhost", port: server.port };
      const local = { hostname: "127.0.0.1", port: server.port };

      const good = await connectTls(local, { cacert: [ca], servername: "localhost" });
      assert.equal(good.session.trust, "verified");
      assert.match(good.session.issuer, /CN=Test CA/);
      good.conn.close();

      const byName = await connectTls({ ...local }, { cacert: [ca], servername: "wrong.example" })
        .catch((e) => e);
      assert.match(String(byName), /not valid for the name wrong\.example/);

      const noCa = await connectTls(local, { servername: target.hostname }).catch((e) => e);
      assert.match(String(noCa), /its issuer is not a trusted CA/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
