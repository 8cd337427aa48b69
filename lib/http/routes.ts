/**
 * The HTTP side, runtime-agnostic: hands WebSocket upgrades (on any path, as
 * Qt's echoserver accepts them) that pass the access gate to the runtime,
 * and answers the plain routes: the browser client page, `/healthz`,
 * `/metrics`, and 404 for everything else.
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
import type { Admission, Refusal, UpgradeGate } from "./upgrade_gate.ts";

/** Which runtime serves, as `/healthz` and `/metrics` report it. */
export interface RuntimeInfo {
  readonly name: "deno" | "bun";
  readonly version: string;
  /** Whose WebSocket engine: the runtime's own, or ours (`--engine`). */
  readonly engine: "builtin" | "wsecho";
}

/**
 * Performs the runtime's upgrade of the request being handled, answering
 * with `admission.protocol`; the glue calls the gate's `release` once the
 * socket has closed. `client` is the address a trusted proxy forwarded
 * the request for (`--trust-proxy`), for the client's log lines; undefined
 * when the TCP peer is the client. Returns the response to send (Deno),
 * `undefined` when the runtime answers by itself (Bun), and throws when
 * the runtime refuses the handshake.
 */
export type Upgrade = (
  admission: Admission,
  client: string | undefined,
) => Response | undefined;

/**
 * The TCP peer's address (no port), asked for only when needed: by
 * `/healthz`, and by upgrades with `--trust-proxy`. Undefined if unknown.
 */
export type PeerAddress = () => string | undefined;

export type HttpHandler = (
  request: RequestView,
  upgrade: Upgrade,
  peer: PeerAddress,
) => Response | undefined;

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
  return (request, upgrade, peer) => {
    if (wantsWebSocket(request)) {
      if (deps.isDraining()) {
        deps.gate.refused.draining++;
        return textResponse(503, "Shutting down\n", { "retry-after": "5" });
      }
      const decision = deps.gate.admit(request);
      if (decision.kind === "refuse") return refusalResponse(decision);
      // Without --trust-proxy nothing is read: the peer is the client.
      const client = trusted && forwardedFrom(peer, request, trusted);
      return handleUpgrade(upgrade, decision, client, deps.gate);
    }

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
  };
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

function handleUpgrade(
  upgrade: Upgrade,
  admission: Admission,
  client: string | undefined,
  gate: UpgradeGate,
): Response | undefined {
  try {
    return upgrade(admission, client);
  } catch (error) {
    // No socket will ever close for this request: give its slot back.
    gate.release();
    // The runtime found the handshake malformed: that is the client's fault.
    gate.refused.bad_request++;
    return textResponse(
      400,
      `Bad WebSocket handshake: ${messageOf(error)}\n`,
    );
  }
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
