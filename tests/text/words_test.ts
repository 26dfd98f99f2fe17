import assert from "node:assert/strict";
import { splitWords } from "../../src/text/words.ts";

const valid: [string, string[]][] = [
  ["cat", ["cat"]],
  ["  cat   -n  ", ["cat", "-n"]],
  ["cat\t-n\nfile", ["cat", "-n", "file"]],
  ["grep -i 'hello world'", ["grep", "-i", "hello world"]],
  [`grep -i "hello world"`, ["grep", "-i", "hello world"]],
  [`echo it\\'s`, ["echo", "it's"]],
  [`echo a\\ b`, ["echo", "a b"]],
  [`echo 'a'"b"c`, ["echo", "abc"]],
  [`echo '' ""`, ["echo", "", ""]],
  [`echo "a \\"quoted\\" word"`, ["echo", 'a "quoted" word']],
  [`echo "back\\\\slash"`, ["echo", "back\\slash"]],
  [`echo "keep \\n as is"`, ["echo", "keep \\n as is"]],
  [`echo "\\$HOME"`, ["echo", "$HOME"]],
  [`echo '$HOME | x'`, ["echo", "$HOME | x"]],
  [`echo 'single \\ stays'`, ["echo", "single \\ stays"]],
  [`sh -c 'echo hi; exit 3'`, ["sh", "-c", "echo hi; exit 3"]],
  [`echo a\\\nb`, ["echo", "ab"]],
  [`echo \\\n b`, ["echo", "b"]],
  [`echo "line\\\njoined"`, ["echo", "linejoined"]],
  [`echo *.txt ~ a=b`, ["echo", "*.txt", "~", "a=b"]],
  [`/usr/bin/printf '%s\\n' x`, ["/usr/bin/printf", "%s\\n", "x"]],
  [`echo 你好 "wörld"`, ["echo", "你好", "wörld"]],
];
for (const [text, words] of valid) {
  Deno.test(`splitWords() splits ${JSON.stringify(text)}`, () => {
    assert.deepEqual(splitWords(text), words);
  });
}

const invalid: [string, RegExp][] = [
  ["", /no program/],
  ["   ", /no program/],
  ["echo 'open", /unterminated '/],
  [`echo "open`, /unterminated "/],
  [`echo "open\\"`, /unterminated "/],
  ["echo trailing\\", /trailing backslash/],
  ["cat | tr a b", /unquoted \|/],
  ["cat > out", /unquoted >/],
  ["cat < in", /unquoted </],
  ["a; b", /unquoted ;/],
  ["a && b", /unquoted &/],
  ["echo $HOME", /unquoted \$/],
  ["echo `id`", /unquoted `/],
  ["(cat)", /unquoted \(/],
];
for (const [text, why] of invalid) {
  Deno.test(`splitWords() refuses ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => splitWords(text),
      (err: unknown) =>
        err instanceof SyntaxError && why.test(err.message) &&
        err.message.startsWith(`Cannot split "${text}"`),
    );
  });
}
