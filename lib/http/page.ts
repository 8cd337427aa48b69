/**
 * The browser echo client served at `GET /`: a small tool to keep open while
 * testing a WebSocket server. Its sources are web/index.html, web/page.css
 * and web/page.ts; `deno task page` (scripts/gen_page.ts) inlines them into
 * one string in page_assets.generated.ts, so standalone binaries embed it
 * and nothing is read from disk at run time. It loads nothing from the
 * network (script, style and logo are inline), so it works offline. The
 * server version comes from `/healthz` at load time, which keeps the page
 * constant (the binaries test compares it byte for byte).
 */
import {
  PAGE_HTML,
  PAGE_SCRIPT_HASH,
  PAGE_STYLE_HASH,
} from "./page_assets.generated.ts";

export { PAGE_HTML };

/**
 * The page's Content-Security-Policy: its own script and style (by hash, so
 * nothing injected could run), `fetch` of `/healthz` on its own origin, and
 * WebSocket connections to any host (it is a client for any echo server).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${PAGE_SCRIPT_HASH}`,
  `style-src ${PAGE_STYLE_HASH}`,
  "connect-src 'self' ws: wss:",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
