/**
 * The start-up line of `--debug` that lists the limits in effect (from
 * lib/config/options.ts, as parsed).
 */
import { formatBytes } from "../core/payload.ts";
import type { Engine, ServerOptions } from "../config/options.ts";

/** A log message and its properties. */
export interface LogLine {
  readonly message: string;
  readonly properties: Record<string, unknown>;
}

/**
 * `limits: max message 16MiB, max buffered 4MiB, max clients unlimited,
 * idle timeout 60 s, shutdown timeout 5 s` (and the handshake timeout
 * where the engine enforces it: ours). Numbers go into the properties as
 * they are (bytes, seconds; 0: off or unlimited).
 */
export function limitsLine(options: ServerOptions, engine: Engine): LogLine {
  const seconds = (n: number) => n === 0 ? "off" : `${n} s`;
  const parts = [
    `max message ${formatBytes(options.maxMessage)}`,
    `max buffered ${formatBytes(options.maxBuffered)}`,
    `max clients ${
      options.maxClients === 0 ? "unlimited" : options.maxClients
    }`,
    `idle timeout ${seconds(options.idleTimeout)}`,
  ];
  const properties: Record<string, unknown> = {
    maxMessage: options.maxMessage,
    maxBuffered: options.maxBuffered,
    maxClients: options.maxClients,
    idleTimeout: options.idleTimeout,
  };
  if (engine === "wsecho") {
    parts.push(`handshake timeout ${seconds(options.handshakeTimeout)}`);
    properties.handshakeTimeout = options.handshakeTimeout;
  }
  parts.push(`shutdown timeout ${seconds(options.shutdownTimeout)}`);
  properties.shutdownTimeout = options.shutdownTimeout;
  // Braces in the text would be taken for placeholders: there are none.
  return { message: `limits: ${parts.join(", ")}`, properties };
}
