/**
 * What one engine connection needs of its socket, and nothing more: the
 * connection and its phases speak to this, never to a runtime's socket
 * type, so the engine can run over another transport (Deno's sockets
 * today: deno_socket.ts; Bun's later) by adding one file like it.
 */
export interface EngineSocket {
  /** Reads into `buffer`: the number of bytes read, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes from `bytes`; resolves with how many the kernel took (maybe
   * fewer than given: the caller writes the rest).
   */
  write(bytes: Uint8Array): Promise<number>;
  /** Ends our side (FIN); reading goes on. Never throws. */
  closeWrite(): void;
  /** Ends the connection; pending reads and writes fail. Never throws. */
  close(): void;
  /** The peer's IP address and port; undefined if not an IP socket. */
  readonly remoteHostname: string | undefined;
  readonly remotePort: number;
  /**
   * Whether `error`, thrown by read or write, is the network's (a reset,
   * a TLS failure, the socket closed under us) rather than our own code's.
   */
  isNetworkError(error: unknown): boolean;
}
