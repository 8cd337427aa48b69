/**
 * BASELINE, NOT THE PROJECT: the barest WebSocket echo Deno can run, the
 * yardstick `deno task bench` holds wsecho against. It must stay this
 * small: `Deno.serve`, `Deno.upgradeWebSocket`, and an `onmessage` that
 * sends back what it got (binary as an ArrayBuffer, as wsecho receives it).
 *
 *   deno run --allow-net bench/bare_deno.ts --port 0 --host 127.0.0.1
 *
 * bench/ is a member of the project's Deno workspace, and workspace-wide
 * settings come from the root `deno.json`, so it runs with the same runtime
 * settings as wsecho, `no-legacy-abort` included; the ratios then measure
 * wsecho's own code.
 *
 * It prints `bare-deno listening on ws://HOST:PORT/` on stderr once it
 * listens. `bare_deno_serve.ts` is the same echo for `deno serve --parallel`.
 */
import { parseArgs } from "node:util";

export function echo(request: Request): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("bare Deno echo baseline\n");
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
}

export function announce(addr: Deno.NetAddr): void {
  console.error(`bare-deno listening on ws://${addr.hostname}:${addr.port}/`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
    },
  });
  Deno.serve({
    port: Number(values.port),
    hostname: values.host,
    onListen: announce,
  }, echo);
}
