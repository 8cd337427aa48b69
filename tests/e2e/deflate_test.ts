/**
 * --permessage-deflate (RFC 7692) over real sockets. Bun negotiates it and
 * echoes compressed traffic; Deno cannot, so it warns once at start-up and
 * serves uncompressed. The compressing client is `npm:ws`; a raw client
 * checks the frames themselves (RSV1, the compressed payload).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import WebSocket from "ws";
import { type ServerProcess, startServer } from "../helpers/server.ts";
import { builtinEngine, TARGETS } from "../helpers/targets.ts";
import { Opcode, RawClient } from "../helpers/raw_ws.ts";
import { pattern } from "../helpers/ws.ts";

const OFFER = "permessage-deflate; client_max_window_bits";
const WARNING =
  "--permessage-deflate: Deno's built-in engine cannot negotiate permessage-deflate (--engine wsecho can); serving uncompressed";

/** An `npm:ws` client that offers compression and compresses everything. */
class DeflateClient {
  private queue: Array<{ data: Buffer; isBinary: boolean }> = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      this.queue.push({ data, isBinary });
      this.waiter?.();
    });
  }

  static open(url: string): Promise<DeflateClient> {
    const socket = new WebSocket(url, {
      perMessageDeflate: { threshold: 0 },
    });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new DeflateClient(socket)));
      socket.once("error", reject);
    });
  }

  /** The extensions the server agreed to, as `ws` parsed them. */
  get extensions(): string {
    return this.socket.extensions;
  }

  async echo(data: string | Uint8Array): Promise<string | Uint8Array> {
    this.socket.send(data, { binary: typeof data !== "string" });
    while (this.queue.length === 0) {
      await new Promise<void>((resolve) => this.waiter = resolve);
    }
    const { data: reply, isBinary } = this.queue.shift()!;
    return isBinary ? new Uint8Array(reply) : reply.toString("utf8");
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close(1000);
    });
  }
}

/** Inflates one permessage-deflate payload (RFC 7692 §7.2.2). */
async function inflate(payload: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array([...payload, 0x00, 0x00, 0xff, 0xff]);
  const stream = new Blob([input]).stream().pipeThrough(
    new DecompressionStream("deflate-raw"),
  );
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  // The appended empty block has no BFINAL bit, so the stream never ends
  // cleanly: read what it yields until it stops.
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch { /* Truncated stream: everything was already yielded. */ }
  return new Uint8Array(chunks.flatMap((chunk) => [...chunk]));
}

async function echoesExactly(server: ServerProcess): Promise<string> {
  const client = await DeflateClient.open(server.url);
  try {
    const texts = ["hello", "héllo wörld 🦕", "echo ".repeat(50_000)];
    for (const text of texts) assert.equal(await client.echo(text), text);
    const random = crypto.getRandomValues(new Uint8Array(4096));
    for (const bytes of [new Uint8Array(0), pattern(65_536), random]) {
      assert.deepEqual(await client.echo(bytes), bytes);
    }
    return client.extensions;
  } finally {
    await client.close();
  }
}

function deflateWarnings(server: ServerProcess) {
  return server.records().filter((r) => r.message === WARNING);
}

for (const target of TARGETS) {
  // Deno's built-in engine cannot compress (docs/runtimes.md); Bun's can,
  // and so is our own engine meant to.
  if (builtinEngine(target) !== "deno") {
    Deno.test(`[${target.name}] --permessage-deflate: negotiated, and compressed traffic echoes exactly`, async () => {
      await using server = await startServer(target, {
        args: ["--permessage-deflate"],
      });
      assert.equal(await echoesExactly(server), "permessage-deflate");
      assert.deepEqual(deflateWarnings(server), []);
    });

    Deno.test(`[${target.name}] --permessage-deflate: replies are compressed frames (RSV1) that inflate to the message`, async () => {
      await using server = await startServer(target, {
        args: ["--permessage-deflate"],
      });
      using client = await RawClient.open(server.port);
      const response = await client.handshake({
        headers: { "Sec-WebSocket-Extensions": OFFER },
      });
      assert.equal(response.status, 101);
      assert.match(
        response.headers.get("sec-websocket-extensions") ?? "",
        /^permessage-deflate\b/,
      );
      const text = "compress me ".repeat(100);
      // Uncompressed frames stay legal after negotiation (RSV1 clear).
      await client.send({ opcode: Opcode.text, payload: text });
      const reply = await client.next();
      assert.equal(reply?.opcode, Opcode.text);
      assert.equal(reply?.rsv, 0b100, "RSV1 marks a compressed message");
      assert.ok(reply!.payload.length < text.length / 10);
      assert.equal(
        new TextDecoder().decode(await inflate(reply!.payload)),
        text,
      );
    });
  } else {
    Deno.test(`[${target.name}] --permessage-deflate: one warning at start-up, no extension negotiated, echo uncompressed`, async () => {
      await using server = await startServer(target, {
        args: ["--permessage-deflate"],
      });
      const warnings = deflateWarnings(server);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0].level, "WARNING");

      using client = await RawClient.open(server.port);
      const response = await client.handshake({
        headers: { "Sec-WebSocket-Extensions": OFFER },
      });
      assert.equal(response.status, 101);
      assert.equal(response.headers.get("sec-websocket-extensions"), null);
      await client.send({ opcode: Opcode.text, payload: "plain" });
      const reply = await client.next();
      assert.equal(reply?.rsv, 0);
      assert.equal(new TextDecoder().decode(reply?.payload), "plain");

      // A compressing client falls back to plain frames and is echoed.
      assert.equal(await echoesExactly(server), "");
      assert.equal(deflateWarnings(server).length, 1, "warned only once");
    });
  }

  Deno.test(`[${target.name}] without --permessage-deflate: compression is not negotiated and nothing is warned`, async () => {
    await using server = await startServer(target);
    using client = await RawClient.open(server.port);
    const response = await client.handshake({
      headers: { "Sec-WebSocket-Extensions": OFFER },
    });
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("sec-websocket-extensions"), null);
    assert.equal(await echoesExactly(server), "");
    assert.deepEqual(deflateWarnings(server), []);
  });
}
