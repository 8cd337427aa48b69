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

/** Whether a comma-separated header value contains `token`, ignoring case. */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}
