/**
 * Short, safe descriptions of messages for `--debug` logs. Only called when
 * debugging, so it may allocate freely.
 */
import { hex, type Payload, utf8Length } from "./payload.ts";

/** How many characters (text) or bytes (binary) a preview shows. */
export const PREVIEW_LIMIT = 32;

export interface PayloadDescription {
  type: "text" | "binary";
  size: number;
  preview: string;
}

export function describePayload(data: Payload): PayloadDescription {
  if (typeof data === "string") {
    return { type: "text", size: utf8Length(data), preview: previewText(data) };
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return {
    type: "binary",
    size: bytes.byteLength,
    preview: previewBytes(bytes),
  };
}

/**
 * Characters JSON.stringify leaves as they are but a terminal or log viewer
 * acts on: C1 controls, and Unicode format characters (category Cf: bidi
 * overrides and isolates U+202A–U+202E, U+2066–U+2069, zero-width ones
 * U+200B–U+200F, U+FEFF, …), which could reorder or hide text.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * A JSON string literal of the first characters: quotes, control and
 * format characters and line breaks are escaped, so a message can never
 * forge, reorder or hide a log line.
 */
export function previewText(text: string, limit = PREVIEW_LIMIT): string {
  const cut = cutText(text, limit);
  return JSON.stringify(cut).replace(INVISIBLE, escapeChar) +
    (cut.length < text.length ? "…" : "");
}

/** The first `limit` characters (code points) of `text`. */
function cutText(text: string, limit: number): string {
  return [...text.slice(0, limit * 2)].slice(0, limit).join("");
}

/**
 * Escapes what a terminal or log viewer would act on in a JSON text that
 * is otherwise ready (JSON.stringify leaves C1 controls and format
 * characters as they are): the same value, parsed back.
 */
export function escapeInvisible(json: string): string {
  return json.replace(INVISIBLE, escapeChar);
}

/**
 * A string a peer chose (a close reason, a request header), as a log value:
 * the text formats show it like a preview (quoted, escaped, the first
 * `limit` characters), JSON Lines carry it as a plain string field, cut
 * to the same length (`…` marks the cut). Both renderings are lazy.
 */
export class PeerText {
  constructor(readonly text: string, readonly limit = PREVIEW_LIMIT) {}

  /** For JSON.stringify: the plain text. */
  toJSON(): string {
    const cut = cutText(this.text, this.limit);
    return cut.length < this.text.length ? cut + "…" : cut;
  }

  /** For a text log line: quoted and escaped. */
  toString(): string {
    return previewText(this.text, this.limit);
  }

  // What Deno.inspect and Node's util.inspect (Bun) print, so that
  // LogTape's text formatter shows the preview.
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function escapeChar(char: string): string {
  return "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0");
}

/** Hex of the first bytes, e.g. `00 ff 10 …`. */
export function previewBytes(bytes: Uint8Array): string {
  const shown = hex(bytes.subarray(0, PREVIEW_LIMIT), " ");
  return (shown || "(empty)") + (bytes.byteLength > PREVIEW_LIMIT ? " …" : "");
}
