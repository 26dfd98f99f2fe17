/**
 * Every fuzz target, in the order `deno task fuzz` runs them. The tests
 * (`tests/fuzz_test.ts`) import this list and run a small seeded slice.
 *
 * @module
 */

import type { FuzzTarget } from "./engine.ts";
import * as chat from "./chat.ts";
import * as files from "./files.ts";
import * as http from "./http.ts";
import * as inet from "./inet.ts";
import * as share from "./share.ts";
import * as text from "./text.ts";
import * as tftp from "./tftp.ts";

/** All targets. */
export const TARGETS: readonly FuzzTarget[] = [
  files.request,
  files.reply,
  files.framing,
  files.range,
  http.response,
  http.url,
  http.header,
  tftp.packets,
  tftp.options,
  tftp.netascii,
  tftp.sessions,
  chat.lines,
  chat.relay,
  chat.strip,
  inet.address,
  inet.ip,
  inet.cidr,
  inet.ports,
  inet.access,
  share.path,
  text.encodeTarget,
  text.display,
  text.escape,
  text.words,
  text.hexdump,
];
