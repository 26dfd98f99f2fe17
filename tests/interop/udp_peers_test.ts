/**
 * sockit's UDP endpoints against python3 sockets and socat. In CI a missing
 * peer fails; elsewhere it skips.
 */
import assert from "node:assert/strict";
import { runSockit, skipWithout, sockit, Spawned } from "../helpers/harness.ts";

function python(code: string): Spawned {
  return new Spawned("python3", ["-c", code], { stdin: "null" });
}

Deno.test({
  name: "a python3 sendto is received by udp listen with the right sender address and port",
  ignore: skipWithout("python3"),
  async fn() {
    await using server = sockit(["udp", "listen", "0", "--count", "1"]);
    const port = await server.port();
    await using py = python(
      [
        "import socket",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.bind(('127.0.0.1', 0))",
        "print(s.getsockname()[1], flush=True)",
        `s.sendto(b'hello from python', ('127.0.0.1', ${port}))`,
      ].join("\n"),
    );
    const { stdout: pyPort } = await py.finish();
    const { stdout } = await server.finish();
    assert.equal(stdout, `127.0.0.1:${pyPort.trim()} hello from python\n`);
  },
});

Deno.test({
  name: "a GBK datagram from python3 is shown correctly with --encoding gbk",
  ignore: skipWithout("python3"),
  async fn() {
    await using server = sockit(["udp", "listen", "0", "--count", "1", "--encoding", "gbk"]);
    const port = await server.port();
    await using py = python(
      [
        "import socket",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        `s.sendto('你好，Windows 世界'.encode('gbk'), ('127.0.0.1', ${port}))`,
      ].join("\n"),
    );
    await py.finish();
    assert.match((await server.finish()).stdout, /^127\.0\.0\.1:\d+ 你好，Windows 世界\n$/);
  },
});

Deno.test({
  name: "udp send is received by socat -u UDP-RECV",
  ignore: skipWithout("socat"),
  async fn() {
    const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    await using socat = new Spawned("socat", [
      "-d",
      "-d",
      "-u",
      `UDP-RECV:${port},bind=127.0.0.1`,
      "-",
    ], {
      stdin: "null",
    });
    await socat.waitFor(/listening on|starting data transfer loop/i);
    const { code } = await runSockit(["udp", "send", `127.0.0.1:${port}`, "to socat"]);
    assert.equal(code, 0);
    await socat.waitFor(/to socat/, { on: "stdout" });
  },
});

Deno.test({
  name: "--echo and --stamp replies are received by a python3 client",
  ignore: skipWithout("python3"),
  async fn() {
    await using echo = sockit(["udp", "listen", "0", "--echo", "-q"]);
    await using stamp = sockit(["udp", "listen", "0", "--stamp", "-q"]);
    const [echoPort, stampPort] = [await echo.port(), await stamp.port()];
    await using py = python(
      [
        "import socket",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.settimeout(5)",
        `s.sendto(b'echo me', ('127.0.0.1', ${echoPort}))`,
        "data, addr = s.recvfrom(65535); print(data.decode(), addr[1])",
        `s.sendto(b'stamp me', ('127.0.0.1', ${stampPort}))`,
        "data, addr = s.recvfrom(65535); print(data.decode(), addr[1])",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await py.finish();
    assert.equal(code, 0, stderr);
    const [first, second] = stdout.trim().split("\n");
    assert.equal(first, `echo me ${echoPort}`);
    assert.match(
      second!,
      new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] stamp me ${stampPort}$`),
    );
  },
});
