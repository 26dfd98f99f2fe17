/**
 * The records `ip info` and `ip calc` print: computed once as a list of
 * fields, then rendered as aligned text or as one JSON object. Pure.
 *
 * @module
 */

import {
  embeddedIPv4,
  ipv4Class,
  isGlobal,
  isGlobalNetwork,
  isPrivate,
  isPrivateNetwork,
  scope,
} from "./classify.ts";
import { binaryIPv4, calculate, expandIPv6, formatIP, type IP, type Network } from "./ip.ts";

/**
 * One fact of a record: `label` names it in text (absent: JSON only), `key`
 * in JSON (absent: text only; `a.b` nests), `text` is its text form when that
 * differs from `value`.
 */
export interface Field {
  label?: string;
  key?: string;
  value: string | number | boolean;
  text?: string;
}

const yesNo = (b: boolean) => (b ? "yes" : "no");

/**
 * What `ip info` says about an address.
 *
 * @example Fields of an IPv4 address
 * ```ts
 * import { addressFields } from "./report.ts";
 * import { parseIP } from "./ip.ts";
 * addressFields(parseIP("192.168.1.10")).map((f) => f.label); // address, version, class, …
 * ```
 */
export function addressFields(ip: IP): Field[] {
  const fields: Field[] = [
    { label: "address", key: "address", value: formatIP(ip) },
    { label: "version", key: "version", value: ip.version },
  ];
  if (ip.version === 4) {
    fields.push(
      { label: "class", key: "class", value: ipv4Class(ip.value) },
      { label: "binary", key: "binary", value: binaryIPv4(ip.value) },
    );
  } else {
    fields.push(
      { label: "full", key: "full", value: expandIPv6(ip.value) },
      { label: "compressed", key: "compressed", value: formatIP({ version: 6, value: ip.value }) },
    );
    if (ip.zone) fields.push({ label: "zone", key: "zone", value: ip.zone });
    for (const [kind, v4] of Object.entries(embeddedIPv4(ip))) {
      fields.push({ label: kind, key: kind, value: v4 });
    }
  }
  fields.push(
    { label: "scope", key: "scope", value: scope(ip) },
    { label: "private", key: "private", value: isPrivate(ip), text: yesNo(isPrivate(ip)) },
    { label: "global", key: "global", value: isGlobal(ip), text: yesNo(isGlobal(ip)) },
  );
  return fields;
}

/** What `ip calc` says about a network. */
export function networkFields(net: Network): Field[] {
  const c = calculate(net);
  const show = (value: bigint) => formatIP({ version: c.version, value });
  const network = show(c.network);
  const last: Field = c.version === 4
    ? { label: "broadcast", key: "broadcast", value: show(c.last) }
    : { label: "last address", key: "last", value: show(c.last) };
  const isPrivateNet = isPrivateNetwork(c.network, c.last, c.version);
  const fields: Field[] = [
    { label: "address", key: "address", value: formatIP(net.address) },
    { label: "network", key: "network", value: network, text: `${network}/${c.prefix}` },
    { label: "netmask", key: "netmask", value: show(c.netmask) },
    { label: "wildcard", key: "wildcard", value: show(c.hostmask) },
    { label: "prefix", key: "prefix", value: c.prefix, text: `/${c.prefix}` },
    last,
    { label: "first host", key: "firstHost", value: show(c.firstHost) },
    { label: "last host", key: "lastHost", value: show(c.lastHost) },
    { label: "hosts", key: "hosts", value: c.hosts.toString() },
    { label: "addresses", key: "addresses", value: c.size.toString() },
    { label: "private", key: "private", value: isPrivateNet, text: yesNo(isPrivateNet) },
    { key: "global", value: isGlobalNetwork(c.network, c.last, c.version) },
  ];
  if (c.version === 4) {
    fields.push(
      { label: "binary address", key: "binary.address", value: binaryIPv4(net.address.value) },
      { label: "binary mask", key: "binary.mask", value: binaryIPv4(c.netmask) },
      { label: "binary network", key: "binary.network", value: binaryIPv4(c.network) },
    );
  }
  return fields;
}

/** The fields as aligned `label  value` lines, each ending in a newline. */
export function fieldsText(fields: readonly Field[]): string {
  const shown = fields.filter((f) => f.label !== undefined);
  const width = Math.max(...shown.map((f) => f.label!.length));
  return shown.map((f) => `${f.label!.padEnd(width)}  ${f.text ?? String(f.value)}\n`).join("");
}

/** The fields as one JSON object (`a.b` keys nest). */
export function fieldsJson(fields: readonly Field[]): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const { key, value } of fields) {
    if (key === undefined) continue;
    const [outer, inner] = key.split(".", 2) as [string, string | undefined];
    if (inner === undefined) json[outer] = value;
    else ((json[outer] ??= {}) as Record<string, unknown>)[inner] = value;
  }
  return json;
}
