/**
 * The HTTP side, runtime-agnostic: decides on each request. A WebSocket
 * upgrade (on any path, as Qt's echoserver accepts them) that passes the
 * access gate becomes a decision to upgrade, which the runtime's glue
 * performs; the plain routes are answered: the browser client page,
 * `/healthz`, `/metrics`, and 404 for everything else.
 */
import process from "node:process";
import { messageOf } from "../core/errors.ts";
import type { HubView } from "../core/hub.ts";
import type { AddressMatcher } from "./cidr.ts";
import { forwardedClient } from "./forwarded.ts";
import type { RequestView } from "./request_view.ts";
import { hasToken } from "./header_tokens.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import { PAGE_CSP, PAGE_HTML } from "./page.ts";
import type { ClientSlot } from "./client_slots.ts";
import type { Refusal, UpgradeGate } from "./upgrade_gate.ts";

/** Which runtime serves, as `/healthz` and `/metrics` report it. */
export interface RuntimeInfo {
  readonly name: "deno" | "bun";
  readonly version: string;
  /** Whose WebSocket engine: the runtime's own, or ours (`--engine`). */
  readonly engine: "builtin" | "wsecho";
}

/**
 * What the HTTP side decided about one request: answer it with `response`,
 * or upgrade it. An upgrade is the glue's to perform, inline in its own
 * file (the Deno and Bun glues, lib/runtime/wsecho/http_side.ts); if the
 * runtime then refuses it, the glue answers with
 * {@linkcode failedUpgradeResponse}.
 */
export type Decision =
  | { readonly kind: "respond"; readonly response: Response }
  | {
    readonly kind: "upgrade";
    /** The `Sec-WebSocket-Protocol` to answer with, or none. */
    readonly protocol: string | undefined;
    /**
     * The address a trusted proxy forwarded the request for
     * (`--trust-proxy`), for the client's log lines; undefined when the
     * TCP peer is the client.
     */
    readonly client: string | undefined;
    /**
     * The client slot this upgrade holds (`--max-clients`): the peer owns
     * it and releases it when its socket ends, or the glue does at once
     * when the runtime refuses the upgrade.
     */
    readonly slot: ClientSlot;
  };

/**
 * The TCP peer's address (no port), asked for only when needed: by
 * `/healthz`, and by upgrades with `--trust-proxy`. Undefined if unknown.
 */
export type PeerAddress = () => string | undefined;

/** Decides on one request; never performs an upgrade itself. */
export type HttpHandler = (request: RequestView, peer: PeerAddress) => Decision;

export interface HttpDeps {
  hub: HubView;
  runtime: RuntimeInfo;
  /** Server version, reported by `/healthz`. */
  version: string;
  /** `Date.now()` at start, for uptime. */
  startedAt: number;
  /** True once shutdown has begun. */
  isDraining: () => boolean;
  /** Decides which upgrades go ahead, and counts the refused ones. */
  gate: UpgradeGate;
  /** `--trust-proxy`; undefined when none is trusted (headers unread). */
  trustedProxies: AddressMatcher | undefined;
}

/**
 * This isolate's name in `/healthz`, and in the log lines of a `deno
 * serve --parallel` worker: tells apart servers that share a pid (each
 * isolate loads its own copy of this module).
 */
export const INSTANCE: string = crypto.randomUUID().slice(0, 8);

export function createHttpHandler(deps: HttpDeps): HttpHandler {
  const instance = INSTANCE;
  const trusted = deps.trustedProxies;
  return (request, peer) => {
    if (wantsWebSocket(request)) {
      if (deps.isDraining()) {
        deps.gate.refused.draining++;
        return respond(
          textResponse(503, "Shutting down\n", { "retry-after": "5" }),
        );
      }
      const admission = deps.gate.admit(request);
      if (admission.kind === "refuse") {
        return respond(refusalResponse(admission));
      }
      return {
        kind: "upgrade",
        protocol: admission.protocol,
        // Without --trust-proxy nothing is read: the peer is the client.
        client: trusted && forwardedFrom(peer, request, trusted),
        slot: admission.slot,
      };
    }
    return respond(plainRoute(deps, instance, request, peer));
  };
}

