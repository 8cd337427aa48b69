/**
 * One engine connection driven over a fake socket (lib/runtime/wsecho/
 * socket.ts): what it does when our own code throws, which a real client
 * cannot make happen, so no test hook ships in the production path.
 */
import assert from "node:assert/strict";
import { setupLogging } from "../../lib/app/logging.ts";
import { EchoHub, selfDescribed } from "../../lib/core/hub.ts";
import { logger } from "../../lib/core/log.ts";
import { UNLIMITED_SLOT } from "../../lib/http/client_slots.ts";
import type { UpgradeGate } from "../../lib/http/upgrade_gate.ts";
import {
  Connection,
  type ServerContext,
} from "../../lib/runtime/wsecho/connection.ts";
import type { EngineSocket } from "../../lib/runtime/wsecho/socket.ts";
import type { WebSocketPhase } from "../../lib/runtime/wsecho/websocket_phase.ts";
import { clientFrame } from "../helpers/client_frames.ts";
import { handshakeHead } from "../helpers/raw_http.ts";

const encoder = new TextEncoder();

class NetworkError extends Error {}

/** Reads what the test gives it, then nothing until closed; keeps what is written. */
class FakeSocket implements EngineSocket {
  readonly written: Uint8Array[] = [];
  closed = false;
  #chunks: Uint8Array[];
  #wake: (() => void) | undefined;

  constructor(chunks: Uint8Array[]) {
    this.#chunks = chunks;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.closed) return null;
    const chunk = this.#chunks[0];
    const n = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new NetworkError("closed"));
    this.written.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }

  closeWrite(): void {}

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  readonly remoteHostname = "192.0.2.7";
  readonly remotePort = 4242;

  isNetworkError(error: unknown): boolean {
    return error instanceof NetworkError;
  }
}

/** A hub whose text path has a bug: a TypeError of "our own code". */
class BuggyHub extends EchoHub<WebSocketPhase> {
  readonly closes: [number, string][] = [];

  override echoedText(): void {
    throw new TypeError("a bug of ours");
  }

  override closed(socket: WebSocketPhase, code: number, reason: string) {
    this.closes.push([code, reason]);
    super.closed(socket, code, reason);
  }
}

/** Runs one connection over `socket` to its end. */
async function serve(socket: FakeSocket, hub: EchoHub<WebSocketPhase>) {
  const context: ServerContext = {
    hub,
    limits: {
      maxMessage: 1 << 20,
      maxBuffered: 1 << 20,
      idleTimeout: 0,
      permessageDeflate: false,
    },
    http: {
      // Every request is an accepted upgrade.
      handle: () => ({
        kind: "upgrade",
        protocol: undefined,
        client: undefined,
        slot: UNLIMITED_SLOT,
      }),
      gate: {} as UpgradeGate,
      tls: false,
      localHost: "127.0.0.1:1",
      permessageDeflate: false,
    },
    handshakeTimeout: 0,
    forget() {},
  };
  await new Connection(socket, context).run();
}

/** The close code of the last frame written, if it is a close frame. */
function lastCloseCode(written: Uint8Array[]): number | undefined {
  // Everything after the 101: the server's frames (unmasked, small here),
  // walked to the last one, since one write may carry several.
  const bytes = new Uint8Array(written.slice(1).flatMap((chunk) => [...chunk]));
  let at = 0;
  let last = -1;
  while (at + 2 <= bytes.length) {
    last = at;
    at += 2 + (bytes[at + 1] & 0x7f);
  }
  if (last < 0 || (bytes[last] & 0x0f) !== 8) return undefined;
  return (bytes[last + 2] << 8) | bytes[last + 3];
}

Deno.test("an error of our own code on a connection is logged and closes it with 1011", async () => {
  const lines: string[] = [];
  setupLogging({ debug: false, format: "json", write: (l) => lines.push(l) });
  try {
    const socket = new FakeSocket([
      encoder.encode(handshakeHead()),
      clientFrame({ opcode: 1, payload: "hello" }),
    ]);
    const hub = new BuggyHub(selfDescribed(), logger("echo"), false);
    await serve(socket, hub);

    const records = lines.map((line) => JSON.parse(line));
    const internal = records.filter((r) => r.logger === "wsecho.internal");
    assert.equal(internal.length, 1, lines.join(""));
    assert.equal(internal[0].level, "ERROR");
    assert.equal(
      internal[0].message,
      `#1 from 192.0.2.7:4242: internal error in engine connection (close code 1011): a bug of ours`,
    );
    assert.match(
      new TextDecoder().decode(socket.written[0]),
      /^HTTP\/1\.1 101 /,
    );
    assert.equal(lastCloseCode(socket.written), 1011);
    assert.deepEqual(hub.closes, [[1011, "internal error"]]);
    assert.ok(socket.closed);
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
});

Deno.test("a network error on a connection is the client's end: nothing logged", async () => {
  const lines: string[] = [];
  setupLogging({ debug: false, format: "json", write: (l) => lines.push(l) });
  try {
    const socket = new FakeSocket([encoder.encode(handshakeHead())]);
    socket.read = () => Promise.reject(new NetworkError("connection reset"));
    const hub = new BuggyHub(selfDescribed(), logger("echo"), false);
    await serve(socket, hub);
    assert.deepEqual(lines, []);
    assert.ok(socket.closed);
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
});
