/**
 * The HTTP side, runtime-agnostic: hands WebSocket upgrades (on any path, as
 * Qt's echoserver accepts them) to the runtime, and answers the plain routes:
 * the browser client page, `/healthz`, and 404 for everything else.
 */
import type { EchoStats } from "./echo.ts";
import { PAGE_HTML } from "./page.ts";

/** What the HTTP side reads of the echo core. */
export interface HubView {
  readonly size: number;
  readonly stats: EchoStats;
}

export interface RuntimeInfo {
  readonly name: "deno" | "bun";
  readonly version: string;
}

/**
 * Performs the runtime's upgrade of the request being handled. Returns the
 * response to send (Deno), `undefined` when the runtime answers by itself
 * (Bun), and throws when the runtime refuses the handshake.
 */
export type Upgrade = () => Response | undefined;

export type HttpHandler = (
  request: Request,
  upgrade: Upgrade,
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
}

export function createHttpHandler(deps: HttpDeps): HttpHandler {
  return (request, upgrade) => {
    if (wantsWebSocket(request)) {
      if (deps.isDraining()) {
        return textResponse(503, "Shutting down\n", { "retry-after": "5" });
      }
      return handleUpgrade(upgrade);
    }

    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/":
        return onlyGet(request) ?? htmlResponse(request, PAGE_HTML);
      case "/healthz":
        return onlyGet(request) ?? jsonResponse(request, health(deps));
      default:
        return textResponse(404, "Not Found\n");
    }
  };
}

/** `Upgrade: websocket` (a token list, any case) marks a WebSocket attempt. */
export function wantsWebSocket(request: Request): boolean {
  return hasToken(request.headers.get("upgrade"), "websocket");
}

/** Whether a comma-separated header value contains `token`, ignoring case. */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}

function handleUpgrade(upgrade: Upgrade): Response | undefined {
  try {
    return upgrade();
  } catch (error) {
    // The runtime found the handshake malformed: that is the client's fault.
    const reason = error instanceof Error ? error.message : String(error);
    return textResponse(400, `Bad WebSocket handshake: ${reason}\n`);
  }
}

function health(deps: HttpDeps) {
  const s = deps.hub.stats;
  return {
    status: deps.isDraining() ? "draining" : "ok",
    version: deps.version,
    runtime: deps.runtime.name,
    runtimeVersion: deps.runtime.version,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    clients: deps.hub.size,
    connectionsTotal: s.connectionsTotal,
    messagesIn: { text: s.textMessagesIn, binary: s.binaryMessagesIn },
    messagesOut: { text: s.textMessagesOut, binary: s.binaryMessagesOut },
    bytesIn: { text: s.textBytesIn, binary: s.binaryBytesIn },
    bytesOut: { text: s.textBytesOut, binary: s.binaryBytesOut },
  };
}

/** 405 for anything but GET and HEAD on the plain routes. */
function onlyGet(request: Request): Response | undefined {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  return textResponse(405, "Method Not Allowed\n", { allow: "GET, HEAD" });
}

function htmlResponse(request: Request, html: string): Response {
  return bodyResponse(request, html, "text/html; charset=utf-8");
}

function jsonResponse(request: Request, value: unknown): Response {
  return bodyResponse(
    request,
    JSON.stringify(value) + "\n",
    "application/json",
  );
}

function bodyResponse(request: Request, body: string, type: string): Response {
  return new Response(request.method === "HEAD" ? null : body, {
    headers: { "content-type": type, "cache-control": "no-store" },
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
