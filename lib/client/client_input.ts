/**
 * What the console client sends: the `--message` once, the `--file` as one
 * binary message, or stdin line by line, each made into a message by
 * `--binary` (the line's bytes as read), `--hex` (the bytes it spells) or
 * neither (the line as text).
 */
import { readFile } from "node:fs/promises";
import { readFailureOf } from "../core/errors.ts";
import { parseHex } from "../core/payload.ts";
import type { ClientOptions } from "../config/options.ts";
import { CLIENT_EXIT, ClientError } from "./client_error.ts";

const LF = 0x0a;
const CR = 0x0d;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The messages to send, in order. `stdin` is read only when needed. */
export async function* outgoingMessages(
  options: ClientOptions,
  stdin: () => AsyncIterable<Uint8Array>,
): AsyncGenerator<string | Uint8Array> {
  if (options.file !== undefined) {
    yield await readInputFile(options.file);
    return;
  }
  if (options.message !== undefined) {
    yield toMessage(options.message, options, "--message");
    return;
  }
  let n = 0;
  for await (const line of byteLines(stdin())) {
    n++;
    if (options.format === "binary") {
      yield line; // Bytes as read: no decoding, a CR stays a CR.
    } else {
      yield toMessage(decoder.decode(withoutCr(line)), options, `line ${n}`);
    }
  }
}

/** `--file`'s bytes; an unreadable file is bad input. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ClientError(
      `--file: cannot read '${path}': ${readFailureOf(error)}`,
      CLIENT_EXIT.usage,
    );
  }
}

function toMessage(
  text: string,
  options: ClientOptions,
  where: string,
): string | Uint8Array {
  if (options.format === "text") return text;
  if (options.format === "binary") return encoder.encode(text);
  const bytes = parseHex(text);
  if (bytes === undefined) {
    throw new ClientError(
      `${where} is not hex (two digits a byte, e.g. 'fffe' or 'ff fe'): ${
        JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text)
      }`,
      CLIENT_EXIT.usage,
    );
  }
  return bytes;
}

/**
 * Splits a byte stream at LF, bytes untouched, like `node:readline` splits
 * text: a last line without LF counts, and input ending in LF has no empty
 * line after it.
 */
export async function* byteLines(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    for (
      let end = chunk.indexOf(LF);
      end >= 0;
      end = chunk.indexOf(LF, start)
    ) {
      pending.push(chunk.subarray(start, end));
      yield concat(pending);
      pending = [];
      start = end + 1;
    }
    // Copied: a stream may reuse its chunk's memory for the next read.
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length > 0) yield concat(pending);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A text or hex line read from a CRLF file means what it says without CR. */
function withoutCr(line: Uint8Array): Uint8Array {
  return line.at(-1) === CR ? line.subarray(0, -1) : line;
}
