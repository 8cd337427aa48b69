/**
 * Errors in our own code, as opposed to a client's fault or a network
 * failure. The engine used to swallow them together with client resets, so
 * a TypeError of ours looked exactly like a client going away. Every place
 * that catches "anything" on a connection's path reports here first, so an
 * operator sees it, and the connection is then closed with
 * {@linkcode INTERNAL_ERROR} (1011) where a close frame can still be sent.
 */
import { INTERNAL_ERROR } from "./close_codes.ts";
import { messageOf } from "./errors.ts";
import type { PeerInfo } from "./hub.ts";
import { logger } from "./log.ts";

export { INTERNAL_ERROR };

/**
 * Logs an internal error met while serving `peer` (undefined before the
 * connection has a client number): one error line with the message always,
 * the stack trace with `--debug` only (`debug`).
 */
export function logInternalError(
  where: string,
  error: unknown,
  peer: PeerInfo | undefined,
  debug: boolean,
): void {
  const log = logger("internal");
  const properties = {
    where,
    id: peer?.id,
    remote: peer?.remote,
    code: INTERNAL_ERROR,
    message: messageOf(error),
    stack: debug && error instanceof Error ? error.stack : undefined,
  };
  const who = peer === undefined ? "" : "#{id} from {remote}: ";
  log.error(
    debug && properties.stack !== undefined
      ? who + "internal error in {where} (close code {code}): {stack}"
      : who + "internal error in {where} (close code {code}): {message}",
    properties,
  );
}
