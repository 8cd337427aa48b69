/**
 * Who may open a WebSocket: every request carrying `Upgrade: websocket`
 * passes this gate before the runtime is asked to upgrade it. In order:
 * a well-formed RFC 6455 handshake (400, or 426 for another version), an
 * allowed `Origin` (403), a free client slot (503 with `Retry-After`); then
 * the subprotocol to answer with is chosen. Each refusal is counted by
 * reason for `/metrics` and `/healthz`.
 */
import { logger } from "../core/log.ts";
import { type ClientSlot, ClientSlots } from "./client_slots.ts";
import { checkHandshake, WEBSOCKET_VERSION } from "./handshake.ts";
import type { RequestView } from "./request_view.ts";
import { originAllowed, type OriginPolicy } from "./origin.ts";
import { chooseProtocol } from "./subprotocol.ts";

/** The `reason` label values of refused upgrades. */
export const REFUSAL_REASONS = [
  "bad_request",
  "version",
  "origin",
  "capacity",
  "draining",
] as const;
export type RefusalReason = typeof REFUSAL_REASONS[number];
export type RefusalCounts = Record<RefusalReason, number>;

/** Seconds a client is told to wait when the server is full. */
export const CAPACITY_RETRY_AFTER_SECONDS = 5;

export interface AccessPolicy extends OriginPolicy {
  /** Subprotocols we speak, for negotiation; empty means none. */
  readonly protocols: readonly string[];
  /** Most clients at once, handshakes in flight included; 0 is unlimited. */
  readonly maxClients: number;
}

/** A request that may be upgraded, and what to upgrade it with. */
export interface Admission {
  readonly kind: "admit";
  /** The `Sec-WebSocket-Protocol` to answer, or none. */
  readonly protocol: string | undefined;
  /** The client slot taken for it: the peer gives it back when it ends. */
  readonly slot: ClientSlot;
}

/** A request that must be answered with an HTTP error instead. */
export interface Refusal {
  readonly kind: "refuse";
  readonly reason: RefusalReason;
  readonly status: number;
  /** One short line for the response body. */
  readonly message: string;
  readonly headers: Record<string, string>;
}

export class UpgradeGate {
  readonly refused: RefusalCounts = {
    bad_request: 0,
    version: 0,
    origin: 0,
    capacity: 0,
    draining: 0,
  };
  private readonly slots: ClientSlots;
  private readonly log = logger("access");

  constructor(private readonly policy: AccessPolicy) {
    this.slots = new ClientSlots(policy.maxClients);
  }

  /** Client slots held: open clients plus handshakes in flight. */
  get slotsInUse(): number {
    return this.slots.inUse;
  }

  /** Slots given back twice: bugs (see lib/http/client_slots.ts). */
  get doubleReleases(): number {
    return this.slots.doubleReleases;
  }

  /** Decides on a request that carries `Upgrade: websocket`. */
  admit(request: RequestView): Admission | Refusal {
    const problem = checkHandshake(request);
    if (problem?.status === 426) {
      return this.refuse("version", 426, problem.message, {
        "sec-websocket-version": WEBSOCKET_VERSION,
      });
    }
    if (problem) return this.refuse("bad_request", 400, problem.message);

    // Without an --origin list there is no header to read (every handshake
    // saves the look-up); likewise for --protocol below.
    if (
      this.policy.origins.length > 0 &&
      !originAllowed(this.policy, request.headers.get("origin"))
    ) {
      return this.refuse(
        "origin",
        403,
        request.headers.has("origin")
          ? "Origin not allowed"
          : "Origin header required",
      );
    }

    const slot = this.slots.take();
    if (slot === undefined) {
      return this.refuse(
        "capacity",
        503,
        `Server full (${this.policy.maxClients} clients)`,
        { "retry-after": String(CAPACITY_RETRY_AFTER_SECONDS) },
      );
    }
    const { protocols } = this.policy;
    return {
      kind: "admit",
      protocol: protocols.length === 0 ? undefined : chooseProtocol(
        request.headers.get("sec-websocket-protocol"),
        protocols,
      ),
      slot,
    };
  }

  /** A refusal of `reason`, counted and logged (at debug level). */
  refuse(
    reason: RefusalReason,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): Refusal {
    this.refused[reason]++;
    this.log.debug("refused an upgrade with {status} ({reason}): {message}", {
      status,
      reason,
      message,
    });
    return { kind: "refuse", reason, status, message, headers };
  }
}
