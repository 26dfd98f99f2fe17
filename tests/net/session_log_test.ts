import assert from "node:assert/strict";
import { SessionLog } from "../../src/net/session_log.ts";
import { Taps } from "../../src/net/tap.ts";
import { Output } from "../../src/console/output.ts";
import { OperationError } from "../../src/console/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Splits a log into its records: header lines with the bytes they announce. */
function records(bytes: Uint8Array): { header: string; data?: Uint8Array }[] {
  const out: { header: string; data?: Uint8Array }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    const header = dec(bytes.subarray(at, end));
    at = end + 1;
    const match = /^# \S+ \S+ [<>] (\d+)$/.exec(header);
    if (!match) {
      out.push({ header });
      continue;
    }
    const n = Number(match[1]);
    out.push({ header, data: bytes.slice(at, at + n) });
    assert.equal(bytes[at + n], 0x0a, "a line end after the data");
    at += n + 1;
  }
  return out;
}

Deno.test("SessionLog appends headed records, raw bytes whatever they hold, and keeps earlier runs", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/session.log`;
  const now = () => new Date("2026-01-02T03:04:05.678Z");
  try {
    {
      using log = new SessionLog(path, { now });
      log.open("127.0.0.1:5000");
      log.data("127.0.0.1:5000", "<", enc("hello\n"));
      log.data("127.0.0.1:5000", ">", new Uint8Array([0, 0x0a, 0xff, 0x1b]));
      log.data("127.0.0.1:5000", ">", new Uint8Array());
      log.close("127.0.0.1:5000");
    }
    {
      using log = new SessionLog(path, { now });
      log.open("[::1]:6000");
      log.close("[::1]:6000");
    }
    const got = records(await Deno.readFile(path));
    assert.deepEqual(got.map((r) => r.header), [
      "# 2026-01-02T03:04:05.678Z 127.0.0.1:5000 open",
      "# 2026-01-02T03:04:05.678Z 127.0.0.1:5000 < 6",
      "# 2026-01-02T03:04:05.678Z 127.0.0.1:5000 > 4",
      "# 2026-01-02T03:04:05.678Z 127.0.0.1:5000 close",
      "# 2026-01-02T03:04:05.678Z [::1]:6000 open",
      "# 2026-01-02T03:04:05.678Z [::1]:6000 close",
    ]);
    assert.equal(dec(got[1]!.data!), "hello\n");
    assert.deepEqual([...got[2]!.data!], [0, 0x0a, 0xff, 0x1b]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SessionLog in a folder that does not exist is an OperationError naming it; open(undefined) is none", () => {
  assert.throws(
    () => new SessionLog("/nonexistent-dir-sockit/x.log"),
    (err: unknown) =>
      err instanceof OperationError &&
      err.message === "cannot open the log /nonexistent-dir-sockit/x.log: no such folder",
  );
  assert.equal(SessionLog.open(undefined), undefined);
});

Deno.test("Taps: offsets per direction, the peer on each row, the log beside the dump", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const stderr = {
    writeSync(p: Uint8Array) {
      lines.push(...dec(p).trimEnd().split("\n"));
      return p.length;
    },
  };
  const out = new Output({ stderr, quiet: true });
  try {
    using log = new SessionLog(`${dir}/s.log`);
    const taps = Taps.of(out, { hexdump: true, log, showPeer: true })!;
    const tap = taps.open("127.0.0.1:7");
    tap.received(enc("0123456789"));
    tap.sent(enc("abc"));
    tap.received(enc("\x1b[31mred"));
    tap.close();
    tap.close();
    assert.deepEqual(lines.map((l) => l.slice(0, 30)), [
      "127.0.0.1:7 < 00000000  30 31 ",
      "127.0.0.1:7 > 00000000  61 62 ",
      "127.0.0.1:7 < 0000000a  1b 5b ",
    ]);
    assert.ok(lines[2]!.endsWith("|.[31mred|"), "ESC shown as a dot, even with --quiet");
    const text = dec(await Deno.readFile(`${dir}/s.log`));
    assert.equal(text.match(/ close\n/g)?.length, 1, "closed once");
    assert.match(text, / < 10\n0123456789\n# \S+ 127\.0\.0\.1:7 > 3\nabc\n/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(Taps.of(out, { hexdump: false }), undefined);
});
