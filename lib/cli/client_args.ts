/**
 * `wsecho client URL [options]`: the console client's command line
 * (lib/client/client.ts runs it).
 */
import { parseHex } from "../core/payload.ts";
import type {
  ClientMessageFormat,
  ClientOptions,
  TrustedCa,
} from "../config/options.ts";
import { normalizeOrigin } from "../http/origin.ts";
import { isProtocolName } from "../http/subprotocol.ts";
import {
  loadTrustedCa,
  readTextFile,
  type TextFileReader,
  TlsFileError,
} from "./tls_files.ts";
import { parseLogFormat, parseOrExplain, UsageError } from "./usage.ts";

/** The first argument that selects the console client. */
export const CLIENT_COMMAND = "client";

export type ClientCommand =
  | { kind: "client"; options: ClientOptions }
  | { kind: "client-help" }
  | { kind: "version" };

const CLIENT_SPEC = {
  message: { type: "string", short: "m" },
  binary: { type: "boolean", short: "b", default: false },
  hex: { type: "boolean", default: false },
  file: { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  protocol: { type: "string", multiple: true },
  origin: { type: "string" },
  insecure: { type: "boolean", short: "k", default: false },
  ca: { type: "string" },
  debug: { type: "boolean", short: "d", default: false },
  "log-format": { type: "string", default: "pretty" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "V", default: false },
} as const;

/**
 * Handshake headers the WebSocket client writes itself; a second copy from
 * `-H` would make a request the server must refuse. The two that have
 * options of their own say which.
 */
const MANAGED_HEADERS: Record<string, string> = {
  "host": "",
  "upgrade": "",
  "connection": "",
  "sec-websocket-key": "",
  "sec-websocket-version": "",
  "sec-websocket-extensions": "",
  "sec-websocket-protocol": " (use --protocol)",
  "origin": " (use --origin)",
};

// RFC 7230 `token` (a header name) and a field value on one line.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[^\0\r\n]*$/;

/** The arguments after `client`. */
export function parseClientCommand(
  args: string[],
  readFile: TextFileReader = readTextFile,
): ClientCommand {
  const { values, positionals } = parseOrExplain(args, CLIENT_SPEC);
  if (values.help) return { kind: "client-help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0) {
    throw new UsageError(
      "client needs a URL, e.g. 'wsecho client ws://localhost:1234/'",
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`);
  }
  const url = parseWebSocketUrl(positionals[0]);
  const format = parseFormat(values.binary, values.hex, values.file);
  if (values.message !== undefined && values.file !== undefined) {
    throw new UsageError("--message and --file cannot be used together");
  }
  if (format === "hex" && values.message !== undefined) {
    checkHex(values.message, "--message");
  }
  if (
    (values.insecure || values.ca !== undefined) && !url.startsWith("wss:")
  ) {
    throw new UsageError(
      `${
        values.insecure ? "-k/--insecure" : "--ca"
      } applies to wss:// URLs only`,
    );
  }
  return {
    kind: "client",
    options: {
      url,
      format,
      message: values.message,
      file: values.file,
      headers: (values.header ?? []).map(parseHeader),
      protocols: parseProtocols(values.protocol ?? []),
      origin: values.origin === undefined
        ? undefined
        : parseOrigin(values.origin),
      insecure: values.insecure,
      ca: values.ca === undefined ? undefined : readCa(values.ca, readFile),
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

function parseFormat(
  binary: boolean,
  hex: boolean,
  file: string | undefined,
): ClientMessageFormat {
  if (file !== undefined && (binary || hex)) {
    throw new UsageError(
      `--file sends the file's bytes as they are; drop ${
        binary ? "--binary" : "--hex"
      }`,
    );
  }
  if (binary && hex) {
    throw new UsageError(
      "--binary (bytes as read) and --hex (hex text) cannot be used together",
    );
  }
  return hex ? "hex" : binary ? "binary" : "text";
}

/** Throws the usage error for text that is not hex. */
export function checkHex(text: string, where: string): Uint8Array {
  const bytes = parseHex(text);
  if (bytes === undefined) {
    throw new UsageError(
      `${where} is not hex (two digits a byte, e.g. 'fffe' or 'ff fe'): '${text}'`,
    );
  }
  return bytes;
}

/** `-H 'Name: value'` → `[name, value]`. */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
    throw new UsageError(
      `-H/--header must look like 'Name: value', got '${text}'`,
    );
  }
  const managed = MANAGED_HEADERS[name.toLowerCase()];
  if (managed !== undefined) {
    throw new UsageError(
      `-H/--header cannot set ${name}: the client sends it itself${managed}`,
    );
  }
  return [name, value];
}

function parseProtocols(names: string[]): string[] {
  for (const name of names) {
    if (!isProtocolName(name)) {
      throw new UsageError(
        `--protocol must be a token (letters, digits, !#$%&'*+-.^_\`|~), got '${name}'`,
      );
    }
  }
  if (new Set(names).size !== names.length) {
    throw new UsageError("--protocol names must differ");
  }
  return names;
}

/** Sent as given, so the server's own normalization is what gets tested. */
function parseOrigin(text: string): string {
  if (normalizeOrigin(text) === undefined) {
    throw new UsageError(
      `--origin must be an origin like 'https://example.com' (scheme, host, optional port), got '${text}'`,
    );
  }
  return text.trim();
}

function readCa(file: string, readFile: TextFileReader): TrustedCa {
  try {
    return loadTrustedCa(file, readFile);
  } catch (error) {
    if (error instanceof TlsFileError) throw new UsageError(error.message);
    throw error;
  }
}
