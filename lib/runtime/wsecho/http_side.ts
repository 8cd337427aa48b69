/**
 * The HTTP side of one wsecho connection: a parsed request head becomes a
 * `Request` for the same handler Deno.serve runs (lib/http/routes.ts), and
 * the handler's decision becomes bytes to write: a response, or the 101 of
 * an accepted upgrade (performed here, inline) with what the connection
 * needs to switch to frames.
 */
import type { HandshakeInfo } from "../../core/hub.ts";
import { logInternalError } from "../../core/internal_error.ts";
import type { ClientSlot } from "../../http/client_slots.ts";
import { handshakeInfo } from "../../http/handshake_info.ts";
import {
  type Decision,
  failedUpgradeResponse,
  type HttpHandler,
  type PeerAddress,
} from "../../http/routes.ts";
import type { UpgradeGate } from "../../http/upgrade_gate.ts";
import {
  requestOf,
  type RequestView,
  viewOf,
} from "../../http/request_view.ts";
import type { RequestHead } from "../../protocol/http1/request_parser.ts";
import {
  errorBytes,
  responseBytes,
  switchingProtocols,
} from "../../protocol/http1/response_writer.ts";
import {
  DEFAULT_DEFLATE_CONFIG,
  type DeflateParams,
  negotiatePermessageDeflate,
} from "../../protocol/deflate_negotiation.ts";

/** What to do after a request. */
export type Answer =
  | {
    readonly kind: "response";
    readonly bytes: Uint8Array;
    /** Close the connection once written. */
    readonly close: boolean;
  }
  | {
    readonly kind: "upgrade";
    /** The 101. */
    readonly bytes: Uint8Array;
    /** permessage-deflate as agreed, or undefined. */
    readonly deflate: DeflateParams | undefined;
    /** The client a trusted proxy named (`--trust-proxy`), or undefined. */
    readonly client: string | undefined;
    /** The client slot: the connection owns it from here on. */
    readonly slot: ClientSlot;
    /** What the request said, with `--debug` only (the connect line). */
    readonly handshake?: HandshakeInfo;
  };

export interface HttpSideOptions {
  readonly handle: HttpHandler;
  /** For the 400 of an upgrade that fails after the routes admitted it. */
  readonly gate: UpgradeGate;
  readonly tls: boolean;
  /** Our address, for URLs of requests without a Host. */
  readonly localHost: string;
  readonly permessageDeflate: boolean;
  /** `--debug`: keep what each handshake said for its connect line. */
  readonly debug?: boolean;
}

/** Answers one request head; never throws. */
export async function answer(
  head: RequestHead,
  options: HttpSideOptions,
  peer: PeerAddress,
): Promise<Answer> {
  // A GET (every handshake) gets the cheap view over the parsed head; it
  // answers every read the handler and the gate make (method, url,
  // headers) as the Request does (tests/unit/head_request_test.ts). Other
  // methods keep the Request's rules: those it cannot carry are a 405.
  // Measured: see docs/engine.md (Speed, handshakes).
  const request = head.method === "GET"
    ? viewOf(head, options.localHost, options.tls)
    : requestOf(head, options.localHost, options.tls);
  if ("status" in request) {
    return {
      kind: "response",
      bytes: errorBytes(request.status, request.message, request.headers),
      close: true,
    };
  }
  let decision: Decision;
  try {
    decision = options.handle(request, peer);
  } catch (error) {
    // A bug of ours, not the client's: said in the log, answered with 500.
    logInternalError("the HTTP handler", error, undefined, !!options.debug);
    return internalErrorAnswer();
  }
  let response: Response;
  if (decision.kind === "upgrade") {
    try {
      return upgradeAnswer(request, decision, options);
    } catch (error) {
      // Cannot happen once the gate has checked the handshake; if it does,
      // the slot goes back and the client gets the 400 every glue gives.
      response = failedUpgradeResponse(options.gate, decision.slot, error);
    }
  } else response = decision.response;
  // A refused upgrade ends the connection: the client wanted a WebSocket,
  // not another request on this one.
  const close = !head.keepAlive || request.headers.has("upgrade");
  try {
    const bytes = await responseBytes(response, {
      head: head.method === "HEAD",
      close,
    });
    return { kind: "response", bytes, close };
  } catch (error) {
    logInternalError("writing a response", error, undefined, !!options.debug);
    return internalErrorAnswer();
  }
}

/** The upgrade, performed: the 101 to write and what the frames need. */
function upgradeAnswer(
  request: RequestView,
  { protocol, client, slot }: Decision & { kind: "upgrade" },
  options: HttpSideOptions,
): Answer {
  // The gate has checked the handshake (method, Upgrade, Connection,
  // key, version) before deciding to upgrade.
  const key = request.headers.get("sec-websocket-key")!.trim();
  const negotiation = options.permessageDeflate
    ? negotiatePermessageDeflate(
      request.headers.get("sec-websocket-extensions"),
      DEFAULT_DEFLATE_CONFIG,
    )
    : undefined;
  return {
    kind: "upgrade",
    // We write the 101 ourselves.
    bytes: switchingProtocols(key, {
      protocol,
      extensions: negotiation?.accepted ? negotiation.response : undefined,
    }),
    deflate: negotiation?.accepted ?? undefined,
    client,
    slot,
    handshake: options.debug ? handshakeInfo(request, protocol) : undefined,
  };
}

function internalErrorAnswer(): Answer {
  return {
    kind: "response",
    bytes: errorBytes(500, "Internal Server Error"),
    close: true,
  };
}
