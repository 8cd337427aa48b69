/**
 * A raw RFC 6455 client over plain TCP, for the cases a real WebSocket
 * client refuses to produce: unmasked frames, reserved bits and opcodes,
 * broken fragmentation, invalid UTF-8, bad close codes, trickled bytes, or a
 * peer that never reads or never answers a ping.
 *
 * It writes exactly the bytes a test builds (see {@linkcode frame}) and
 * parses whatever the server sends back into {@linkcode Frame}s, so tests
 * can assert on opcodes, payloads, close codes and on the TCP connection
 * ending.
 */

import { encodeClientFrame } from "../../lib/protocol/client_frame.ts";

export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export interface FrameSpec {
  opcode: number;
  /** Text is sent as its UTF-8 bytes. */
  payload?: Uint8Array | string | number[];
  /** FIN bit; true unless a test fragments. */
  fin?: boolean;
  /** RSV1-3 as a 3-bit number (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
  rsv?: number;
  /** Clients must mask (RFC 6455 §5.3); false builds an unmasked frame. */
  masked?: boolean;
  /** The masking key; a fixed non-zero one keeps failures reproducible. */
  maskKey?: Uint8Array;
}

const encoder = new TextEncoder();

/** Encodes one frame as a client would send it (masked by default). */
export function frame(spec: FrameSpec): Uint8Array {
  return encodeClientFrame({
    opcode: spec.opcode & 0x0f,
    payload: typeof spec.payload === "string"
      ? encoder.encode(spec.payload)
      : new Uint8Array(spec.payload ?? []),
    fin: spec.fin,
    rsv: spec.rsv,
    masked: spec.masked,
    key: spec.maskKey,
  });
}

/** A close frame's payload: the 2-byte code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = encoder.encode(reason);
  const out = new Uint8Array(2 + text.length);
  new DataView(out.buffer).setUint16(0, code);
  out.set(text, 2);
  return out;
}

/** A frame as received from the server. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** The status code of a close frame; 1005 (none given) for an empty one. */
export function closeCodeOf(frame: Frame): number {
  if (frame.payload.length < 2) return 1005;
  return new DataView(
    frame.payload.buffer,
    frame.payload.byteOffset,
  ).getUint16(0);
}

/** How a connection ended after an error, as seen from the client. */
export interface Ending {
  /** The code of the server's close frame; undefined when it sent none. */
  closeCode?: number;
  /** Whether the server closed TCP within the wait. */
  tcpClosed: boolean;
  /** Data frames the server sent before ending (e.g. an echo it should not have sent). */
  dataFrames: Frame[];
}

export interface HandshakeResponse {
  status: number;
  headers: Headers;
}

export interface RawConnectOptions {
  path?: string;
  /** Extra or replacing request headers. */
  headers?: Record<string, string>;
}

/**
 * One raw TCP connection. A background reader keeps what arrives in a
 * buffer so that tests can ask for the next frame, or stop reading entirely
 * ({@linkcode pauseReading}) to play a slow consumer.
 */
export class RawClient implements Disposable {
  private buffer = new Uint8Array(0);
  private eof = false;
  private wake: (() => void) | undefined;
  private reading = true;
  private resume: (() => void) | undefined;
  readonly pump: Promise<void>;

  private constructor(readonly conn: Deno.TcpConn) {
    this.pump = this.readLoop();
  }

  /** Opens TCP to `port` on loopback without any handshake. */
  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Opens TCP and completes the WebSocket handshake (expects 101). */
  static async connect(
    port: number,
    options: RawConnectOptions = {},
  ): Promise<RawClient> {
    const client = await RawClient.open(port);
    const response = await client.handshake(options);
    if (response.status !== 101) {
      client.close();
      throw new Error(`handshake answered ${response.status}, not 101`);
    }
    return client;
  }

  /** Sends an upgrade request and reads the response head. */
  async handshake(options: RawConnectOptions = {}): Promise<HandshakeResponse> {
    await this.write(encoder.encode(upgradeRequest(options)));
    return await this.readResponseHead();
  }

  /** Reads an HTTP response head (status line and headers). */
  async readResponseHead(ms = 5000): Promise<HandshakeResponse> {
    const deadline = Date.now() + ms;
    while (true) {
      const end = indexOfCrlfCrlf(this.buffer);
      if (end >= 0) {
        const head = new TextDecoder().decode(this.buffer.subarray(0, end));
        this.buffer = this.buffer.slice(end + 4);
        return parseHead(head);
      }
      if (this.eof) throw new Error("connection closed before a response");
      await this.waitForData(deadline);
    }
  }

