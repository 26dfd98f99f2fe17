/**
 * The layering rules of docs/architecture.md, checked on the import graph of
 * `src/`: only the top floor (`src/cli/`, `main.ts`) imports `src/cli/`,
 * command modules never import another group's command module, and folders
 * never import each other in a circle.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm;

interface Edge {
  from: string;
  to: string;
}

/** Every relative import of every `.ts` file under `src/` plus `main.ts`, as repository paths. */
async function importEdges(): Promise<Edge[]> {
  const files = ["main.ts", ...(await walk("src"))];
  const edges: Edge[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const match of text.matchAll(IMPORT)) {
      const target = new URL(match[1] ?? "", new URL(file, ROOT));
      const to = target.pathname.slice(ROOT.pathname.length);
      if (to.endsWith(".ts")) edges.push({ from: file, to });
    }
  }
  return edges;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...(await walk(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** `src/tcp/server.ts` → `src/tcp`; `main.ts` → `main.ts`. */
function folder(path: string): string {
  const parts = path.split("/");
  return parts.length > 2 ? parts.slice(0, 2).join("/") : path;
}

Deno.test("layering: only src/cli/ and main.ts import src/cli/", async () => {
  const bad = (await importEdges()).filter((e) =>
    e.to.startsWith("src/cli/") && !e.from.startsWith("src/cli/") && e.from !== "main.ts"
  );
  assert.deepEqual(bad, []);
});

Deno.test("layering: no command module imports another group's command module", async () => {
  const bad = (await importEdges()).filter((e) =>
    e.from.endsWith("/command.ts") && e.to.endsWith("/command.ts") &&
    folder(e.from) !== folder(e.to)
  );
  assert.deepEqual(bad, []);
});

Deno.test("layering: folders of src/ import each other in no circle", async () => {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of await importEdges()) {
    const a = folder(from);
    const b = folder(to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)?.add(b);
  }
  // Depth-first search for a back edge; report the first circle found.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  let circle: string[] = [];
  const visit = (node: string): boolean => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        circle = [...stack.slice(stack.indexOf(next)), next];
        return true;
      }
      if (!state.has(next) && visit(next)) return true;
    }
    stack.pop();
    state.set(node, "done");
    return false;
  };
  for (const node of graph.keys()) if (!state.has(node) && visit(node)) break;
  assert.deepEqual(circle, []);
});

Deno.test("layering: the ground floor (console/, command/, text/) imports no group", async () => {
  const ground = ["src/console", "src/command", "src/text"];
  const allowed = new Set([...ground]);
  const bad = (await importEdges()).filter((e) =>
    ground.includes(folder(e.from)) && !allowed.has(folder(e.to))
  );
  assert.deepEqual(bad, []);
});

Deno.test("layering: CliError and UsageError are constructed only at the edge", async () => {
  const edge = (file: string) =>
    file.startsWith("src/cli/") || /^src\/[a-z_]+\/command\.ts$/.test(file) ||
    file === "src/console/errors.ts" || file === "src/command/values.ts";
  const bad: string[] = [];
  for (const file of await walk("src")) {
    if (edge(file)) continue;
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (/new (CliError|UsageError)\(/.test(text)) bad.push(file);
  }
  assert.deepEqual(bad, []);
});
