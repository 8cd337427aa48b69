/**
 * What the engine's server needs of a listening socket: its address, the
 * next connection as an {@linkcode EngineSocket}, and a way to stop. With
 * socket.ts it is the whole of what a transport gives the engine: Deno's
 * is deno_listener.ts; another runtime's sockets plug in with one listener
 * and one socket file like them, and the server, the connection and its
 * phases stay as they are.
 */
import type { EngineSocket } from "./socket.ts";

export interface EngineListener {
  /** The address actually bound (the real port when 0 was asked for). */
  readonly hostname: string;
  readonly port: number;
  /**
   * The next connection; undefined once the listener is closed. Throws
   * when accepting failed for a while (out of file descriptors and the
   * like): the caller pauses and tries again.
   */
  accept(): Promise<EngineSocket | undefined>;
  /** Stops listening; a pending `accept()` resolves to undefined. */
  close(): void;
}
