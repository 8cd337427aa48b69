/**
 * Just enough of RFC 6455 for a load client, with no runtime APIs so that
 * Deno's tests can check it: the opening handshake, masked client frames,
 * the payloads the client sends, and a streaming reader of server frames
 * that never buffers a payload (a 1 MiB echo is checked as it streams in).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** How many different payloads are cycled, so lost or reordered echoes show. */
export const VARIANTS = 7;

/** A fixed mask: the client does not need to hide from proxies on loopback. */
const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash("sha1").update(key + ACCEPT_GUID).digest("base64");
}

/** A fresh random `Sec-WebSocket-Key`. */
export function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString(
    "base64",
  );
}

export function handshakeRequest(host: string, path: string, key: string) {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
    `Sec-WebSocket-Version: 13\r\n\r\n`;
}

/**
 * Checks a server's handshake response head (everything before the blank
 * line). Returns `undefined` when it is a valid 101 for `key`, else why not.
 */
export function checkHandshakeResponse(
  head: string,
  key: string,
): string | undefined {
  const [status, ...lines] = head.split("\r\n");
  if (!/^HTTP\/1\.1 101\b/.test(status)) return `status line '${status}'`;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(
        line.slice(0, colon).trim().toLowerCase(),
        line.slice(colon + 1).trim(),
      );
    }
  }
  if (headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return "no 'Upgrade: websocket'";
  }
  if (!/\bupgrade\b/i.test(headers.get("connection") ?? "")) {
    return "no 'Connection: upgrade'";
  }
  if (headers.get("sec-websocket-accept") !== acceptFor(key)) {
    return "wrong Sec-WebSocket-Accept";
  }
  if (headers.has("sec-websocket-extensions")) {
    return "an extension was negotiated";
  }
  return undefined;
}

/** Index just past the `\r\n\r\n` ending an HTTP head in `bytes`, or -1. */
export function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 &&
      bytes[i - 3] === 13
    ) {
      return i + 1;
    }
  }
  return -1;
}

/** A masked client frame (FIN set) carrying `payload`. */
export function maskedFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const size = payload.length;
  const lengthBytes = size < 126 ? 0 : size < 65536 ? 2 : 8;
  const header = 2 + lengthBytes + 4;
  const frame = new Uint8Array(header + size);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | size;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame[2] = size >> 8;
    frame[3] = size & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(size));
  }
  frame.set(MASK, header - 4);
  for (let i = 0; i < size; i++) frame[header + i] = payload[i] ^ MASK[i & 3];
  return frame;
}

/** A masked close frame with `code`. */
export function closeFrame(code: number): Uint8Array {
  return maskedFrame(OPCODE.close, new Uint8Array([code >> 8, code & 0xff]));
}

/**
 * Payload number `variant` of `size` bytes: printable ASCII for text (so it
 * is valid UTF-8), any byte for binary. Variants differ from the first byte.
 */
export function payload(size: number, variant: number, text: boolean) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = text
      ? 33 + (i * 7 + variant * 13) % 94
      : (i + variant * 37) & 0xff;
  }
  return bytes;
}

/**
 * `VARIANTS + extra` frames back to back (variant 0, 1, … 6, 0, 1, …), so
 * that any run of up to `extra` consecutive frames starting at any variant
 * is one contiguous slice: a batch of echoes costs no copy to send.
 */
export class FrameRing {
  readonly frameLength: number;
  readonly bytes: Uint8Array;
  readonly payloads: Uint8Array[];

  constructor(size: number, text: boolean, readonly extra: number) {
    const opcode = text ? OPCODE.text : OPCODE.binary;
    this.payloads = Array.from(
      { length: VARIANTS },
      (_, v) => payload(size, v, text),
    );
    const frames = this.payloads.map((p) => maskedFrame(opcode, p));
    this.frameLength = frames[0].length;
    this.bytes = new Uint8Array(this.frameLength * (VARIANTS + extra));
    for (let i = 0; i < VARIANTS + extra; i++) {
      this.bytes.set(frames[i % VARIANTS], i * this.frameLength);
    }
  }

  /** `count` (≤ extra) frames starting with variant `first`. */
  slice(first: number, count: number): Uint8Array {
    return this.bytes.subarray(
      first * this.frameLength,
      (first + count) * this.frameLength,
    );
  }
}

/** What a {@linkcode FrameReader} reports. */
export interface FrameSink {
  /**
   * Bytes `start..end` of `chunk` belong to the data message being received,
   * at `offset` within it. Only valid during the call.
   */
  payload(chunk: Uint8Array, start: number, end: number, offset: number): void;
  /** A whole data message arrived: its opcode (text/binary) and length. */
  message(opcode: number, length: number): void;
  /** A ping, pong or close frame with its (≤125 byte) payload. */
  control(opcode: number, payload: Uint8Array): void;
  /** The stream broke the protocol; the reader stops. */
  protocolError(reason: string): void;
}

