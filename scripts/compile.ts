/**
 * Builds self-contained sockit executables with `deno compile` into dist/.
 *
 *   deno task compile                      every platform below
 *   deno task compile --target x86_64-unknown-linux-gnu
 *   DENORT_BIN=/path/to/denort deno task compile   this platform, offline
 *
 * `deno compile` downloads its base runtime (denort) for each target from
 * Deno's download host. Where that host cannot be reached, this script stops
 * with one clear line instead of a stack of network errors; `DENORT_BIN`
 * (honoured by deno compile itself) supplies a local runtime for the host
 * platform, so with it set the default target is the host's own.
 *
 * The binaries carry the union of what sockit's commands need (net, read,
 * write, the network-interface list); run `deno run` with narrower flags to
 * confine a single command (see README, "Permissions").
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Every platform sockit ships for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** The permissions and unstable flags compiled into every binary. */
export const BINARY_FLAGS = [
  "--unstable-net",
  "--no-prompt",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  // --exec runs its PROGRAM; every run without --exec revokes run access at start.
  "--allow-run",
  "--allow-sys=networkInterfaces,hostname",
];

const root = new URL("..", import.meta.url).pathname;

function hostTarget(): string {
  const { arch, os } = Deno.build;
  if (os === "linux") return `${arch}-unknown-linux-gnu`;
  if (os === "darwin") return `${arch}-apple-darwin`;
  if (os === "windows") return `${arch}-pc-windows-msvc`;
  throw new Error(`Cannot compile for this platform: ${os}/${arch}`);
}

function fail(message: string, hint?: string): never {
  console.error(`compile: error: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
  Deno.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`Usage: deno task compile [--target TARGET]...\nTargets: ${TARGETS.join(", ")}`);
    return;
  }
  const denort = Deno.env.get("DENORT_BIN");
  const targets = values.target ?? (denort ? [hostTarget()] : [...TARGETS]);
  for (const target of targets) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      fail(`unknown target "${target}"`, `targets: ${TARGETS.join(", ")}`);
    }
  }
  await Deno.mkdir(`${root}dist`, { recursive: true });
  for (const target of targets) {
    const output = `${root}dist/sockit-${target}${target.includes("windows") ? ".exe" : ""}`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["compile", ...BINARY_FLAGS, "--target", target, "--output", output, `${root}main.ts`],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    if (code !== 0) {
      if (/Setting up base binary|error sending request|dns error|failed to lookup/i.test(text)) {
        fail(
          `cannot download the Deno base runtime (denort) for ${target}: Deno's download host is not reachable from here`,
          "run where it is reachable, or set DENORT_BIN to a denort binary for this platform",
        );
      }
      console.error(text);
      fail(`deno compile failed for ${target} (exit ${code})`);
    }
    const { size } = await Deno.stat(output);
    console.log(`built ${output.slice(root.length)} (${(size / 1e6).toFixed(1)} MB)`);
  }
}

if (import.meta.main) await main();
