/**
 * The server of the wsecho engine: accepts connections from its listener
 * (deno_listener.ts on Deno; any {@linkcode EngineListener}), runs each one
 * (connection.ts), and keeps their timers with one sweep over all of them
 * rather than a timer per connection (a timer armed and cleared on every
 * read would cost the echo path more than the sweep costs in all).
 */
import type { ConnectionLimits } from "../../config/options.ts";
import type { EchoService } from "../echo_service.ts";
import { Connection, type ServerContext } from "./connection.ts";
import type { EngineListener } from "./listener.ts";
import type { EngineSocket } from "./socket.ts";
import type { WebSocketPhase } from "./websocket_phase.ts";

/** How often the sweep looks at every connection. */
const SWEEP_MS = 250;

export interface EngineOptions {
  readonly limits: ConnectionLimits;
  readonly handshakeTimeout: number;
}

export class EngineServer {
  readonly #connections = new Set<Connection>();
  #context: ServerContext | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly listener: EngineListener,
    private readonly options: EngineOptions,
  ) {}

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
        localHost: hostForUrl(this.listener),
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
      let socket: EngineSocket | undefined;
      try {
        socket = await this.listener.accept();
      } catch {
        // Out of file descriptors and the like: breathe, then go on.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (socket === undefined) return; // the listener is closed
      const connection = new Connection(socket, context);
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
    clearInterval(this.#sweep);
    this.listener.close();
    for (const connection of [...this.#connections]) connection.end();
    return Promise.resolve();
  }
}

function hostForUrl(addr: { hostname: string; port: number }): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}
