/**
 * A WebSocket test client (Deno's own WebSocket) that queues what it
 * receives, so tests can await the next message or the close.
 */

export type Received = string | Uint8Array;

export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

export class TestClient implements AsyncDisposable {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  private queue: Received[] = [];
  private waiters: Array<(message: Received) => void> = [];

  /** `options` may carry Deno's `client`, e.g. to trust a test CA for wss. */
  constructor(url: string, options?: string | string[] | WebSocketOptions) {
    this.socket = new WebSocket(url, options);
    this.socket.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener(
        "error",
        () => reject(new Error(`cannot connect to ${url}`)),
        { once: true },
      );
    });
    this.opened.catch(() => {}); // Observed through `connect`.
    this.closed = new Promise((resolve) => {
      this.socket.addEventListener("close", (event) =>
        resolve({
          code: event.code,
          reason: event.reason,
          wasClean: event.wasClean,
        }));
    });
    this.socket.addEventListener("message", (event) => {
      const data: Received = typeof event.data === "string"
        ? event.data
        : new Uint8Array(event.data as ArrayBuffer);
      const waiter = this.waiters.shift();
      if (waiter) waiter(data);
      else this.queue.push(data);
    });
  }

  /** The next message, in arrival order; rejects after `ms`. */
  next(ms = 10_000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no message within ${ms} ms`));
      }, ms);
      const waiter = (message: Received) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push(waiter);
    });
  }

  send(data: string | Uint8Array): void {
    this.socket.send(data);
  }

  /** Sends and waits for the echo. */
  async echo(data: string | Uint8Array): Promise<Received> {
    this.send(data);
    return await this.next();
  }

  async close(code = 1000, reason = ""): Promise<CloseInfo> {
    if (this.socket.readyState < WebSocket.CLOSING) {
      this.socket.close(code, reason);
    }
    return await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState === WebSocket.CONNECTING) {
      await this.opened.catch(() => {});
    }
    await this.close();
  }
}

/** Opens a client and waits until the handshake is done. */
export async function connect(
  url: string,
  options?: string | string[] | WebSocketOptions,
): Promise<TestClient> {
  const client = new TestClient(url, options);
  await client.opened;
  return client;
}

/** Deterministic bytes 0..255 repeating, offset by `seed`. */
export function pattern(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i + seed) & 0xff;
  return bytes;
}

/** Polls `GET /healthz` until `test` holds, up to `ms`. */
export async function waitForHealth(
  http: string,
  test: (health: Record<string, unknown>) => boolean,
  ms = 5000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  while (true) {
    const health = await (await fetch(`${http}/healthz`)).json();
    if (test(health)) return health;
    if (Date.now() > deadline) {
      throw new Error(`health never matched: ${JSON.stringify(health)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
