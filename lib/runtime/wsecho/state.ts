/** The states of one engine connection (see connection.ts for the diagram). */

/**
 * How long the other side has to end TCP after the closing handshake (or
 * after we failed the connection, or sent our last HTTP response) before
 * we drop it ourselves.
 */
export const CLOSE_TIMEOUT_MS = 1500;

/**
 * Where one connection is. The order matters to `Connection.tick`: from
 * `Closing` to `Lingering`, the closing timeout bounds the state.
 */
export const enum State {
  /** Waiting for a request head: the handshake timeout runs. */
  AwaitingHead,
  /** A head is in: it is being answered and the answer written. */
  Answering,
  /** Upgraded: frames both ways. */
  Open,
  /** We sent our close frame; the client's is awaited. */
  Closing,
  /** The client's close frame is in: our answer goes out, then TCP ends. */
  PeerClosed,
  /** We failed the connection: our close frame goes out, then our FIN. */
  Failing,
  /** Idle: our 1001 goes out, then TCP is dropped, no reply awaited. */
  Dropping,
  /** Our last bytes are out and our side is shut; the client's end is awaited. */
  Lingering,
  Ended,
}
