/**
 * `--host`: an address to listen on, or a name to resolve. What cannot be
 * an address of any machine (an IPv4 part above 255, a malformed IPv6
 * address, a name with spaces) is bad input, said in one line with exit
 * code 2, rather than a failure to listen (exit 1) later.
 */
import { parseIp } from "../http/cidr.ts";
import { UsageError } from "./usage.ts";

/** A DNS label (RFC 1123; `_` too, as /etc/hosts allows). */
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

export function parseHost(text: string): string {
  // Accept the URL form "[::1]" as well as the bare "::1".
  const bracketed = text.startsWith("[") && text.endsWith("]");
  const host = bracketed ? text.slice(1, -1) : text;
  if (host.includes(":") || bracketed) {
    if (
      parseIp(host) === undefined || host.includes(".") && !host.includes(":")
    ) {
      throw new UsageError(
        `--host ${text} is not a valid IPv6 address (e.g. ::1, ::, fe80::1%eth0)`,
      );
    }
    return host;
  }
  // Digits and dots only: an IPv4 address, as no host name is all digits.
  if (/^[\d.]+$/.test(host)) {
    if (parseIp(host) === undefined) {
      throw new UsageError(
        `--host ${text} is not a valid IPv4 address (four numbers 0-255, e.g. 127.0.0.1)`,
      );
    }
    return host;
  }
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length > 253 || !name.split(".").every((l) => LABEL.test(l))) {
    throw new UsageError(
      `--host must be an IP address or a host name (e.g. 0.0.0.0, ::, localhost), got '${text}'`,
    );
  }
  return host;
}
