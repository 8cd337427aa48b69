/** Addresses as people read them: in URLs and in log lines. */

/** `ws://host:port/` (`wss://` when `secure`), IPv6 addresses in brackets. */
export function wsUrl(hostname: string, port: number, secure = false): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${secure ? "wss" : "ws"}://${host}:${port}/`;
}

/** `host:port`, with IPv6 addresses in brackets, for logs. */
export function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * The browser page's URL: `http://host:port/` (`https://` when `secure`),
 * with `localhost` for the wildcard addresses, which a browser may not
 * take as a host to go to.
 */
export function pageUrl(
  hostname: string,
  port: number,
  secure = false,
): string {
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  const host = wildcard
    ? "localhost"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return `${secure ? "https" : "http"}://${host}:${port}/`;
}
