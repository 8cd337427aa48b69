/**
 * The listener of the wsecho engine: accepts TCP or TLS connections, runs
 * each one (connection.ts), and keeps their timers with one sweep over all
 * of them rather than a timer per connection (a timer armed and cleared on
 * every read would cost the echo path more than the sweep costs in all).
 */
import type { ConnectionLimits } from "../../config/options.ts";
import type { EchoService } from "../echo_service.ts";
import type { Bind } from "../listen.ts";
import { Connection, type ServerContext } from "./connection.ts";
import { DenoSocket } from "./deno_socket.ts";
import type { WebSocketPhase } from "./websocket_phase.ts";

/** How often the sweep looks at every connection. */
const SWEEP_MS = 250;

export interface EngineOptions {
  readonly limits: ConnectionLimits;
  readonly handshakeTimeout: number;
}

export class EngineServer {
  readonly listener: Deno.Listener;
  readonly #connections = new Set<Connection>();
  #context: ServerContext | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  /** Binds at once; throws what Deno throws when it cannot. */
  constructor(bind: Bind, private readonly options: EngineOptions) {
    const where = {
      port: bind.port,
      hostname: bind.hostname,
      reusePort: bind.reusePort,
    };
    this.listener = bind.tls
      ? Deno.listenTls({ ...where, cert: bind.tls.cert, key: bind.tls.key })
      : Deno.listen(where);
  }

  get addr(): Deno.NetAddr {
    return this.listener.addr as Deno.NetAddr;
  }

  /** Starts accepting for `service`. */
  start(service: EchoService<WebSocketPhase>, tls: boolean): void {
    const { limits, handshakeTimeout } = this.options;
    this.#context = {
      hub: service.hub,
      limits,
      handshakeTimeout,
      http: {
        handle: service.handle,
        gate: service.gate,
        tls,
        localHost: hostForUrl(this.addr),
        permessageDeflate: limits.permessageDeflate,
        debug: service.hub.debug,
      },
      forget: (connection) => this.#connections.delete(connection),
    };
    this.#sweep = setInterval(() => this.#sweepAll(), SWEEP_MS);
    this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    const context = this.#context!;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.listener.accept();
      } catch (error) {
        if (this.#stopped || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: breathe, then go on.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const connection = new Connection(new DenoSocket(conn), context);
      this.#connections.add(connection);
      connection.run();
    }
  }

  /** The timers of every connection: each one's policy is its own tick(). */
  #sweepAll(): void {
    const now = Date.now();
    for (const connection of this.#connections) connection.tick(now);
  }

  /** Closes the listener and every connection still open. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    try {
      this.listener.close();
    } catch { /* already closed */ }
    for (const connection of [...this.#connections]) connection.end();
    return Promise.resolve();
  }
}

function hostForUrl(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}
