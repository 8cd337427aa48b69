/**
 * WebSocket close codes (RFC 6455 §7.4.1), in one place: the hub, every
 * runtime's glue, the engine, the console client and shutdown all speak
 * them. Nothing else of the project is imported here.
 */

/** The purpose of the connection was fulfilled. */
export const NORMAL_CLOSURE = 1000;
/** The server is going down (shutdown, draining) or the page navigated away. */
export const GOING_AWAY = 1001;
/** The peer broke the protocol (RFC 6455 §5–§7). */
export const PROTOCOL_ERROR = 1002;
/** A data type the endpoint cannot accept. */
export const UNSUPPORTED_DATA = 1003;
/** Reported when a close frame carried no code; never sent on the wire. */
export const NO_STATUS_RECEIVED = 1005;
/** Reported when TCP dropped without a close frame; never sent on the wire. */
export const ABNORMAL_CLOSURE = 1006;
/** Text that is not valid UTF-8 (RFC 6455 §8.1). */
export const INVALID_PAYLOAD = 1007;
/**
 * A policy violation, here a client that does not read what it asked for.
 * (1013 "try again later" would invite an immediate retry of the same
 * behaviour, and it describes server overload.)
 */
export const POLICY_VIOLATION = 1008;
/** A message too big to process. */
export const MESSAGE_TOO_BIG = 1009;
/** The client expected an extension the server did not negotiate. */
export const MANDATORY_EXTENSION = 1010;
/** The server met a condition it did not expect. */
export const INTERNAL_ERROR = 1011;

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4.1
 * and §7.4.2; the IANA registry adds 1012–1014): 1000–1003, 1007–1014 and
 * the ranges left to libraries and applications, 3000–4999.
 */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}
