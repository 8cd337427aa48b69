/**
 * The HTTP phase of one engine connection: request heads are read and
 * answered (http_side.ts) one after the other on a keep-alive connection,
 * until one is upgraded (the WebSocket phase takes over with the bytes
 * after its head) or the connection is to end.
 *
 * The handshake timeout runs only while a head is awaited (`AwaitingHead`):
 * once a head is in, the connection is `Answering` until its answer is
 * written, so the 408 of the timeout can never be written while a response
 * is (and both go through the one `Outbound` anyway).
 */
import { RequestHeadParser } from "../../protocol/http1/request_parser.ts";
import {
  errorBytes,
  REQUEST_TIMEOUT_BYTES,
} from "../../protocol/http1/response_writer.ts";
import type { HandshakeInfo } from "../../core/hub.ts";
import type { ClientSlot } from "../../http/client_slots.ts";
import type { DeflateParams } from "../../protocol/deflate_negotiation.ts";
import { answer, type HttpSideOptions } from "./http_side.ts";
import type { PhaseHost } from "./phase_host.ts";
import type { ReadBuffer } from "./read_buffer.ts";
import { State } from "./state.ts";

/** An accepted upgrade, as the WebSocket phase starts from it. */
export interface Upgraded {
  /** The bytes after the head: the first frames. */
  readonly rest: Uint8Array;
  /** The 101, written by the WebSocket phase once it is set up. */
  readonly bytes: Uint8Array;
  /** permessage-deflate as agreed, or undefined. */
  readonly deflate: DeflateParams | undefined;
  /** The client a trusted proxy named (`--trust-proxy`), or undefined. */
  readonly client: string | undefined;
  /** What the request said, with `--debug` only (the connect line). */
  readonly handshake: HandshakeInfo | undefined;
  /** The client slot (`--max-clients`): the WebSocket phase owns it. */
  readonly slot: ClientSlot;
}

/**
 * A function, not an inline comparison: the state changes under awaits and
 * calls, which TypeScript's narrowing of `connection.state` does not see.
 */
function awaitingHead(connection: PhaseHost): boolean {
  return connection.state === State.AwaitingHead;
}

/** Bytes of a client we are done with, read only to see it end. */
const sink = new Uint8Array(1024);

export class HttpPhase {
  readonly #parser = new RequestHeadParser();

  constructor(
    private readonly connection: PhaseHost,
    private readonly options: HttpSideOptions,
  ) {}

  /** The head did not arrive in time: 408, then our side ends. */
  static timedOut(connection: PhaseHost): void {
    // The read loop goes on reading (and discarding) until the client
    // ends or the closing timeout drops the connection.
    connection.enter(State.Lingering);
    connection.sayLast(REQUEST_TIMEOUT_BYTES).catch(() => connection.end());
  }

  /**
   * Requests until one is upgraded (what the WebSocket phase needs) or
   * the connection is to end (undefined).
   */
  async serve(buffer: ReadBuffer): Promise<Upgraded | undefined> {
    const connection = this.connection;
    const { socket } = connection;
    for (;;) {
      const n = await socket.read(buffer.next());
      if (n === null) return undefined;
      // Answered with a 408 meanwhile: discard until the client ends.
      if (!awaitingHead(connection)) continue;
      let chunk = buffer.got(n);
      while (chunk.length > 0) {
        const parsed = this.#parser.push(chunk);
        if (parsed.kind === "partial") break;
        connection.enter(State.Answering);
        if (parsed.kind === "error") {
          const { status, message } = parsed.error;
          return await this.#last(errorBytes(status, message));
        }
        const rest = chunk.subarray(parsed.consumed);
        const reply = await answer(
          parsed.head,
          this.options,
          () => connection.peerAddress(),
        );
        if (connection.state !== State.Answering) {
          // Ended meanwhile: an upgrade's slot is given back unused (the
          // slot is the reply's until the WebSocket phase takes it).
          if (reply.kind === "upgrade") reply.slot.release();
          return undefined;
        }
        if (reply.kind === "upgrade") {
          // The rest of the read is the first frames: kept past the 101's
          // write (the buffer is not read into meanwhile).
          return {
            rest,
            bytes: reply.bytes,
            deflate: reply.deflate,
            client: reply.client,
            handshake: reply.handshake,
            slot: reply.slot,
          };
        }
        if (reply.close) return await this.#last(reply.bytes);
        await connection.out.send(reply.bytes);
        if (connection.state !== State.Answering) return undefined; // ended
        connection.enter(State.AwaitingHead);
        chunk = rest;
      }
    }
  }

  /** Writes the last response, then waits (bounded) for the client's end. */
  async #last(bytes: Uint8Array): Promise<undefined> {
    const { socket } = this.connection;
    await this.connection.sayLast(bytes);
    while (await socket.read(sink) !== null) { /* discard */ }
    return undefined;
  }
}
