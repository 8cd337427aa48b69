/**
 * PEER, NOT THE PROJECT: the usual Node.js WebSocket echo, `ws` with its
 * defaults, which `deno task bench --peers` measures beside the bare
 * runtimes for context. It must stay this plain: a message goes back as it
 * came, text as text and binary as binary.
 *
 *   node bench/peer_node_ws.mjs --port 0 --host 127.0.0.1
 *
 * `ws` comes from the project's package.json (`deno task setup` installs
 * it). Prints `node-ws listening on ws://HOST:PORT/` on stderr once it
 * listens.
 */
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
  },
});

const server = new WebSocketServer({
  port: Number(values.port),
  host: values.host,
});
server.on("connection", (socket) => {
  socket.on(
    "message",
    (data, isBinary) => socket.send(data, { binary: isBinary }),
  );
});
server.on("listening", () => {
  const { address, port } = server.address();
  console.error(`node-ws listening on ws://${address}:${port}/`);
});
