/**
 * Splits a command line into words the way a POSIX shell does, without a
 * shell: blanks separate words; `'…'` keeps everything literally; `"…"`
 * keeps everything but `\"`, `\\`, `\$` and `` \` `` (a backslash before
 * another character stays); a backslash outside quotes keeps the next
 * character (backslash-newline joins lines); `''` and `""` make an empty
 * word. Nothing is expanded (no `$VAR`, globs or `~`), so the characters
 * that would make a shell do something else (`| & ; < > ( ) $` and the
 * backquote) are refused unless quoted, rather than passed on silently. Pure.
 *
 * @module
 */

const BLANK = /[ \t\n]/;
const OPERATOR = /[|&;<>()$`]/;
const DOUBLE_ESCAPES = new Set(['"', "\\", "$", "`", "\n"]);

/**
 * Splits `text` into words.
 *
 * @example Quotes and backslashes
 * ```ts
 * import { splitWords } from "./words.ts";
 * splitWords(`grep -i "hello world" it\\'s`); // ["grep", "-i", "hello world", "it's"]
 * ```
 * @throws {SyntaxError} an unterminated quote, a trailing backslash, an
 * unquoted shell operator, or no word at all
 */
export function splitWords(text: string): string[] {
  const fail = (why: string) => new SyntaxError(`Cannot split "${text}" into words: ${why}`);
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (BLANK.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw fail("unterminated '");
      word += text.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const c = text[j]!;
        if (c === "\\" && j + 1 < text.length && DOUBLE_ESCAPES.has(text[j + 1]!)) {
          if (text[j + 1] !== "\n") word += text[j + 1];
          j++;
        } else {
          word += c;
        }
      }
      if (j >= text.length) throw fail('unterminated "');
      i = j;
    } else if (ch === "\\") {
      if (i + 1 >= text.length) throw fail("a trailing backslash");
      const next = text[++i]!;
      if (next === "\n") {
        // a line continuation joins, like a shell's
        if (word === "") inWord = false;
      } else {
        word += next;
      }
    } else if (OPERATOR.test(ch)) {
      throw fail(
        `no shell runs, so an unquoted ${ch} means nothing here; quote it to pass it on, ` +
          `or run a shell yourself (sh -c '…')`,
      );
    } else {
      word += ch;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw fail("no program named");
  return words;
}
