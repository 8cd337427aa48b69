/**
 * The per-connection limits as the glue enforces them: the checks it
 * applies where a runtime has no native mechanism, the close reasons, and
 * the log line for each refusal (see docs/security.md). The
 * limits' defaults and bounds are in lib/config/options.ts.
 */
import type { PeerInfo } from "../core/hub.ts";
import { logger } from "../core/log.ts";
import { type Payload, utf8Length } from "../core/payload.ts";
import type { ConnectionLimits } from "../config/options.ts";

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
