/**
 * What a phase (http_phase.ts, websocket_phase.ts) needs of the connection
 * it runs in: the one State, the socket to read, the one Outbound to
 * write through, and the ways to end. Connection implements it; the
 * phases import this, not the Connection, so no import goes back up.
 */
import type { Outbound } from "./outbound.ts";
import type { EngineSocket } from "./socket.ts";
import type { State } from "./state.ts";

export interface PhaseHost {
  /** Where the connection is: the one source of truth. */
  readonly state: State;
  readonly socket: EngineSocket;
  /** Every write goes through it. */
  readonly out: Outbound;
  /** `ip:port` of the peer, for log lines. */
  readonly remote: string;
  /** Moves to `state`; its timeout (if any) starts now. */
  enter(state: State): void;
  /** Frames arrived: the client is alive (read by the heartbeat). */
  heard(): void;
  /** The peer's IP address, for /healthz and --trust-proxy. */
  peerAddress(): string | undefined;
  /** Ends our side; the client's end is awaited, bounded (`Lingering`). */
  shutWrite(): void;
  /** Writes `bytes` as the last thing said, then shuts our side. */
  sayLast(bytes: Uint8Array): Promise<void>;
  /** Drops a client that does not read what we write. */
  refuseStuck(reason: string): void;
  /** Ends the connection now. */
  end(): void;
}
