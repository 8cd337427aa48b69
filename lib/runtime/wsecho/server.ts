/**
 * The listener of the wsecho engine: accepts TCP or TLS connections, runs
 * each one (connection.ts), and keeps their timers with one sweep over all
 * of them rather than a timer per connection (a timer armed and cleared on
 * every read would cost the echo path more than the sweep costs in all).
 */
import type { ConnectionLimits } from "../../config/options.ts";
import type { EchoService } from "../echo_service.ts";
import type { Bind } from "../listen.ts";
import { Connection, type ServerContext, State } from "./connection.ts";

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
  start(service: EchoService<Connection>, tls: boolean): void {
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
      if ("setNoDelay" in conn) {
        // Echoes are small and each read's are one write: send them now.
        (conn as Deno.TcpConn).setNoDelay(true);
      }
      const connection = new Connection(conn, context);
      this.#connections.add(connection);
      connection.startHeadTimer();
      connection.run();
    }
  }

  #sweepAll(): void {
    const now = Date.now();
    const idleMs = this.options.limits.idleTimeout * 1000;
    for (const c of this.#connections) {
      if (c.deadline !== 0 && now >= c.deadline) {
        if (c.state === State.Http) c.headTimedOut();
        else c.end();
        continue;
      }
      if (c.out.writing) {
        // A write the kernel does not take: the client stopped reading.
        if (c.out.progress !== c.seenProgress) {
          c.seenProgress = c.out.progress;
          c.stalledSince = now;
        } else if (idleMs > 0 && now - c.stalledSince >= idleMs) {
          c.refuseStuck(
            `not reading: no write progress for ${idleMs / 1000} s`,
          );
        }
        continue;
      }
      c.stalledSince = now;
      if (c.state !== State.Open || idleMs === 0) continue;
      // Heartbeat as Deno's built-in engine does it: a ping after half the
      // timeout of silence, 1001 if still silent at the timeout.
      if (c.active) {
        c.active = false;
        c.silentSince = now;
        c.pinged = false;
      } else if (now - c.silentSince >= idleMs) {
        c.idleTimedOut();
      } else if (!c.pinged && now - c.silentSince >= idleMs / 2) {
        c.pinged = true;
        c.ping();
      }
    }
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
