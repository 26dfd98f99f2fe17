/**
 * The command table: every group and command sockit has. Dispatch and help
 * are generated from it.
 *
 * @module
 */

import type { TableEntry } from "../command/spec.ts";
import { benchGroup } from "../bench/command.ts";
import { chatGroup } from "../chat/command.ts";
import { filesGroup } from "../files/command.ts";
import { httpGroup } from "../http/command.ts";
import { ipGroup, portGroup } from "../inet/command.ts";
import { relayGroup } from "../relay/command.ts";
import { serveCommand } from "../serve/command.ts";
import { tcpGroup } from "../tcp/command.ts";
import { tftpGroup } from "../tftp/command.ts";
import { udpGroup } from "../udp/command.ts";

/** Every top-level entry, in the order help lists them. */
export const TABLE: TableEntry[] = [
  tcpGroup,
  udpGroup,
  chatGroup,
  filesGroup,
  httpGroup,
  tftpGroup,
  relayGroup,
  ipGroup,
  portGroup,
  benchGroup,
  serveCommand,
];
