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
 * A JSON string literal of the first characters: quotes, control characters
 * and line breaks are escaped, so a message can never forge a log line.
 */
export function previewText(text: string): string {
  const cut = [...text.slice(0, PREVIEW_LIMIT * 2)].slice(0, PREVIEW_LIMIT)
    .join("");
  return JSON.stringify(cut) + (cut.length < text.length ? "…" : "");
}

/** Hex of the first bytes, e.g. `00 ff 10 …`. */
export function previewBytes(bytes: Uint8Array): string {
  const shown = hex(bytes.subarray(0, PREVIEW_LIMIT), " ");
  return (shown || "(empty)") + (bytes.byteLength > PREVIEW_LIMIT ? " …" : "");
}
