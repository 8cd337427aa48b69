/**
 * Comma-separated HTTP header lists (`Connection`, `Upgrade`,
 * `Sec-WebSocket-Protocol`): a repeated header reaches us joined with ", ",
 * so splitting on commas reads both forms.
 */

/** The non-empty, trimmed elements of a comma-separated header value. */
export function headerTokens(value: string | null): string[] {
  if (value === null) return [];
  return value.split(",").map((part) => part.trim()).filter((part) =>
    part !== ""
  );
}

/**
 * Whether a comma-separated header value contains `token` (given in lower
 * case), ignoring case. Runs on every handshake: a value as long as the
 * token can only contain it by being it, which spares the usual
 * `Upgrade: websocket` and `Connection: Upgrade` the split.
 */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  if (value.length === token.length) return value.toLowerCase() === token;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}
