import assert from "node:assert/strict";
import {
  checkEvent,
  eventProblem,
  EVENTS,
  type EventShape,
  jsonLinesViolations,
} from "./json_schema.ts";

const valid: unknown[] = [
  { event: "listening", host: "127.0.0.1", port: 9000, transport: "tcp" },
  { event: "listening", host: "::1", port: 9000, transport: "udp", service: "echo" },
  { event: "listening", path: "/tmp/s.sock", transport: "unix" },
  { event: "connection", from: "[::1]:50000" },
  { event: "connection", from: "unix:#3", service: "chat" },
  { event: "closed", from: "127.0.0.1:5", bytesIn: 0, bytesOut: 12, reason: "idle 100 ms" },
  { event: "closed", to: "127.0.0.1:9999" },
  { event: "error", message: "Cannot connect", hint: "is it running?", exitCode: 1 },
  {
    event: "summary",
    host: "127.0.0.1",
    ports: 3,
    open: 1,
    closed: 2,
    filtered: 0,
    seconds: 0.059,
  },
  { event: "sink", from: "127.0.0.1:5", bytesIn: 10, seconds: 0.001, bytesPerSecond: 10000.5 },
  { event: "interface", name: "lo", family: "IPv4", address: "127.0.0.1", scopeid: null },
  { event: "result", anything: "goes", here: [1, 2] },
  {
    event: "response",
    url: "http://127.0.0.1:8080/",
    status: 200,
    reason: "OK",
    headers: [["Content-Length", "3"]],
    size: 3,
    seconds: 0.002,
  },
];

const invalid: [unknown, RegExp][] = [
  [[1, 2], /not a JSON object/],
  [{ from: "127.0.0.1:5" }, /no "event" name/],
  [{ event: "nonsense" }, /unknown event "nonsense"/],
  [{ event: "connection" }, /lacks "from"/],
  [{ event: "connection", from: "127.0.0.1" }, /"from" is "127.0.0.1", not a HOST:PORT string/],
  [{ event: "connection", from: "127.0.0.1:5", peer: "x" }, /unknown field "peer"/],
  [{ event: "sink", from: "127.0.0.1:5", bytes: 10, seconds: 1, bytesPerSecond: 1 }, /"bytesIn"/],
  [{ event: "error", message: "x", exitCode: -1 }, /"exitCode" is -1, not an integer ≥ 0/],
  [{ event: "error", message: "x", exitCode: 1.5 }, /not an integer/],
  [
    { event: "saved", path: "f", size: 1, seconds: 0.058791158999999996 },
    /"seconds" is 0.058791158999999996: more than three decimals/,
  ],
  [
    { event: "summary", connections: 1, refused: 0, bytesIn: 1, bytesOut: 1, tftp: { x: 0.12345 } },
    /"tftp.x" is 0.12345/,
  ],
  [
    { event: "response", url: "u", status: 200, reason: "", headers: [["a"]], size: 0, seconds: 0 },
    /"headers" .* not an array of \[name, value\] strings/,
  ],
  [{ event: "closed", to: "127.0.0.1:1", bytesIn: "3" }, /fits no shape/],
];

Deno.test("eventProblem() accepts every shape of the vocabulary's examples", () => {
  for (const event of valid) assert.equal(eventProblem(event), undefined, JSON.stringify(event));
});

Deno.test("eventProblem() names what is wrong with an event outside the vocabulary", () => {
  for (const [event, reason] of invalid) {
    assert.match(eventProblem(event) ?? "(valid)", reason, JSON.stringify(event));
  }
});

Deno.test("jsonLinesViolations() reports lines that are not JSON, with the line", () => {
  const stdout = '{"event":"connection","from":"127.0.0.1:5"}\nhello\n\n{"event":"x"}\n';
  assert.deepEqual(jsonLinesViolations(stdout), [
    { line: "hello", reason: "not JSON" },
    { line: "", reason: "not JSON" },
    { line: '{"event":"x"}', reason: 'unknown event "x"' },
  ]);
});

Deno.test("jsonLinesViolations() holds an unterminated last line only against a complete stream", () => {
  const stdout = '{"event":"connection","from":"127.0.0.1:5"}\n{"event":"conn';
  assert.equal(jsonLinesViolations(stdout, { complete: false }).length, 0);
  assert.deepEqual(jsonLinesViolations(stdout), [{ line: '{"event":"conn', reason: "not JSON" }]);
  assert.deepEqual(jsonLinesViolations(""), []);
});

Deno.test("docs/json.md shows a valid example of every shape of every event", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/json.md", import.meta.url));
  const examples = [...doc.matchAll(/^\{"event":.*$/gm)].map((m) => m[0]);
  const shown = new Set<EventShape>();
  for (const line of examples) {
    const result = checkEvent(JSON.parse(line));
    assert.ok("shape" in result, `${line}: ${"problem" in result ? result.problem : ""}`);
    shown.add(result.shape);
  }
  for (const [name, shapes] of Object.entries(EVENTS)) {
    for (const shape of shapes) {
      assert.ok(shown.has(shape), `no example of "${name}" from ${shape.by}`);
    }
  }
});
