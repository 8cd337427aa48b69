/**
 * `--origin`: which web pages may open a WebSocket to us. Browsers always
 * send `Origin` on a WebSocket handshake and cannot forge it, so an allow
 * list stops other sites' pages from using the server through a visitor's
 * browser (cross-site WebSocket hijacking); it is what Qt calls
 * `originAuthenticationRequired`. Non-browser clients send no `Origin` at
 * all, so a missing header is allowed unless `--require-origin` is given.
 */

/** What `--origin` and `--require-origin` configure. */
export interface OriginPolicy {
  /** Normalized origins that may connect; empty means any origin. */
  readonly origins: readonly string[];
  /** Refuse handshakes without an `Origin` header (only with `origins`). */
  readonly requireOrigin: boolean;
}

/**
 * The comparable form of an origin: `scheme://host[:port]` in lower case
 * without a default port, or the opaque origin `null`. `undefined` when
 * `text` is no origin (has a path, query, user info, or does not parse).
 */
export function normalizeOrigin(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "null") return "null";
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.host === "" || url.username !== "" || url.password !== "") {
    return undefined;
  }
  // "https://a.example/" is accepted as the origin it names; a real path is not.
  if (url.pathname !== "/" && url.pathname !== "" || url.search || url.hash) {
    return undefined;
  }
  // `url.origin` is "null" for non-special schemes (chrome-extension://id),
  // so build it from the parts, which URL has already lower-cased.
  return `${url.protocol}//${url.host}`;
}

/** Whether a handshake with this `Origin` header value may proceed. */
export function originAllowed(
  policy: OriginPolicy,
  header: string | null,
): boolean {
  if (policy.origins.length === 0) return true;
  if (header === null) return !policy.requireOrigin;
  const origin = normalizeOrigin(header);
  return origin !== undefined && policy.origins.includes(origin);
}
