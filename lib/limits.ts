/**
 * Connection and frame limits: their defaults, how their flags are parsed,
 * and the runtime-agnostic checks the glue applies where a runtime has no
 * native mechanism (see README, "Limits and security").
 */
import { type Payload, type PeerInfo, utf8Length } from "./echo.ts";
import { logger } from "./log.ts";

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

/** The largest message echoed; a larger one closes with 1009. */
export const DEFAULT_MAX_MESSAGE = 16 * MIB;
/** Outbound bytes queued for one client before it is closed with 1008. */
export const DEFAULT_MAX_BUFFERED = 4 * MIB;
/** Seconds of silence after which a peer must answer a ping or be dropped. */
export const DEFAULT_IDLE_TIMEOUT = 60;
/**
 * Seconds from SIGINT/SIGTERM to exit, all included: Deno Deploy gives a
 * process 5 s after SIGINT.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 5;
/**
 * What shutdown keeps of `--shutdown-timeout` for after the wait for
 * clients: closing the listener (up to 1 s, lib/shutdown.ts) and exiting.
 */
export const SHUTDOWN_EXIT_ALLOWANCE_MS = 1500;

/** Byte limits above this are surely typos (and exceed both runtimes' caps). */
export const MAX_BYTE_LIMIT = 1 * GIB;
/** Bun's (uWebSockets') longest idle timeout. */
export const MAX_IDLE_TIMEOUT = 960;
export const MAX_SHUTDOWN_TIMEOUT = 3600;

/**
 * Deno's WebSocket cannot be given a size limit: it fails the connection
 * (dropping TCP, no 1009) on a frame of 64 MiB or more, so `--max-message`
 * at or above this cannot take effect there.
 */
export const DENO_MESSAGE_CAP = 64 * MIB;

/** RFC 6455 §7.4.1: a message too big to process. */
export const MESSAGE_TOO_BIG = 1009;
/**
 * RFC 6455 §7.4.1: a policy violation, here a client that does not read
 * what it asked for. (1013 "try again later" would invite an immediate
 * retry of the same behaviour, and it describes server overload.)
 */
export const POLICY_VIOLATION = 1008;

/** What the glue enforces per connection, already validated. */
export interface ConnectionLimits {
  /** Bytes; larger messages close the connection with 1009. */
  maxMessage: number;
  /** Bytes queued outbound; past it the client is closed with 1008. */
  maxBuffered: number;
  /** Seconds; 0 disables heartbeats. */
  idleTimeout: number;
  /** Whether to negotiate permessage-deflate where the runtime can. */
  permessageDeflate: boolean;
}

/** Thrown for a malformed limit; `options.ts` turns it into a usage error. */
export class LimitSyntaxError extends Error {}

const UNITS = new Map<string, number>([
  ["", 1],
  ["k", KIB],
  ["kib", KIB],
  ["m", MIB],
  ["mib", MIB],
  ["g", GIB],
  ["gib", GIB],
]);

/**
 * A byte count: a whole number with an optional binary unit, e.g. `65536`,
 * `64KiB`, `16MiB`, `16m`. Must be from 1 to 1 GiB.
 */
export function parseByteSize(text: string, flag: string): number {
  const match = /^(\d{1,10})\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS.get(match[2].toLowerCase()) : undefined;
  const bytes = unit === undefined ? NaN : Number(match![1]) * unit;
  if (!(bytes >= 1 && bytes <= MAX_BYTE_LIMIT)) {
    throw new LimitSyntaxError(
      `${flag} must be a byte count from 1 to 1GiB (e.g. 65536, 64KiB, 16MiB), got '${text}'`,
    );
  }
  return bytes;
}

/** Whole seconds from 0 to `max`. */
export function parseSeconds(text: string, flag: string, max: number): number {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed) || Number(trimmed) > max) {
    throw new LimitSyntaxError(
      `${flag} must be whole seconds from 0 to ${max}, got '${text}'`,
    );
  }
  return Number(trimmed);
}

/**
 * Whether a received message is larger than `max` bytes, for runtimes
 * that cannot enforce it themselves. Allocation-free: for text the UTF-16
 * length bounds the UTF-8 length (each unit encodes to 1-3 bytes), so the
 * exact count is only computed for text within 3× of the limit.
 */
export function exceedsMessageLimit(data: Payload, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return utf8Length(data) > max;
}

/** A close reason for a message over the limit (fits a control frame). */
export function tooBigReason(max: number): string {
  return `message exceeds ${max} bytes`;
}

/** A close reason for a client whose outbound queue passed the limit. */
export function tooSlowReason(max: number): string {
  return `not reading: over ${max} bytes queued`;
}

/** Just the per-connection limits out of a larger options object. */
export function connectionLimits(options: ConnectionLimits): ConnectionLimits {
  const { maxMessage, maxBuffered, idleTimeout, permessageDeflate } = options;
  return { maxMessage, maxBuffered, idleTimeout, permessageDeflate };
}

/**
 * Logs that a client is being closed for breaking a limit: an operator
 * should see what was refused and why. Only refusals log; the echo path
 * itself never does.
 */
export function logRefusal(peer: PeerInfo, code: number, reason: string): void {
  logger("limits").info("#{id} from {remote} closed with {code}: {reason}", {
    id: peer.id,
    remote: peer.remote,
    code,
    reason,
  });
}

/**
 * How long shutdown waits for clients to answer the 1001 close so that the
 * whole shutdown fits in `--shutdown-timeout`: 3.5 s for the default 5 s.
 */
export function drainTimeoutMs(shutdownTimeoutSeconds: number): number {
  return Math.max(
    0,
    shutdownTimeoutSeconds * 1000 - SHUTDOWN_EXIT_ALLOWANCE_MS,
  );
}
