/** How the console client fails: one line for a person, and an exit code. */

/** Exit codes of `wsecho client` (docs/client.md#exit-codes). */
export const CLIENT_EXIT = {
  ok: 0,
  /** Cannot connect, or the connection ended before the client was done. */
  failed: 1,
  /** Bad input: the command line, a `--hex` line, an unreadable `--file`. */
  usage: 2,
  /** `--file`: the echo differs from the file. */
  mismatch: 3,
  /** Ctrl-C (128 + SIGINT), after the closing handshake. */
  interrupted: 130,
} as const;

/** The client cannot go on; `message` is one line for a person. */
export class ClientError extends Error {
  constructor(message: string, readonly exitCode: number = CLIENT_EXIT.failed) {
    super(message);
    this.name = "ClientError";
  }
}
