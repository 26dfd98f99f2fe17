/**
 * The command reference stays in step with `--help`: `docs/cli.md` must be
 * what `scripts/cli_doc.ts` generates from the command table now, so a help
 * change without `deno task docs` fails here.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CLI_DOC, renderCliDoc } from "../scripts/cli_doc.ts";
import { commandHelp, groupHelp } from "../src/cli/help.ts";
import { TABLE } from "../src/cli/table.ts";

Deno.test("docs/cli.md is what scripts/cli_doc.ts generates (run 'deno task docs')", async () => {
  const committed = await Deno.readTextFile(CLI_DOC);
  assert.equal(committed, renderCliDoc());
});

Deno.test("renderCliDoc() has a section with the --help of every group and command", () => {
  const doc = renderCliDoc();
  for (const entry of TABLE) {
    if (entry.kind === "command") {
      assert.ok(doc.includes(`\n## sockit ${entry.name}\n`), entry.name);
      assert.ok(doc.includes(commandHelp(entry)), entry.name);
      continue;
    }
    assert.ok(doc.includes(`\n## sockit ${entry.name}\n`), entry.name);
    assert.ok(doc.includes(groupHelp(entry)), entry.name);
    for (const command of entry.commands) {
      const title = `${entry.name} ${command.name}`;
      assert.ok(doc.includes(`\n### sockit ${title}\n`), title);
      assert.ok(doc.includes(commandHelp(command, entry)), title);
    }
  }
});

Deno.test("scripts/cli_doc.ts --check exits 0 on the committed reference", async () => {
  const script = fileURLToPath(new URL("../scripts/cli_doc.ts", import.meta.url));
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", script, "--check"],
    stdout: "null",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