  /** Reads exactly `n` bytes (e.g. a response body); throws after `ms`. */
  async take(n: number, ms = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    while (this.buffer.length < n) {
      if (this.eof) throw new Error("connection closed before the bytes");
      await this.waitForData(deadline);
    }
    const bytes = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return bytes;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** Writes `bytes` one at a time, `delayMs` apart. */
  async trickle(bytes: Uint8Array, delayMs = 2): Promise<void> {
    for (let i = 0; i < bytes.length; i++) {
      await this.write(bytes.subarray(i, i + 1));
      await sleep(delayMs);
    }
  }

  send(spec: FrameSpec): Promise<void> {
    return this.write(frame(spec));
  }

  /** The next complete frame; undefined if TCP ends first. Throws after `ms`. */
  async next(ms = 5000): Promise<Frame | undefined> {
    const deadline = Date.now() + ms;
    while (true) {
      const parsed = parseFrame(this.buffer);
      if (parsed) {
        this.buffer = this.buffer.slice(parsed.size);
        return parsed.frame;
      }
      if (this.eof) return undefined;
      await this.waitForData(deadline);
    }
  }

  /**
   * Reads until the server ends the connection after an error: collects
   * data frames, notes the close frame's code, then waits for TCP to close
   * (up to `ms` in all). Does not answer the close frame.
   */
  async ending(ms = 5000): Promise<Ending> {
    const deadline = Date.now() + ms;
    const ending: Ending = { tcpClosed: false, dataFrames: [] };
    while (true) {
      let received: Frame | undefined;
      try {
        received = await this.next(Math.max(0, deadline - Date.now()));
      } catch {
        return ending; // Timed out: TCP still open.
      }
      if (received === undefined) {
        ending.tcpClosed = true;
        return ending;
      }
      if (received.opcode === Opcode.close) {
        ending.closeCode ??= closeCodeOf(received);
      } else if (received.opcode < 0x8) {
        ending.dataFrames.push(received);
      }
    }
  }

  /** Whether TCP has been closed by the server within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.eof) {
      try {
        await this.waitForData(deadline);
      } catch {
        return false;
      }
      this.buffer = new Uint8Array(0); // Discard: only the end matters.
    }
    return true;
  }

  /** Stops reading from the socket, so the server's writes back up. */
  pauseReading(): void {
    this.reading = false;
  }

  resumeReading(): void {
    this.reading = true;
    this.resume?.();
  }

  get ended(): boolean {
    return this.eof;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private async readLoop(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        if (!this.reading) {
          await new Promise<void>((resolve) => this.resume = resolve);
          continue;
        }
        const n = await this.conn.read(chunk);
        if (n === null) break;
        const grown = new Uint8Array(this.buffer.length + n);
        grown.set(this.buffer);
        grown.set(chunk.subarray(0, n), this.buffer.length);
        this.buffer = grown;
        this.wake?.();
      }
    } catch {
      // Reset by the peer, or closed by us: either way the stream is over.
    }
    this.eof = true;
    this.wake?.();
  }

  private async waitForData(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("timed out waiting for the server");
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.wake = resolve;
        timer = setTimeout(
          () => reject(new Error("timed out waiting for the server")),
          left,
        );
      });
    } finally {
      clearTimeout(timer);
      this.wake = undefined;
    }
  }
}

/** A valid upgrade request for `options.path`, with `options.headers` applied. */
export function upgradeRequest(options: RawConnectOptions = {}): string {
  const headers: Record<string, string> = {
    "Host": "127.0.0.1",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": btoa("0123456789abcdef"),
    "Sec-WebSocket-Version": "13",
    ...options.headers,
  };
  const lines = Object.entries(headers).map(([name, value]) =>
    `${name}: ${value}\r\n`
  );
  return `GET ${options.path ?? "/"} HTTP/1.1\r\n${lines.join("")}\r\n`;
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

function parseHead(head: string): HandshakeResponse {
  const [statusLine, ...lines] = head.split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  return { status, headers };
}

/** Parses one frame from the start of `bytes`; undefined if incomplete. */
export function parseFrame(
  bytes: Uint8Array,
): { frame: Frame; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const masked = (bytes[1] & 0x80) !== 0;
  let length = bytes[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = view.getUint16(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(view.getBigUint64(2));
    offset = 10;
  }
  const key = masked ? bytes.slice(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (bytes.length < offset + length) return undefined;
  const payload = bytes.slice(offset, offset + length);
  if (key) { for (let i = 0; i < length; i++) payload[i] ^= key[i & 3]; }
  return {
    frame: {
      fin: (bytes[0] & 0x80) !== 0,
      rsv: (bytes[0] >> 4) & 0x07,
      opcode: bytes[0] & 0x0f,
      masked,
      payload,
    },
    size: offset + length,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
