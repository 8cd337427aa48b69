/**
 * What a WebSocket handshake said about its client, for the `--debug`
 * connect line: read from the request only when that line is logged.
 */
import type { HandshakeInfo } from "../core/hub.ts";
import type { RequestView } from "./request_view.ts";

export function handshakeInfo(
  request: RequestView,
  protocol: string | undefined,
): HandshakeInfo {
  // Bun gives a request without `Host` a bare path as its url.
  const url = new URL(request.url, "http://localhost");
  const { headers } = request;
  return {
    path: url.pathname + url.search,
    origin: headers.get("origin") ?? undefined,
    protocol,
    userAgent: headers.get("user-agent") ?? undefined,
    forwardedFor: headers.get("x-forwarded-for") ?? undefined,
  };
}
