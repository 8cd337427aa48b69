/**
 * The engine's listener over `Deno.listen` / `Deno.listenTls`: with
 * deno_socket.ts, the only files of the engine that know they run on Deno.
 */
import type { Bind } from "../listen.ts";
import { DenoSocket } from "./deno_socket.ts";
import type { EngineListener } from "./listener.ts";

export class DenoListener implements EngineListener {
  readonly #listener: Deno.Listener;
  #closed = false;

  /** Binds at once; throws what Deno throws when it cannot. */
  constructor(bind: Bind) {
    const where = {
      port: bind.port,
      hostname: bind.hostname,
      reusePort: bind.reusePort,
    };
    this.#listener = bind.tls
      ? Deno.listenTls({ ...where, cert: bind.tls.cert, key: bind.tls.key })
      : Deno.listen(where);
  }

  get hostname(): string {
    return (this.#listener.addr as Deno.NetAddr).hostname;
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async accept(): Promise<DenoSocket | undefined> {
    try {
      return new DenoSocket(await this.#listener.accept());
    } catch (error) {
      if (this.#closed || error instanceof Deno.errors.BadResource) {
        return undefined;
      }
      throw error;
    }
  }

  close(): void {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
  }
}
