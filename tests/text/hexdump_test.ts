import assert from "node:assert/strict";
import { hexdumpLines } from "../../src/text/hexdump.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("hexdumpLines() of nothing is no rows", () => {
  assert.deepEqual(hexdumpLines(new Uint8Array()), []);
});

Deno.test("hexdumpLines() lays a row out as hexdump -C does: gap after 8, ASCII between bars", () => {
  assert.deepEqual(hexdumpLines(enc("hello world, this is a longer line")), [
    "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  |hello world, thi|",
    "00000010  73 20 69 73 20 61 20 6c  6f 6e 67 65 72 20 6c 69  |s is a longer li|",
    "00000020  6e 65                                             |ne|",
  ]);
});

Deno.test("hexdumpLines() pads a partial last row so the ASCII column lines up", () => {
  for (let n = 1; n <= 16; n++) {
    const [row] = hexdumpLines(new Uint8Array(n).fill(0x41));
    assert.equal(row!.indexOf("|"), 60, `${n} bytes`);
    assert.ok(row!.endsWith(`|${"A".repeat(n)}|`), row);
  }
  assert.equal(
    hexdumpLines(new Uint8Array(8))[0],
    `00000000  ${"00 ".repeat(7)}00${" ".repeat(25)}  |........|`,
  );
  assert.equal(hexdumpLines(new Uint8Array(9))[0]!.slice(10, 37), `${"00 ".repeat(7)}00  00`);
});

Deno.test("hexdumpLines() counts offsets from the bytes already seen in that direction", () => {
  const rows = hexdumpLines(new Uint8Array(40), { offset: 0x1234, prefix: "< " });
  assert.deepEqual(rows.map((r) => r.slice(0, 10)), ["< 00001234", "< 00001244", "< 00001254"]);
  assert.ok(rows[2]!.endsWith(`|${".".repeat(8)}|`));
  assert.ok(hexdumpLines(new Uint8Array(1), { offset: 2 ** 32 })[0]!.startsWith("100000000  00 "));
});

Deno.test("hexdumpLines() shows all 256 byte values: hex exact, only 0x20-0x7e printed as themselves", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const rows = hexdumpLines(all, { prefix: "127.0.0.1:5 > " });
  assert.equal(rows.length, 16);
  for (const [r, row] of rows.entries()) {
    assert.ok(row.startsWith(`127.0.0.1:5 > ${(r * 16).toString(16).padStart(8, "0")}  `));
    const bytes = Array.from({ length: 16 }, (_, i) => r * 16 + i);
    const hex = bytes.map((b) => b.toString(16).padStart(2, "0"));
    const expectedHex = `${hex.slice(0, 8).join(" ")}  ${hex.slice(8).join(" ")}`;
    const ascii = bytes.map((b) => b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : ".").join("");
    assert.equal(row.slice(row.indexOf("  ") + 2), `${expectedHex}  |${ascii}|`);
  }
  // Nothing that could drive a terminal: no control character, nothing outside printable ASCII.
  const text = rows.join("\n");
  assert.ok(/^[\x20-\x7e\n]*$/.test(text));
});

Deno.test("hexdumpLines() matches the system's hexdump -C, when there is one", async () => {
  let expected: string;
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256);
  try {
    const child = new Deno.Command("hexdump", { args: ["-C"], stdin: "piped", stdout: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(bytes);
    await writer.close();
    expected = new TextDecoder().decode((await child.output()).stdout);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  // hexdump -C ends with a line holding the total; rows are the rest.
  const rows = expected.trimEnd().split("\n").slice(0, -1);
  assert.deepEqual(hexdumpLines(bytes), rows);
});
