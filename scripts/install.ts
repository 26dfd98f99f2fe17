/**
 * `deno task install`: installs the `sockit` command with `deno install
 * --global` into Deno's bin folder (`$DENO_INSTALL_ROOT/bin`, by default
 * `~/.deno/bin`). The command is the launcher (`src/cli/launch.ts`), which
 * runs each invocation under exactly its permission plan. The launcher is
 * granted `--allow-read` (to check that a folder to share exists before
 * anything runs) and `--allow-run` for this Deno binary only.
 *
 * `deno task uninstall` (`--uninstall`) removes it.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const LAUNCHER = fileURLToPath(new URL("src/cli/launch.ts", ROOT));
const CONFIG = fileURLToPath(new URL("deno.json", ROOT));
const NAME = "sockit";

/** The folder `deno install --global` puts commands in. */
export function binDir(env: { get(name: string): string | undefined }): string {
  const root = env.get("DENO_INSTALL_ROOT");
  if (root) return `${root.replace(/\/+$/, "")}/bin`;
  const home = env.get("HOME") ?? env.get("USERPROFILE") ?? ".";
  return `${home}/.deno/bin`;
}

/**
 * The shim `deno install` writes calls `deno` by name; sockit pins it to the
 * Deno binary that installed it (installed through npm, `deno` may not be on
 * PATH), quoted for the shell.
 */
export function pinDeno(shim: string, deno: string): string {
  const quoted = `'${deno.replaceAll("'", `'\\''`)}'`;
  return shim.replace(/^exec deno /m, `exec ${quoted} `);
}

async function run(args: string[]): Promise<number> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

async function install(): Promise<number> {
  const deno = Deno.execPath();
  const code = await run([
    "install",
    "--global",
    "--force",
    "--quiet",
    "--name",
    NAME,
    "--config",
    CONFIG,
    "--no-prompt",
    "--allow-read",
    `--allow-run=${deno}`,
    LAUNCHER,
  ]);
  if (code !== 0) {
    console.error("install: error: deno install failed");
    return 1;
  }
  const bin = binDir(Deno.env);
  const shim = `${bin}/${NAME}`;
  if (Deno.build.os !== "windows") {
    await Deno.writeTextFile(shim, pinDeno(await Deno.readTextFile(shim), deno));
  }
  console.log(`installed ${shim}`);
  const onPath = (Deno.env.get("PATH") ?? "").split(Deno.build.os === "windows" ? ";" : ":")
    .some((dir) => dir.replace(/\/+$/, "") === bin);
  if (!onPath) {
    console.log(`${bin} is not on your PATH; add it, e.g.:`);
    console.log(`  export PATH="${bin}:$PATH"`);
  }
  console.log(`try: ${NAME} --permissions files serve .`);
  return 0;
}

async function uninstall(): Promise<number> {
  const code = await run(["uninstall", "--global", NAME]);
  if (code === 0) console.log(`removed ${binDir(Deno.env)}/${NAME}`);
  return code === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(Deno.args.includes("--uninstall") ? await uninstall() : await install());
}
