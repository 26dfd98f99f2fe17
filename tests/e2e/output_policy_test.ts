/**
 * One policy for the files that `files get`, `tftp get` and `http get -o`
 * write: an existing file is replaced only with --force, `-o -` is stdout,
 * and a destination that cannot be written (a folder, a missing folder) is
 * refused before anything is transferred, leaving nothing behind.
 */

import assert from "node:assert/strict";
import { sockit, Spawned } from "../helpers/harness.ts";

/** A temp folder with a share holding notes.txt and an empty download folder. */
async function withDirs(fn: (base: string) => Promise<void>) {
  const base = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${base}/share`);
    await Deno.mkdir(`${base}/dl`);
    await Deno.writeTextFile(`${base}/share/notes.txt`, "hello world\n");
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

/** The three clients, each fetching notes.txt from a server of its kind. */
interface Client {
  name: string;
  server(base: string): Spawned;
  get(base: string, port: number, output: string[]): Promise<Spawned>;
}

function client(base: string, args: string[]): Spawned {
  return sockit(args, [
    "--allow-net=127.0.0.1",
    `--allow-read=${base}/dl`,
    `--allow-write=${base}/dl`,
  ], { stdin: "null", cwd: `${base}/dl` });
}

const clients: Client[] = [
  {
    name: "files get",
    server: (base) =>
      sockit(["files", "serve", `${base}/share`, "--listen", "0"], [
        "--allow-net=127.0.0.1",
        `--allow-read=${base}/share`,
      ]),
    get: (base, port, output) =>
      Promise.resolve(client(base, ["files", "get", `127.0.0.1:${port}`, "notes.txt", ...output])),
  },
  {
    name: "tftp get",
    server: (base) =>
      sockit(["tftp", "serve", `${base}/share`, "--listen", "127.0.0.1:0"], [
        "--allow-net=127.0.0.1",
        `--allow-read=${base}/share`,
      ]),
    get: (base, port, output) =>
      Promise.resolve(
        client(base, ["tftp", "get", `127.0.0.1:${port}`, "notes.txt", ...named(output)]),
      ),
  },
  {
    name: "http get",
    server: (base) =>
      sockit(
        ["files", "serve", `${base}/share`, "--listen", "0", "--http", "127.0.0.1:0"],
        ["--allow-net=127.0.0.1", `--allow-read=${base}/share`],
      ),
    get: (base, port, output) =>
      Promise.resolve(
        client(base, [
          "http",
          "get",
          `http://127.0.0.1:${port}/notes.txt`,
          ...named(output),
        ]),
      ),
  },
];

/** `-o notes.txt` unless the arguments name an output. */
function named(args: string[]): string[] {
  return args.includes("-o") ? args : ["-o", "notes.txt", ...args];
}

/** The port a client talks to: the HTTP face for http get. */
async function portOf(c: Client, server: Spawned): Promise<number> {
  return await server.port(c.name === "http get" ? { label: "http" } : {});
}

/** Names in a folder, sorted. */
function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

for (const c of clients) {
  Deno.test(`${c.name}: an existing file is refused without --force and replaced with it`, async () => {
    await withDirs(async (base) => {
      await using server = c.server(base);
      const port = await portOf(c, server);
      await Deno.writeTextFile(`${base}/dl/notes.txt`, "old\n");
      const refused = await (await c.get(base, port, [])).finish();
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /notes\.txt exists\nhint: use --force to replace it/);
      assert.equal(await Deno.readTextFile(`${base}/dl/notes.txt`), "old\n");
      assert.deepEqual(names(`${base}/dl`), ["notes.txt"]);
      const forced = await (await c.get(base, port, ["--force"])).finish();
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(await Deno.readTextFile(`${base}/dl/notes.txt`), "hello world\n");
    });
  });

  Deno.test(`${c.name}: -o - writes the file to stdout and nothing to disk`, async () => {
    await withDirs(async (base) => {
      await using server = c.server(base);
      const port = await portOf(c, server);
      const done = await (await c.get(base, port, ["-o", "-"])).finish();
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.stdout, "hello world\n");
      assert.deepEqual(names(`${base}/dl`), []);
    });
  });

  Deno.test(`${c.name}: a folder as the destination is refused up front, even with --force`, async () => {
    await withDirs(async (base) => {
      await using server = c.server(base);
      const port = await portOf(c, server);
      await Deno.mkdir(`${base}/dl/notes.txt`);
      const done = await (await c.get(base, port, ["--force"])).finish();
      assert.equal(done.code, 2, done.stderr);
      assert.match(done.stderr, /Cannot save to "notes\.txt": it is a directory/);
      assert.deepEqual(names(`${base}/dl`), ["notes.txt"]);
      assert.deepEqual(names(`${base}/dl/notes.txt`), []);
    });
  });

  Deno.test(`${c.name}: a missing parent folder is named, and nothing is left behind`, async () => {
    await withDirs(async (base) => {
      await using server = c.server(base);
      const port = await portOf(c, server);
      const done = await (await c.get(base, port, ["-o", "missing/x.txt"])).finish();
      assert.equal(done.code, 2, done.stderr);
      assert.match(done.stderr, /Cannot save to "missing\/x\.txt": no folder "missing"/);
      assert.doesNotMatch(done.stderr, /sockit-|\.part/);
      assert.deepEqual(names(`${base}/dl`), []);
    });
  });
}
