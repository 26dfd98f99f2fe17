/**
 * When two chat names are the same name: when they look the same to the
 * people reading them. Names are compared by keys: compatibility
 * normalisation (NFKC: fullwidth `Ａ`, mathematical `𝐀`, ligatures and the
 * Kelvin sign become plain letters), Cyrillic and Greek letters that look
 * like Latin ones replaced by those (a small map after Unicode's
 * confusables, UTS #39), and case folded. Names in any script stay allowed;
 * only a look-alike of a name in use is refused. Pure.
 *
 * @module
 */

/**
 * Cyrillic and Greek letters drawn like a Latin letter, by case: a capital
 * maps by its capital form (Greek `Η` looks like `H`) and a small letter by
 * its small form (`η` does not), so the map runs before case folding.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic capitals
  "А": "A",
  "В": "B",
  "Е": "E",
  "З": "3",
  "І": "I",
  "Ј": "J",
  "К": "K",
  "М": "M",
  "Н": "H",
  "О": "O",
  "Р": "P",
  "С": "C",
  "Ѕ": "S",
  "Т": "T",
  "У": "Y",
  "Х": "X",
  "Ү": "Y",
  "Ӏ": "I",
  "Ԁ": "D",
  "Ԛ": "Q",
  "Ԝ": "W",
  // Cyrillic small letters
  "а": "a",
  "е": "e",
  "і": "i",
  "ј": "j",
  "о": "o",
  "р": "p",
  "с": "c",
  "ѕ": "s",
  "у": "y",
  "х": "x",
  "ү": "y",
  "һ": "h",
  "ӏ": "l",
  "ԁ": "d",
  "ԛ": "q",
  "ԝ": "w",
  // Greek capitals
  "Α": "A",
  "Β": "B",
  "Ε": "E",
  "Ζ": "Z",
  "Η": "H",
  "Ι": "I",
  "Κ": "K",
  "Μ": "M",
  "Ν": "N",
  "Ο": "O",
  "Ρ": "P",
  "Τ": "T",
  "Υ": "Y",
  "Χ": "X",
  "Ϲ": "C",
  "Ϳ": "J",
  // Greek small letters
  "α": "a",
  "ι": "i",
  "κ": "k",
  "ν": "v",
  "ο": "o",
  "ρ": "p",
  "υ": "u",
  "χ": "x",
  "ϲ": "c",
  "ϳ": "j",
  // Latin letters drawn like others
  "ı": "i",
  "ȷ": "j",
  "ɑ": "a",
  "ɡ": "g",
};

const LOOK_ALIKE = new RegExp(`[${Object.keys(LOOK_ALIKES).join("")}]`, "gu");

function plain(text: string): string {
  return text.replace(LOOK_ALIKE, (ch) => LOOK_ALIKES[ch] ?? ch);
}

/** Full case folding as far as JavaScript has it: `ß` and `SS` alike, final `ς` and `σ` alike. */
function fold(text: string): string {
  return text.toUpperCase().toLowerCase();
}

/**
 * The keys under which a name is unique in a room: `folded` (normalised and
 * case folded: `МАРИЯ` and `мария` are one name) and `skeleton` (look-alike
 * letters made Latin first: `Ada` and `Аda` are one name). Two names are the
 * same name when either key is equal.
 *
 * @example Look-alikes share a skeleton
 * ```ts
 * import { nickKeys } from "./nick.ts";
 * nickKeys("\u0410da").skeleton === nickKeys("Ada").skeleton; // true: Cyrillic А
 * nickKeys("\uff21da").folded === nickKeys("Ada").folded; // true: fullwidth Ａ
 * ```
 */
export function nickKeys(name: string): { folded: string; skeleton: string } {
  const normal = name.normalize("NFKC");
  // Folding can make a small look-alike of a capital not in the map, so map again after it.
  return { folded: fold(normal), skeleton: plain(fold(plain(normal))) };
}

/**
 * Whether two names are one name: they look the same.
 *
 * @example
 * ```ts
 * import { sameNick } from "./nick.ts";
 * sameNick("Ada", "\u0410da"); // true
 * sameNick("Ada", "Ida"); // false
 * ```
 */
export function sameNick(a: string, b: string): boolean {
  const [x, y] = [nickKeys(a), nickKeys(b)];
  return x.folded === y.folded || x.skeleton === y.skeleton;
}
