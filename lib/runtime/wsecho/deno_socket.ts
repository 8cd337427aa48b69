/**
 * The engine's socket over Deno's `Deno.Conn` (TCP or TLS): the one file
 * of the engine's connection path that knows it runs on Deno.
 */
import type { EngineSocket } from "./socket.ts";

/** Every error class Deno's I/O throws: a reset, a broken pipe, TLS... */
const DENO_IO_ERRORS: readonly (new (...args: never[]) => Error)[] = Object
  .values(Deno.errors);

export class DenoSocket implements EngineSocket {
  constructor(private readonly conn: Deno.Conn) {
    if ("setNoDelay" in conn) {
      // Echoes are small and each read's are one write: send them now.
      (conn as Deno.TcpConn).setNoDelay(true);
    }
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.conn.read(buffer);
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.conn.write(bytes);
  }

  closeWrite(): void {
    try {
      this.conn.closeWrite();
    } catch { /* already gone */ }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  get remoteHostname(): string | undefined {
    const addr = this.conn.remoteAddr;
    return addr.transport === "tcp" ? addr.hostname : undefined;
  }

  get remotePort(): number {
    const addr = this.conn.remoteAddr;
    return addr.transport === "tcp" ? addr.port : 0;
  }

  isNetworkError(error: unknown): boolean {
    // TLS failures come as InvalidData or UnexpectedEof, resets as
    // ConnectionReset, a socket we closed as BadResource or Interrupted:
    // all Deno.errors. A TypeError or RangeError is ours.
    return DENO_IO_ERRORS.some((kind) => error instanceof kind);
  }
}
