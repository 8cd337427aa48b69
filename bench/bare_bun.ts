/**
 * BASELINE, NOT THE PROJECT: the barest WebSocket echo Bun can run, the
 * yardstick `deno task bench` holds wsecho against. It must stay this
 * small: one `Bun.serve`, one `message` handler that sends back what it got.
 *
 *   bun bench/bare_bun.ts --port 0 --host 127.0.0.1 [--workers N]
 *
 * `--workers N` starts N processes sharing the port (`reusePort`), the same
 * shape as a multi-process server, for the scale-out workload. It prints
 * `bare-bun listening on ws://HOST:PORT/` on stderr once it listens.
 */
import process from "node:process";
import { parseArgs } from "node:util";

/** The slice of Bun's API used here; Bun's own types are not in Deno's checker. */
interface BareSocket {
  send(data: string | Uint8Array): number;
}
interface BareServer {
  readonly hostname: string;
  readonly port: number;
  upgrade(request: Request): boolean;
}
interface BunApi {
  serve(options: {
    port: number;
    hostname: string;
    reusePort?: boolean;
    fetch(request: Request, server: BareServer): Response | undefined;
    websocket: { message(ws: BareSocket, message: string | Uint8Array): void };
  }): BareServer;
  spawn(
    command: string[],
    options: {
      env: Record<string, string | undefined>;
      stdio: ["ignore", "inherit", "inherit"];
    },
  ): { kill(): void };
}
const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    workers: { type: "string", default: "1" },
  },
});
const workers = Number(values.workers);
const isChild = process.env.BARE_BUN_CHILD === "1";

const server = Bun.serve({
  port: Number(values.port),
  hostname: values.host,
  reusePort: workers > 1 || isChild,
  fetch(request, self) {
    if (self.upgrade(request)) return undefined;
    return new Response("bare Bun echo baseline\n");
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
});

if (!isChild) {
  // Extra workers bind the very port the first one got (port 0 included).
  const children = Array.from({ length: workers - 1 }, () =>
    Bun.spawn(
      [
        process.execPath,
        process.argv[1],
        "--port",
        String(server.port),
        "--host",
        values.host,
      ],
      {
        env: { ...process.env, BARE_BUN_CHILD: "1" },
        stdio: ["ignore", "inherit", "inherit"],
      },
    ));
  const stop = () => {
    for (const child of children) child.kill();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.error(
    `bare-bun listening on ws://${server.hostname}:${server.port}/ (${workers} worker(s))`,
  );
}
