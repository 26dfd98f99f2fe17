// The reference: a plain Node.js `net` echo server on 127.0.0.1, port 0.
import net from "node:net";

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  socket.pipe(socket);
});
server.maxConnections = 20000;
server.listen(0, "127.0.0.1", 1024, () => {
  console.error(`listening on 127.0.0.1:${server.address().port}`);
});
