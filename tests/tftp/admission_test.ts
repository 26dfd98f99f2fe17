import assert from "node:assert/strict";
import { Admission, type Admitted, type Ticket } from "../../src/tftp/admission.ts";

function started(admitted: Admitted): { ticket: Ticket; evicted: Ticket | undefined } {
  assert.equal(admitted.decision, "start");
  return admitted as Extract<Admitted, { decision: "start" }>;
}

Deno.test("Admission ignores a repeated request from a client port whose transfer is pending", () => {
  const admission = new Admission();
  const { ticket } = started(admission.request("10.0.0.7", "10.0.0.7:5000"));
  assert.deepEqual(admission.request("10.0.0.7", "10.0.0.7:5000"), { decision: "duplicate" });
  // Once answered, the same port may ask again (a client reusing its socket).
  admission.answered(ticket);
  started(admission.request("10.0.0.7", "10.0.0.7:5000"));
  assert.equal(admission.size, 2);
});

Deno.test("Admission: past maxPerAddress, the host's oldest pending transfer gives way", () => {
  const admission = new Admission({ maxPerAddress: 3 });
  const tickets = [5000, 5001, 5002].map((port) =>
    started(admission.request("10.0.0.7", `10.0.0.7:${port}`)).ticket
  );
  admission.answered(tickets[0]!);
  const next = started(admission.request("10.0.0.7", "10.0.0.7:5003"));
  assert.equal(next.evicted, tickets[1], "the oldest pending, not the answered one");
  assert.equal(admission.size, 3);
  assert.equal(admission.pending, 2);
  // Another address is not limited by this one.
  assert.equal(started(admission.request("10.0.0.8", "10.0.0.8:5000")).evicted, undefined);
});

Deno.test("Admission: a host whose transfers are all answered is told busy past maxPerAddress", () => {
  const admission = new Admission({ maxPerAddress: 2 });
  for (const port of [5000, 5001]) {
    admission.answered(started(admission.request("10.0.0.7", `10.0.0.7:${port}`)).ticket);
  }
  assert.deepEqual(admission.request("10.0.0.7", "10.0.0.7:5002"), { decision: "busy" });
  assert.equal(admission.size, 2);
});

Deno.test("Admission: when the server is full, the oldest pending transfer of any host gives way", () => {
  const admission = new Admission({ maxTransfers: 3, maxPerAddress: 3 });
  const a = started(admission.request("10.0.0.1", "10.0.0.1:1")).ticket;
  const b = started(admission.request("10.0.0.2", "10.0.0.2:1")).ticket;
  started(admission.request("10.0.0.3", "10.0.0.3:1"));
  admission.answered(a);
  assert.equal(started(admission.request("10.0.0.4", "10.0.0.4:1")).evicted, b);
  assert.equal(admission.size, 3);
});

Deno.test("Admission: a full server with every transfer answered is busy", () => {
  const admission = new Admission({ maxTransfers: 2 });
  for (const host of ["10.0.0.1", "10.0.0.2"]) {
    admission.answered(started(admission.request(host, `${host}:1`)).ticket);
  }
  assert.deepEqual(admission.request("10.0.0.3", "10.0.0.3:1"), { decision: "busy" });
});

Deno.test("Admission: a flood from one address never holds more than maxPerAddress transfers", () => {
  const admission = new Admission({ maxTransfers: 256, maxPerAddress: 32 });
  let evicted = 0;
  for (let port = 1; port <= 300; port++) {
    if (started(admission.request("127.0.0.1", `127.0.0.1:${port}`)).evicted) evicted++;
  }
  assert.equal(admission.size, 32);
  assert.equal(evicted, 300 - 32);
  // A client of another address, and one more of the same address, still get in.
  assert.equal(started(admission.request("10.0.0.9", "10.0.0.9:1")).evicted, undefined);
  const same = started(admission.request("127.0.0.1", "127.0.0.1:9999"));
  admission.answered(same.ticket);
  // Its transfer, once answered, is not what the flood's next request displaces.
  for (let port = 301; port <= 400; port++) {
    assert.notEqual(
      started(admission.request("127.0.0.1", `127.0.0.1:${port}`)).evicted,
      same.ticket,
    );
  }
});

Deno.test("Admission.release() frees the slot, once", () => {
  const admission = new Admission({ maxPerAddress: 1 });
  const { ticket } = started(admission.request("10.0.0.7", "10.0.0.7:1"));
  admission.answered(ticket);
  admission.release(ticket);
  admission.release(ticket);
  assert.equal(admission.size, 0);
  const next = started(admission.request("10.0.0.7", "10.0.0.7:2"));
  assert.equal(next.evicted, undefined);
  admission.answered(next.ticket);
  assert.deepEqual(admission.request("10.0.0.7", "10.0.0.7:3"), { decision: "busy" });
});
