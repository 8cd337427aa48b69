/**
 * HTTP/1.x over a raw TCP socket, so that tests control every header byte
 * (method, duplicates, missing or odd values, HTTP/1.0 without `Host`)
 * that `fetch` and `WebSocket` would fix up or refuse to send.
 */

/** A valid `Sec-WebSocket-Key`: 16 bytes, base64. */
export const GOOD_KEY = btoa("0123456789abcdef");

export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated ones joined with ", ". */
  headers: Headers;
  body: string;
  /** The connection, still open after a 101; closed otherwise. */
  conn: Deno.Conn;
}

/**
 * The header lines of a WebSocket handshake for `path`: the five RFC 6455
 * fields, then `extra`. A field set to `null` in `override` is left out; a
 * string replaces the default value.
 */
export function handshakeHead(
  override: Record<string, string | null> = {},
  extra: string[] = [],
  requestLine = "GET / HTTP/1.1",
): string {
  const fields: Record<string, string | null> = {
    Host: "127.0.0.1",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": GOOD_KEY,
    "Sec-WebSocket-Version": "13",
    ...override,
  };
  const lines = Object.entries(fields)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}: ${value}`);
  return [requestLine, ...lines, ...extra].join("\r\n") + "\r\n\r\n";
}

/**
 * Sends `head` (a full request head, blank line included) and reads the
 * response head, then the body for anything but 101. Gives up after `ms`.
 */
export async function rawRequest(
  port: number,
  head: string,
  ms = 5000,
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), ms);
  try {
    await conn.write(new TextEncoder().encode(head));
    const reader = new ByteReader(conn);
    const headText = await reader.readUntil("\r\n\r\n");
    const [statusLine, ...headerLines] = headText.split("\r\n");
    // A server may answer an HTTP/1.0 request as HTTP/1.0.
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!status) throw new Error(`not an HTTP response: ${statusLine}`);
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    let body = "";
    if (status !== 101) {
      const length = headers.get("content-length");
      // Without a length the body ends with the connection.
      body = length === null
        ? await reader.readToEnd()
        : await reader.readBytes(Number(length));
      conn.close();
    }
    return { status, headers, body, conn };
  } catch (error) {
    try {
      conn.close();
    } catch { /* closed by the timer */ }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Buffers reads from a connection so a response can be taken apart. */
class ByteReader {
  private buffered = new Uint8Array(0);

  constructor(private readonly conn: Deno.Conn) {}

  private async fill(): Promise<void> {
    if (!(await this.read())) {
      throw new Error("connection closed before the response");
    }
  }

  /** Appends what arrives next; false once the server has closed. */
  private async read(): Promise<boolean> {
    const chunk = new Uint8Array(4096);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.buffered.length + n);
    joined.set(this.buffered);
    joined.set(chunk.subarray(0, n), this.buffered.length);
    this.buffered = joined;
    return true;
  }

  /** Text up to `marker` (which is consumed but not returned). */
  async readUntil(marker: string): Promise<string> {
    while (true) {
      const text = new TextDecoder().decode(this.buffered);
      const at = text.indexOf(marker);
      if (at >= 0) {
        const taken = new TextEncoder().encode(
          text.slice(0, at + marker.length),
        );
        this.buffered = this.buffered.subarray(taken.length);
        return text.slice(0, at);
      }
      await this.fill();
    }
  }

  async readToEnd(): Promise<string> {
    while (await this.read()) { /* more */ }
    return new TextDecoder().decode(this.buffered);
  }

  async readBytes(length: number): Promise<string> {
    while (this.buffered.length < length) await this.fill();
    const text = new TextDecoder().decode(this.buffered.subarray(0, length));
    this.buffered = this.buffered.subarray(length);
    return text;
  }
}
