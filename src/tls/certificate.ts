/**
 * A fresh self-signed server certificate, made at start when a server is
 * given `--tls` without `--cert/--key`: an ECDSA P-256 key from WebCrypto and
 * an X.509 v3 certificate (RFC 5280) encoded here, valid for the names and
 * addresses it is given. It is an end-entity certificate (CA:FALSE, key usage
 * digitalSignature, extended key usage serverAuth and clientAuth), which is
 * what TLS libraries such as rustls accept as a server certificate; clients
 * trust it by its SHA-256 fingerprint (`--pin`), never by a chain.
 *
 * @module
 */

import { ipBytes, ipOf } from "../inet/ip.ts";
import {
  bitString,
  boolean,
  explicit,
  implicit,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./der.ts";
import { fingerprintOf } from "./fingerprint.ts";

/** A certificate and its private key, as PEM text, with the certificate's fingerprint. */
export interface CertifiedKey {
  /** The certificate, `-----BEGIN CERTIFICATE-----`. */
  cert: string;
  /** The private key, PKCS #8, `-----BEGIN PRIVATE KEY-----`. */
  key: string;
  /** The certificate's DER bytes. */
  der: Uint8Array;
  /** SHA-256 of the DER bytes, lower-case hex without separators. */
  fingerprint: string;
}

/** What a self-signed certificate is made for. */
export interface SelfSignedOptions {
  /** DNS names and IP addresses the certificate is valid for; the first is its common name. */
  names: readonly string[];
  /** Start of validity. @default {now minus one hour, for clocks a little behind} */
  notBefore?: Date;
  /** Days of validity from `notBefore`. @default {30} */
  days?: number;
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const COMMON_NAME = "2.5.4.3";
const ORGANIZATION = "2.5.4.10";
const BASIC_CONSTRAINTS = "2.5.29.19";
const KEY_USAGE = "2.5.29.15";
const EXT_KEY_USAGE = "2.5.29.37";
const SUBJECT_ALT_NAME = "2.5.29.17";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/**
 * Makes a key pair and a self-signed certificate for `names`.
 *
 * @throws {RangeError} when no name is given
 */
export async function selfSigned(options: SelfSignedOptions): Promise<CertifiedKey> {
  const { names } = options;
  if (names.length === 0) throw new RangeError("a certificate needs at least one name");
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 30) * 86400_000);
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f | 0x40; // positive, and 16 bytes long
  const name = distinguishedName(names[0] ?? "");
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, sequence(...extensions(names))),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      new Uint8Array(tbs),
    ),
  );
  const der = sequence(tbs, algorithm, bitString(ecdsaSignatureDer(signature)));
  return {
    cert: pem("CERTIFICATE", der),
    key: pem("PRIVATE KEY", pkcs8),
    der,
    fingerprint: await fingerprintOf(der),
  };
}

/** `CN=<name>, O=sockit`. */
function distinguishedName(commonName: string): Uint8Array {
  return sequence(
    set(sequence(oid(ORGANIZATION), utf8String("sockit"))),
    set(sequence(oid(COMMON_NAME), utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

function extensions(names: readonly string[]): Uint8Array[] {
  const altNames = names.map((text) => {
    const ip = ipOf(text);
    // iPAddress [7] holds the address bytes; dNSName [2] an IA5String.
    return ip ? implicit(7, ipBytes(ip)) : implicit(2, new TextEncoder().encode(text));
  });
  return [
    extension(BASIC_CONSTRAINTS, true, sequence()), // cA defaults to FALSE
    extension(KEY_USAGE, true, Uint8Array.of(0x03, 0x02, 0x07, 0x80)), // digitalSignature
    extension(EXT_KEY_USAGE, false, sequence(oid(SERVER_AUTH), oid(CLIENT_AUTH))),
    extension(SUBJECT_ALT_NAME, false, sequence(...altNames)),
  ];
}

/** WebCrypto signs ECDSA as r‖s (IEEE P1363); X.509 wants SEQUENCE { r, s } (RFC 3279). */
function ecdsaSignatureDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/**
 * PEM text (RFC 7468): a label, Base64 in lines of 64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pem } from "./certificate.ts";
 * assert.equal(pem("X", Uint8Array.of(1, 2)), "-----BEGIN X-----\nAQI=\n-----END X-----\n");
 * ```
 */
export function pem(label: string, der: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...der));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