/** Reads server frames (unmasked) from chunks as they arrive. */
export class FrameReader {
  private readonly header = new Uint8Array(14);
  private headerLength = 0;
  /** Payload bytes still to come in the current frame. */
  private left = 0;
  private inFrame = false;
  private frameOpcode = 0;
  private frameFin = false;
  /** Opcode and length so far of a (possibly fragmented) data message. */
  private messageOpcode = 0;
  private messageLength = 0;
  private readonly controlPayload = new Uint8Array(125);
  private controlLength = 0;
  private broken = false;

  constructor(private readonly sink: FrameSink) {}

  feed(chunk: Uint8Array): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end && !this.broken) {
      if (this.inFrame) {
        const n = Math.min(this.left, end - pos);
        if (this.frameOpcode >= 8) {
          this.controlPayload.set(
            chunk.subarray(pos, pos + n),
            this.controlLength,
          );
          this.controlLength += n;
        } else {
          this.sink.payload(chunk, pos, pos + n, this.messageLength);
          this.messageLength += n;
        }
        pos += n;
        this.left -= n;
        if (this.left === 0) this.endFrame();
        continue;
      }
      // Fast path: the whole header is in this chunk.
      if (this.headerLength === 0 && end - pos >= 2) {
        const need = headerSize(chunk[pos + 1]);
        if (end - pos >= need) {
          this.startFrame(chunk, pos);
          pos += need;
          continue;
        }
      }
      // Slow path: gather the header across chunks.
      this.header[this.headerLength++] = chunk[pos++];
      if (
        this.headerLength >= 2 &&
        this.headerLength === headerSize(this.header[1])
      ) {
        this.startFrame(this.header, 0);
        this.headerLength = 0;
      }
    }
  }

  private startFrame(bytes: Uint8Array, at: number): void {
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    if (b1 & 0x80) return this.fail("the server masked a frame");
    if (b0 & 0x70) return this.fail("reserved bits set");
    let length = b1 & 0x7f;
    if (length === 126) {
      length = (bytes[at + 2] << 8) | bytes[at + 3];
    } else if (length === 127) {
      const high = ((bytes[at + 2] << 24) | (bytes[at + 3] << 16) |
        (bytes[at + 4] << 8) | bytes[at + 5]) >>> 0;
      const low = ((bytes[at + 6] << 24) | (bytes[at + 7] << 16) |
        (bytes[at + 8] << 8) | bytes[at + 9]) >>> 0;
      length = high * 2 ** 32 + low;
    }
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode >= 8) {
      if (!fin || length > 125) return this.fail("bad control frame");
      this.controlLength = 0;
    } else if (opcode === OPCODE.continuation) {
      if (this.messageOpcode === 0) return this.fail("unexpected continuation");
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.messageOpcode !== 0) return this.fail("expected a continuation");
      this.messageOpcode = opcode;
      this.messageLength = 0;
    } else {
      return this.fail(`unknown opcode ${opcode}`);
    }
    this.frameOpcode = opcode;
    this.frameFin = fin;
    this.left = length;
    this.inFrame = true;
    if (length === 0) this.endFrame();
  }

  private endFrame(): void {
    this.inFrame = false;
    if (this.frameOpcode >= 8) {
      this.sink.control(
        this.frameOpcode,
        this.controlPayload.subarray(0, this.controlLength),
      );
    } else if (this.frameFin) {
      const opcode = this.messageOpcode;
      this.messageOpcode = 0;
      this.sink.message(opcode, this.messageLength);
    }
  }

  private fail(reason: string): void {
    this.broken = true;
    this.sink.protocolError(reason);
  }
}

/** Header size (2, 4 or 10 bytes, +4 if masked) given its second byte. */
function headerSize(b1: number): number {
  const length = b1 & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) +
    (b1 & 0x80 ? 4 : 0);
}

/** Whether `a[aStart..aEnd]` equals `b` from `bStart`. */
export function sameBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
): boolean {
  const n = aEnd - aStart;
  if (bStart + n > b.length) return false;
  if (n < 128) {
    for (let i = 0; i < n; i++) {
      if (a[aStart + i] !== b[bStart + i]) return false;
    }
    return true;
  }
  // Long runs: the runtime's native compare, no copy (views only).
  return Buffer.compare(
    a.subarray(aStart, aEnd),
    b.subarray(bStart, bStart + n),
  ) === 0;
}