/** The plain routes: the page, `/healthz`, `/metrics`, else 404. */
function plainRoute(
  deps: HttpDeps,
  instance: string,
  request: RequestView,
  peer: PeerAddress,
): Response {
  const trusted = deps.trustedProxies;
  // Bun gives a request without `Host` (HTTP/1.0, e.g. HAProxy's default
  // health check) a bare path as its url, which `new URL` alone refuses.
  const { pathname } = new URL(request.url, "http://localhost");
  switch (pathname) {
    case "/":
      return onlyGet(request) ?? pageResponse(request);
    case "/healthz":
      // 503 while draining, so that health checks (HAProxy, Caddy,
      // Kubernetes readiness) take this instance out before it stops
      // listening; the body says why.
      return onlyGet(request) ??
        jsonResponse(
          request,
          health(deps, instance, clientAddress(peer, request, trusted)),
          deps.isDraining() ? 503 : 200,
        );
    case "/metrics":
      return onlyGet(request) ??
        bodyResponse(
          request,
          renderMetrics({ ...deps, refused: deps.gate.refused }),
          METRICS_CONTENT_TYPE,
        );
    default:
      return textResponse(404, "Not Found\n");
  }
}

function respond(response: Response): Decision {
  return { kind: "respond", response };
}

/** `Upgrade: websocket` (a token list, any case) marks a WebSocket attempt. */
export function wantsWebSocket(request: RequestView): boolean {
  return hasToken(request.headers.get("upgrade"), "websocket");
}

/** The address a trusted peer forwarded `request` for, if any. */
function forwardedFrom(
  peer: PeerAddress,
  request: RequestView,
  trusted: AddressMatcher,
): string | undefined {
  const address = peer();
  return address === undefined
    ? undefined
    : forwardedClient(address, request.headers, trusted);
}

/** Who sent `request` as this server sees it, proxies considered. */
function clientAddress(
  peer: PeerAddress,
  request: RequestView,
  trusted: AddressMatcher | undefined,
): string | null {
  return (trusted && forwardedFrom(peer, request, trusted)) ?? peer() ?? null;
}

/**
 * The answer when the runtime refuses an upgrade the routes decided on
 * (Deno's `upgradeWebSocket` throws, Bun's `upgrade` returns false): the
 * one place every glue turns that into its 400. No socket will ever end
 * for this request, so its slot is given back here; the runtime found the
 * handshake malformed, which is the client's fault (`bad_request`).
 */
export function failedUpgradeResponse(
  gate: UpgradeGate,
  slot: ClientSlot,
  error: unknown,
): Response {
  slot.release();
  gate.refused.bad_request++;
  return textResponse(400, `Bad WebSocket handshake: ${messageOf(error)}\n`);
}

function refusalResponse(refusal: Refusal): Response {
  return textResponse(refusal.status, refusal.message + "\n", refusal.headers);
}

function health(deps: HttpDeps, instance: string, client: string | null) {
  const s = deps.hub.stats;
  return {
    status: deps.isDraining() ? "draining" : "ok",
    // Who asked, as this server sees it (after --trust-proxy): lets a
    // user check that a proxy's X-Forwarded-For arrives and is believed.
    client,
    version: deps.version,
    runtime: deps.runtime.name,
    runtimeVersion: deps.runtime.version,
    engine: deps.runtime.engine,
    // Which process answered: `--workers` and load balancers run several.
    pid: process.pid,
    instance,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    clients: deps.hub.size,
    connectionsTotal: s.connectionsTotal,
    messagesIn: { text: s.textMessagesIn, binary: s.binaryMessagesIn },
    messagesOut: { text: s.textMessagesOut, binary: s.binaryMessagesOut },
    bytesIn: { text: s.textBytesIn, binary: s.binaryBytesIn },
    bytesOut: { text: s.textBytesOut, binary: s.binaryBytesOut },
    refusedUpgrades: { ...deps.gate.refused },
  };
}

/** 405 for anything but GET and HEAD on the plain routes. */
function onlyGet(request: RequestView): Response | undefined {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  return textResponse(405, "Method Not Allowed\n", { allow: "GET, HEAD" });
}

/** The client page, with a policy that lets only its own script and style run. */
function pageResponse(request: RequestView): Response {
  return bodyResponse(request, PAGE_HTML, "text/html; charset=utf-8", {
    "content-security-policy": PAGE_CSP,
    "x-content-type-options": "nosniff",
  });
}

function jsonResponse(
  request: RequestView,
  value: unknown,
  status = 200,
): Response {
  return bodyResponse(
    request,
    JSON.stringify(value) + "\n",
    "application/json",
    {},
    status,
  );
}

function bodyResponse(
  request: RequestView,
  body: string,
  type: string,
  headers: Record<string, string> = {},
  status = 200,
): Response {
  return new Response(request.method === "HEAD" ? null : body, {
    status,
    headers: { "content-type": type, "cache-control": "no-store", ...headers },
  });
}

export function textResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
