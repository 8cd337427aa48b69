/**
 * `wsecho client URL [options]`: the console client's command line
 * (lib/app/client.ts runs it).
 */
import type { ClientOptions } from "../config/options.ts";
import { parseLogFormat, parseOrExplain, UsageError } from "./usage.ts";

/** The first argument that selects the console client. */
export const CLIENT_COMMAND = "client";

export type ClientCommand =
  | { kind: "client"; options: ClientOptions }
  | { kind: "client-help" };

const CLIENT_SPEC = {
  message: { type: "string", short: "m" },
  binary: { type: "boolean", short: "b", default: false },
  debug: { type: "boolean", short: "d", default: false },
  "log-format": { type: "string", default: "pretty" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The arguments after `client`. */
export function parseClientCommand(args: string[]): ClientCommand {
  const { values, positionals } = parseOrExplain(args, CLIENT_SPEC);
  if (values.help) return { kind: "client-help" };
  if (positionals.length === 0) {
    throw new UsageError(
      "client needs a URL, e.g. 'wsecho client ws://localhost:1234/'",
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`);
  }
  return {
    kind: "client",
    options: {
      url: parseWebSocketUrl(positionals[0]),
      binary: values.binary,
      message: values.message,
      debug: values.debug,
      logFormat: parseLogFormat(values["log-format"]),
    },
  };
}

function parseWebSocketUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch { /* reported below */ }
  if (url?.protocol !== "ws:" && url?.protocol !== "wss:") {
    throw new UsageError(
      `client URL must be a ws:// or wss:// URL, got '${text}'`,
    );
  }
  return url.href;
}
