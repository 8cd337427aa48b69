/**
 * The receiver's seeded fuzz test (tests/unit/protocol_fuzz_test.ts), end
 * to end: random and mutated client frame streams from its generator, each on its own
 * TCP connection to a real server, split into writes at random points. For
 * every stream the server's bytes back must be exactly what the reference
 * parser (tests/helpers/reference_receiver.ts) says: the echoes and pongs
 * in order, then, for an invalid stream, one close frame with the code it
 * asks for (1002, 1007, 1009), then the end of TCP. Meanwhile a control
 * client keeps echoing, and afterwards the server still serves a new
 * client and /healthz and has logged no error or stack trace.
 *
 * Our engine (deno-wsecho) must be strict. A runtime's built-in engine is
 * held to the same oracle run with its known leniencies (each measured,
 * named KNOWN DENO/BUN DEFECT below): exactly what it is known to do
 * differently is accepted, nothing else; if the runtime is fixed, the test
 * fails. The run accounts for itself: every allowance (each leniency, and
 * the glue's 1009 once a message is whole on Deno) must decide at least
 * one stream, or the test fails naming it (an allowance nothing reaches
 * would let a fixed runtime, or a broken glue, pass unnoticed).
 *
 * A second run holds the engine to the reference with --permessage-deflate:
 * compressed messages are real raw DEFLATE data (node:zlib, with and
 * without context takeover), the reference inflates them, and the
 * server's compressed echoes are inflated before they are compared.
 *
 * Another seed: WSECHO_FUZZ_SEED=123 deno test -A tests/e2e/wire_fuzz_test.ts
 * (WSECHO_FUZZ_STREAMS sets the count per target; a failure prints the seed,
 * the stream and its frames).
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import {
  type ClientFrame,
  clientFrame,
  concat,
  type ReceiverEvent,
} from "../helpers/client_frames.ts";
import { ContextDeflater, deflateAlone } from "../helpers/client_deflate.ts";
import {
  generate,
  isUtf8,
  mutate,
  prng,
  split,
} from "../helpers/fuzz_streams.ts";
import {
  type Leniency,
  OVER_LIMIT_ONCE_WHOLE,
  type ReferenceDeflate,
  referenceEvents,
  ReferenceInflater,
} from "../helpers/reference_receiver.ts";
import {
  closeCodeOf,
  closePayload,
  type Frame,
  frame,
  Opcode,
  RawClient,
  sleep,
} from "../helpers/raw_ws.ts";
import { type ServerProcess, startServer } from "../helpers/server.ts";
import {
  builtinEngine,
  DENO_WSECHO,
  type Target,
  TARGETS,
} from "../helpers/targets.ts";
import { connect, waitForHealth } from "../helpers/ws.ts";

const SEED = Number(Deno.env.get("WSECHO_FUZZ_SEED") ?? 20261202);
const STREAMS = Number(Deno.env.get("WSECHO_FUZZ_STREAMS") ?? 200);
/** Connections in flight at once. */
const PARALLEL = 4;
/**
 * Small, so that messages just under, at and just over it are cheap (the
 * generator draws them around this value: fuzz_streams.ts WireShapes);
 * its true 64-bit lengths (65536 bytes and more) and "rude" frames that
 * announce up to 2^20 bytes or more are over it, and must get 1009 at the
 * header from a strict server.
 */
const MAX_MESSAGE = 2000;
/** How long a server that must keep waiting (an unfinished frame) is watched. */
const STILL_OPEN_MS = 500;
/** How long a server has for its whole answer to one stream. */
const ANSWER_MS = 8000;

/**
 * Deno's built-in engine (fastwebsockets under Deno.upgradeWebSocket), as
 * measured with this test on Deno 2.9.6. KNOWN DENO DEFECTS:
 * - it drops TCP without a close frame on every violation (see
 *   docs/runtimes.md), except an invalid close code, answered with 1002,
 *   and a message over --max-message, which wsecho's glue closes with 1009
 *   once the message is whole; the engine then reads on and ends TCP,
 *   without a word, at the next frame or message the client completes (a
 *   pong, a whole message, a close alike; a first fragment, nothing) (see
 *   {@linkcode expectedReply});
 * - it echoes unmasked client frames (RFC 6455 §5.1: MUST close);
 * - it judges a data frame only once it is whole: a text frame whose
 *   first bytes are already invalid UTF-8, or a continuation without a
 *   start, is waited for, not failed at once;
 * - a new text/binary frame without FIN inside a fragmented message
 *   replaces the unfinished message (one with FIN fails);
 * - it reads frames up to its 64 MiB cap whole, so no 1009 comes while an
 *   over-limit frame is still arriving (the issue's "sends no 1009");
 * - a fragmented text message that ends inside a UTF-8 sequence (e.g.
 *   "…56 F1 9D 88" in its last fragment) is echoed without those bytes,
 *   not failed with 1007 (fastwebsockets' fragment collector keeps the
 *   unfinished sequence aside and forgets it at FIN);
 * - a close reason's UTF-8 is checked before the code.
 */
const DENO_BUILTIN: Leniency = {
  acceptUnmasked: true,
  restartFragmented: true,
  dataFramesJudgedWhole: true,
  limitOnceWhole: { engineCap: 64 * 2 ** 20 },
  dropsUnfinishedUtf8: true,
  closeReasonBeforeCode: true,
};

/**
 * Bun's built-in engine (uWebSockets under Bun.serve), as measured with
 * this test on Bun 1.4.5. It sends the close frame RFC 6455 asks for on
 * every violation, but KNOWN BUN DEFECTS:
 * - it checks a text message's UTF-8 only once the whole message is in:
 *   a text frame announcing 42 bytes whose first 12 are already invalid
 *   (C3 F5 …) is waited for (no 1007 within 500 ms; ours fails at once),
 *   and a text fragment (FIN=0) with invalid UTF-8 followed by a frame
 *   with reserved opcode 3 gets 1002, not 1007 (Autobahn 6.4.* would say
 *   NON-STRICT);
 * - a 64-bit length with its most significant bit set (RFC 6455 §5.2: MUST
 *   be 0) gets 1009 "message too big", not 1002: it only compares the
 *   length with --max-message (after the continuation rules: inside a
 *   fragmented message such a binary frame gets 1002 for that);
 * - a continuation frame is held to --max-message by the bytes that have
 *   arrived, not by its header: with --max-message 2000, after a 1502-byte
 *   fragment, a continuation announcing 501 bytes gets 1009 once 499 of
 *   them are in, and none while only 498 are (ours: at its header). A
 *   first frame announcing too much gets 1009 at its header on both.
 */
const BUN_BUILTIN: Leniency = {
  utf8PerMessage: true,
  topBitIsTooBig: true,
  continuationLimitAsArrived: true,
};

function leniencyOf(target: Target): Leniency {
  const engine = builtinEngine(target);
  if (engine === "deno") return DENO_BUILTIN;
  if (engine === "bun") return BUN_BUILTIN;
  return {};
}

function knownDefects(target: Target): string {
  const engine = builtinEngine(target);
  if (engine === "deno") {
    return " (KNOWN DENO DEFECTS: drops TCP without a close frame, echoes unmasked frames, judges a data frame only once whole, no early 1009)";
  }
  if (engine === "bun") {
    return " (KNOWN BUN DEFECTS: checks UTF-8 per message, 1009 for a 64-bit length with the top bit set, a continuation's size checked as it arrives)";
  }
  return "";
}

// ---- the streams ------------------------------------------------------------

/** permessage-deflate as one stream negotiates it (the second run). */
interface StreamDeflate {
  /** What the client offers in Sec-WebSocket-Extensions. */
  offer: string;
  /** What the server must answer, exactly. */
  response: string;
  /** How the server inflates what the client sends. */
  client: ReferenceDeflate;
  /** Whether the server's echoes may refer back to its earlier ones. */
  serverContextTakeover: boolean;
}

interface Stream {
  /** The seed of its list, and its place in the list (replayable). */
  seed: number;
  index: number;
  /** Every byte sent after the handshake, a final close frame included. */
  input: Uint8Array;
  writes: Uint8Array[];
  mutated: boolean;
  /** What a strict server reports (ends in a close or a failure). */
  strict: ReceiverEvent[];
  deflate?: StreamDeflate;
}

/** The client's own close, after every stream: a valid stream ends cleanly. */
const FINAL_CLOSE = frame({
  opcode: Opcode.close,
  payload: closePayload(1000, "end of stream"),
});

/**
 * `count` streams from `seed`, the same for every target. A stream the
 * strict reference leaves unfinished even with the final close (a cut or
 * inserted byte left a frame waiting for more) is replaced by the next:
 * its only right answer is silence. With `deflate`, messages with RSV1
 * carry real DEFLATE data, compressed as each stream's negotiation asks.
 */
async function streams(
  seed: number,
  count: number,
  deflate?: (random: () => number) => StreamDeflate,
): Promise<Stream[]> {
  const random = prng(seed);
  const out: Stream[] = [];
  for (let index = 0; out.length < count; index++) {
    const negotiated = deflate?.(random);
    const { frames } = generate(random, negotiated !== undefined, {
      maxMessage: MAX_MESSAGE,
    });
    const sent = negotiated
      ? await compressed(frames, negotiated.client.contextTakeover, random)
      : frames;
    let input = concat(...sent.map(clientFrame));
    const mutated = random() < 0.35;
    if (mutated) input = mutate(input, random);
    input = concat(input, FINAL_CLOSE);
    const writes = wireWrites(input, split(input, random));
    const strict = referenceEvents(
      input,
      MAX_MESSAGE,
      negotiated !== undefined,
      {},
      negotiated?.client,
    );
    if (!finished(strict)) continue;
    out.push({
      seed,
      index,
      input,
      writes,
      mutated,
      strict,
      deflate: negotiated,
    });
  }
  return out;
}

/**
 * The ways a client negotiates permessage-deflate with the engine, drawn
 * per stream: context takeover both ways (the default), the client's
 * compressor reset per message, both reset per message.
 */
function drawDeflate(random: () => number): StreamDeflate {
  const roll = random();
  if (roll < 0.5) {
    return {
      offer: "permessage-deflate",
      response: "permessage-deflate",
      client: { contextTakeover: true },
      serverContextTakeover: true,
    };
  }
  if (roll < 0.75) {
    return {
      offer: "permessage-deflate; client_no_context_takeover",
      response: "permessage-deflate; client_no_context_takeover",
      client: { contextTakeover: false },
      serverContextTakeover: true,
    };
  }
  return {
    offer:
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    response:
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    client: { contextTakeover: false },
    serverContextTakeover: false,
  };
}

/**
 * The generator's frames with each message that has RSV1 on its first
 * frame compressed for real (RFC 7692 §7.2.1: raw DEFLATE, flushed, the
 * trailing 00 00 FF FF removed), its compressed bytes cut into as many
 * fragments as it had. With context takeover one deflate stream runs
 * through the connection, so a message's bytes refer back into earlier
 * ones; without, each message is compressed on its own. One message in
 * five has a byte of its compressed data changed, and a message that never
 * ends (a "rude" stream) keeps its plain bytes: data that may not inflate.
 */
async function compressed(
  frames: ClientFrame[],
  contextTakeover: boolean,
  random: () => number,
): Promise<ClientFrame[]> {
  const deflater = contextTakeover ? new ContextDeflater() : undefined;
  const out = [...frames];
  for (let first = 0; first < out.length; first++) {
    const start = out[first];
    if (start.opcode === 0 || start.opcode >= 8 || !((start.rsv ?? 0) & 4)) {
      continue;
    }
    const parts = [first];
    for (let i = first; !(out[i].fin ?? true);) {
      i = out.findIndex((f, j) => j > i && f.opcode === 0);
      if (i < 0) break;
      parts.push(i);
    }
    if (!(out[parts.at(-1)!].fin ?? true)) continue;
    const plain = concat(...parts.map((i) => bytesOf(out[i].payload)));
    const data = deflater ? await deflater.message(plain) : deflateAlone(plain);
    if (data.length > 0 && random() < 0.2) {
      data[Math.floor(random() * data.length)] ^= 1 +
        Math.floor(random() * 255);
    }
    parts.forEach((i, n) => {
      const from = Math.floor(data.length * n / parts.length);
      const to = Math.floor(data.length * (n + 1) / parts.length);
      out[i] = { ...out[i], payload: data.subarray(from, to) };
    });
  }
  deflater?.close();
  return out;
}

function bytesOf(payload: ClientFrame["payload"]): Uint8Array {
  return typeof payload === "string"
    ? new TextEncoder().encode(payload)
    : payload ?? new Uint8Array(0);
}

/**
 * One byte per write only for the first KiB: 70000 one-byte writes would
 * take seconds and split nothing a few hundred do not already.
 */
function wireWrites(input: Uint8Array, writes: Uint8Array[]): Uint8Array[] {
  if (writes.length <= 1024) return writes;
  return [...writes.slice(0, 1024), input.slice(1024)];
}

function finished(events: ReceiverEvent[]): boolean {
  const last = events.at(-1)?.[0];
  return last === "close" || last === "failure";
}

// ---- the allowances -------------------------------------------------------------

/** What the glue does on Deno, named as the accounting reports it. */
const GLUE_1009 =
  `the glue's 1009 once a message is whole (${OVER_LIMIT_ONCE_WHOLE})`;

/**
 * How many streams each allowance of `leniency` decides: a leniency
 * decides a stream when the reference without it reports something else;
 * the glue's 1009 decides a stream when the reference reports it.
 */
function allowanceTally(
  list: Stream[],
  leniency: Leniency,
): Record<string, number> {
  const tally: Record<string, number> = {};
  const names = Object.keys(leniency) as (keyof Leniency)[];
  for (const name of names) tally[name] = 0;
  if (leniency.limitOnceWhole) tally[GLUE_1009] = 0;
  for (const stream of list) {
    const events = lenientEvents(stream, leniency);
    for (const name of names) {
      const without = { ...leniency };
      delete without[name];
      if (!equal(lenientEvents(stream, without), events)) tally[name]++;
    }
    if (overLimitOnceWhole(events)) tally[GLUE_1009]++;
  }
  return tally;
}

function lenientEvents(stream: Stream, leniency: Leniency): ReceiverEvent[] {
  return referenceEvents(stream.input, MAX_MESSAGE, false, leniency);
}

function overLimitOnceWhole(events: ReceiverEvent[]): boolean {
  return events.some((e) =>
    e[0] === "failure" && e[2] === OVER_LIMIT_ONCE_WHOLE
  );
}

/**
 * Where the message the glue closes with 1009 ends in `stream`: the
 * shortest prefix the reference already fails that way. The client
 * sends up to there and waits for the 1009 before it sends the rest, so
 * that the 1009 is required, not raced by what Deno's engine does with
 * the bytes after the message.
 */
function glueCloseAt(stream: Stream, leniency: Leniency): number {
  let low = 0, high = stream.input.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const events = referenceEvents(
      stream.input.subarray(0, mid),
      MAX_MESSAGE,
      false,
      leniency,
    );
    if (overLimitOnceWhole(events)) high = mid;
    else low = mid + 1;
  }
  return low;
}

// ---- what the server must answer ---------------------------------------------

interface Reply {
  /** Echoes, pongs and the echo of the client's close, in order. */
  frames: Frame[];
  /** The code of the server's own close frame after a violation. */
  failureCode?: number;
  /** Whether TCP ended, or the server is still (rightly) waiting for bytes. */
  end: "tcp end" | "still open";
}

function serverFrame(opcode: number, payload: Uint8Array): Frame {
  return { fin: true, rsv: 0, opcode, masked: false, payload };
}

/** The answer a target must give to `events`. */
function expectedReply(target: Target, events: ReceiverEvent[]): Reply {
  const frames: Frame[] = [];
  const failure = events.findIndex((e) => e[0] === "failure");
  for (const event of failure < 0 ? events : events.slice(0, failure)) {
    if (event[0] === "message") frames.push(serverFrame(event[1], event[2]));
    else if (event[0] === "ping") {
      frames.push(serverFrame(Opcode.pong, event[1]));
    } else if (event[0] === "close") {
      const payload = event[1] === 1005
        ? new Uint8Array(0)
        : concat(closePayload(event[1]), event[2]);
      frames.push(serverFrame(Opcode.close, payload));
    }
  }
  if (failure < 0) {
    return { frames, end: finished(events) ? "tcp end" : "still open" };
  }
  const [, code, reason] = events[failure] as ["failure", number, string];
  if (builtinEngine(target) !== "deno" || reason === "invalid close code") {
    return { frames, failureCode: code, end: "tcp end" };
  }
  if (reason !== OVER_LIMIT_ONCE_WHOLE) return { frames, end: "tcp end" };
  // The glue's 1009 (the client waits for it: see glueCloseAt), and
  // Deno's engine reads on: TCP ends at the next frame or message the
  // client completes, without a word, else stays open.
  return {
    frames,
    failureCode: code,
    end: events.at(-1) === events[failure] ? "still open" : "tcp end",
  };
}

// ---- one stream on the wire ---------------------------------------------------

/**
 * Sends `stream` on a new connection and collects what comes back. With
 * `holdAt`, the bytes from there on wait for the server's close frame.
 */
async function answerTo(
  port: number,
  stream: Stream,
  expectOpen: boolean,
  holdAt?: number,
): Promise<Reply> {
  using client = await RawClient.open(port);
  const response = await client.handshake(
    stream.deflate
      ? { headers: { "Sec-WebSocket-Extensions": stream.deflate.offer } }
      : {},
  );
  assert.equal(response.status, 101);
  assert.equal(
    response.headers.get("sec-websocket-extensions"),
    stream.deflate?.response ?? null,
  );
  const reply: Reply = { frames: [], end: "still open" };
  let at = 0;
  const pieces = stream.writes.flatMap((bytes) => {
    const from = at;
    at += bytes.length;
    return holdAt !== undefined && from < holdAt && holdAt < at
      ? [bytes.subarray(0, holdAt - from), bytes.subarray(holdAt - from)]
      : [bytes];
  });
  let sent = 0;
  for (const bytes of pieces) {
    try {
      await client.write(bytes);
    } catch {
      break; // The server has already closed: what it sent is what counts.
    }
    sent += bytes.length;
    if (sent === holdAt) {
      await readInto(client, reply, Date.now() + ANSWER_MS, true);
    }
    // A few writes get a moment each, so they arrive as separate reads.
    if (stream.writes.length <= 8) await sleep(1);
  }
  const wait = expectOpen ? STILL_OPEN_MS : ANSWER_MS;
  await readInto(client, reply, Date.now() + wait, false);
  return reply;
}

/** Adds frames to `reply` until TCP ends, the deadline, or (`untilClose`) a close frame. */
async function readInto(
  client: RawClient,
  reply: Reply,
  deadline: number,
  untilClose: boolean,
): Promise<void> {
  while (reply.end === "still open") {
    let received: Frame | undefined;
    try {
      received = await client.next(Math.max(1, deadline - Date.now()));
    } catch {
      return; // Nothing more within the wait, TCP still open.
    }
    if (received === undefined) reply.end = "tcp end";
    else {
      reply.frames.push(received);
      if (untilClose && received.opcode === Opcode.close) return;
    }
  }
}

/**
 * The server's compressed data frames (RSV1) inflated, as the client of
 * `deflate` must inflate them; throws at a frame a client cannot take.
 */
function inflateReplies(reply: Reply, deflate: StreamDeflate): Reply {
  const inflater = new ReferenceInflater(deflate.serverContextTakeover);
  const frames = reply.frames.map((f) => {
    if (f.rsv !== 0b100 || f.opcode === 0 || f.opcode >= 8 || !f.fin) {
      return f;
    }
    const inflated = inflater.inflate(f.payload, 2 ** 30);
    if (!inflated.ok) {
      throw new Error(`an echo that does not inflate: ${inflated.why}`);
    }
    return { ...f, rsv: 0, payload: inflated.data };
  });
  return { ...reply, frames };
}

/**
 * Takes the server's own close frame off the end of `reply` when `expected`
 * has one (its reason is the server's to choose), after checking it is a
 * frame a server may send: a final, unmasked close with a code and at most
 * 123 bytes of UTF-8 reason.
 */
function withFailureCode(
  reply: Reply,
  expected: Reply,
  where: string,
): Reply {
  const last = reply.frames.at(-1);
  if (expected.failureCode === undefined || last?.opcode !== Opcode.close) {
    return reply;
  }
  const reason = last.payload.subarray(2);
  assert.ok(
    last.fin && last.rsv === 0 && !last.masked && last.payload.length >= 2 &&
      reason.length <= 123 && isUtf8(reason),
    `an invalid close frame: ${
      readable({ ...reply, frames: [last] }).frames
    }\n${where}`,
  );
  return {
    frames: reply.frames.slice(0, -1),
    failureCode: closeCodeOf(last),
    end: reply.end,
  };
}

// ---- the tests ------------------------------------------------------------------

const STREAM_LIST = await streams(SEED, STREAMS);
const DEFLATE_STREAMS = await streams(SEED + 1, STREAMS, drawDeflate);

/** A header of a frame in a stream's input (as far as the input goes). */
interface Header {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  length: number;
  /** The length field: 7, 16 or 64 bits. */
  form: 7 | 16 | 64;
  cut: boolean;
}

Deno.test(`wire fuzz: the ${STREAMS} streams (seed ${SEED}) are not vacuous: every outcome, 64-bit lengths and sizes around --max-message ${MAX_MESSAGE}`, () => {
  assertNotVacuous(STREAM_LIST, {
    "a frame with a 64-bit length": (s) =>
      frameHeaders(s.input).some((h) => h.form === 64 && h.opcode < 8),
    "a true 64-bit length (65536 bytes or more)": (s) =>
      frameHeaders(s.input).some((h) => h.length >= 65536 && !h.cut),
    "a short payload in the 64-bit form, echoed": (s) =>
      frameHeaders(s.input).some((h) =>
        h.form === 64 && h.length < 65536 && h.opcode < 8
      ) && s.strict.some((e) => e[0] === "message"),
    [`a message of --max-message (${MAX_MESSAGE}) bytes echoed`]: (s) =>
      s.strict.some((e) => e[0] === "message" && e[2].length === MAX_MESSAGE),
    "a frame just over --max-message (by 1-16 bytes)": (s) =>
      frameHeaders(s.input).some((h) =>
        h.length > MAX_MESSAGE && h.length <= MAX_MESSAGE + 16
      ),
    "an echo with a 16-bit length": (s) =>
      s.strict.some((e) => e[0] === "message" && e[2].length > 125),
  });
});

Deno.test(
  `wire fuzz with --permessage-deflate: the ${STREAMS} streams (seed ${
    SEED + 1
  }) are not vacuous: compressed messages whole and fragmented, with and without context takeover, and each failure`,
  () => {
    const compressedMessage =
      (fragmented: boolean, takeover: boolean) => (s: Stream) =>
        s.deflate!.client.contextTakeover === takeover &&
        s.strict.some((e) => e[0] === "message" && e[3]) &&
        frameHeaders(s.input).some((h, i, all) =>
          h.rsv === 4 &&
          (fragmented ? !h.fin && all[i + 1] !== undefined : h.fin)
        );
    const failing = (why: string) => (s: Stream) => {
      const last = s.strict.at(-1)!;
      return last[0] === "failure" && last[2] === why;
    };
    assertNotVacuous(DEFLATE_STREAMS, {
      "a compressed message, context takeover": compressedMessage(false, true),
      "a compressed message, no context takeover": compressedMessage(
        false,
        false,
      ),
      "a fragmented compressed message": (s) =>
        compressedMessage(true, true)(s) || compressedMessage(true, false)(s),
      "server_no_context_takeover": (s) => !s.deflate!.serverContextTakeover,
      "1007: invalid compressed data": failing("invalid compressed data"),
      "1009: too big once inflated": failing("too big once inflated"),
      "1007: inflated text that is not UTF-8": failing(
        "inflated text is not UTF-8",
      ),
      "1002: RSV1 on a control or continuation frame": failing(
        "RSV1 not allowed",
      ),
    });
  },
);

function assertNotVacuous(
  list: Stream[],
  shapes: Record<string, (s: Stream) => boolean>,
): void {
  const count = (test: (s: Stream) => boolean) => list.filter(test).length;
  const failing = (code: number) => (s: Stream) => {
    const last = s.strict.at(-1)!;
    return last[0] === "failure" && last[1] === code;
  };
  const outcomes: Record<string, number> = {
    clean: count((s) => s.strict.at(-1)![0] === "close"),
    1002: count(failing(1002)),
    1007: count(failing(1007)),
    1009: count(failing(1009)),
    mutated: count((s) => s.mutated),
    "one byte per write": count((s) =>
      s.writes.length > 8 && s.writes.every((w) => w.length <= 1)
    ),
  };
  for (const [name, test] of Object.entries(shapes)) {
    outcomes[name] = count(test);
  }
  if (Deno.env.get("WSECHO_FUZZ_VERBOSE")) console.log(outcomes);
  // Several streams each, not one: a count the seed happens to reach once
  // is lost on the next change to the generator.
  for (const [name, n] of Object.entries(outcomes)) {
    assert.ok(n >= STREAMS / 100, `${name}: ${n} of ${list.length}`);
  }
}

for (const target of TARGETS) {
  Deno.test(
    `[${target.name}] wire fuzz: ${STREAMS} random and mutated streams split at random points get exactly the right echoes and close (seed ${SEED})${
      knownDefects(target)
    }`,
    async () => {
      const leniency = leniencyOf(target);
      // Every allowance decides some stream, or it is not what the
      // runtime does (the test would not notice the runtime fixed).
      const tally = allowanceTally(STREAM_LIST, leniency);
      if (Deno.env.get("WSECHO_FUZZ_VERBOSE")) console.log(target.name, tally);
      for (const [name, n] of Object.entries(tally)) {
        assert.ok(
          n > 0,
          `[${target.name}] the allowance ${name} decided none of the ${STREAMS} streams (seed ${SEED})`,
        );
      }
      await fuzz(target, STREAM_LIST, [], leniency);
    },
  );
}

Deno.test(
  `[${DENO_WSECHO.name}] wire fuzz with --permessage-deflate: ${STREAMS} streams of real compressed messages (context takeover, client_no_context_takeover, both no_context_takeover), mutated and split, get exactly the reference's echoes and close (seed ${
    SEED + 1
  })`,
  () => fuzz(DENO_WSECHO, DEFLATE_STREAMS, ["--permessage-deflate"], {}),
);

/** Runs `list` against a `target` server, each stream checked as it ends. */
async function fuzz(
  target: Target,
  list: Stream[],
  args: string[],
  leniency: Leniency,
): Promise<void> {
  await using server = await startServer(target, {
    args: ["--max-message", String(MAX_MESSAGE), ...args],
  });
  await using control = await connect(server.url);
  const controlRun = keepEchoing(control);
  let deviations = 0;
  let next = 0;
  const worker = async () => {
    // After a failure the others stop too: the first one is the report.
    while (next < list.length) {
      const stream = list[next++];
      const events = referenceEvents(
        stream.input,
        MAX_MESSAGE,
        stream.deflate !== undefined,
        leniency,
        stream.deflate?.client,
      );
      // A stream on which the known defects show (counted for the log).
      if (!equal(events, stream.strict)) deviations++;
      const expected = expectedReply(target, events);
      const where = describe(target, stream, events);
      try {
        const holdAt = overLimitOnceWhole(events)
          ? glueCloseAt(stream, leniency)
          : undefined;
        let reply = await answerTo(
          server.port,
          stream,
          expected.end === "still open",
          holdAt,
        );
        if (stream.deflate) reply = inflateReplies(reply, stream.deflate);
        const checked = withFailureCode(reply, expected, where);
        if (!equal(checked, expected)) {
          assert.deepEqual(readable(checked), readable(expected), where);
        }
      } catch (error) {
        next = list.length;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const echoes = await controlRun.stop();
  assert.ok(echoes >= 10, `the control client echoed only ${echoes} times`);
  // The server is fine: a new client echoes, no fuzz connection is left.
  await using fresh = await connect(server.url);
  assert.equal(await fresh.echo("after the fuzz"), "after the fuzz");
  await waitForHealth(server.http, (h) => h.clients === 2);
  await server.stop();
  assertCleanLog(server);
  if (Deno.env.get("WSECHO_FUZZ_VERBOSE")) {
    console.log({ target: target.name, deviations, echoes });
  }
}

/**
 * Echoes on the control client until stopped: every echo must come back
 * unchanged while the fuzz streams come and go.
 */
function keepEchoing(client: Awaited<ReturnType<typeof connect>>) {
  let running = true;
  let echoes = 0;
  const loop = (async () => {
    while (running) {
      const text = `control ${echoes} ${"é".repeat(echoes % 50)}`;
      assert.equal(await client.echo(text), text);
      echoes++;
      await sleep(20);
    }
  })();
  loop.catch(() => {}); // Rethrown by stop().
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return echoes;
    },
  };
}

function assertCleanLog(server: ServerProcess): void {
  for (const lines of [server.stderr.lines, server.stdout.lines]) {
    const stray = lines.filter((line) => line !== "" && !line.startsWith("{"));
    assert.deepEqual(stray, [], "only JSON log lines, no stack trace");
  }
  const errors = server.records()
    .filter((r) => r.level !== "INFO" && r.level !== "DEBUG")
    .map((r) => `${r.level} ${r.message}`);
  assert.deepEqual(errors, [], "no warning or error logged");
  const stacks = server.stderr.lines.filter((l) => /\bat .+:\d+:\d+/.test(l));
  assert.deepEqual(stacks, [], "no stack trace inside a log record");
}

/**
 * Deep equality without building assert's diff, which for two unequal
 * 70000-byte payloads takes minutes.
 */
function equal<T>(a: T, b: T): boolean {
  return isDeepStrictEqual(a, b);
}

/** A reply as a diff can show it: long payloads by length, head and hash. */
function readable(reply: Reply) {
  const hex = (bytes: Uint8Array) =>
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    ...reply,
    frames: reply.frames.map((f) => {
      const payload = f.payload.length <= 32
        ? hex(f.payload)
        : `${
          hex(f.payload.subarray(0, 16))
        }… ${f.payload.length} bytes, fnv1a ${fnv1a(f.payload)}`;
      return `${f.fin ? "" : "!fin "}${
        f.rsv ? `rsv${f.rsv} ` : ""
      }op${f.opcode}${f.masked ? " masked" : ""} ${payload}`;
    }),
  };
}

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

/** The failing case, replayable: seed, stream, its frames and writes. */
function describe(
  target: Target,
  stream: Stream,
  events: ReceiverEvent[],
): string {
  return `[${target.name}] seed ${stream.seed}, stream #${stream.index}${
    stream.mutated ? " (mutated)" : ""
  }, ${stream.input.length} bytes in writes of ${
    stream.writes.map((w) => w.length).join("+")
  }${
    stream.deflate ? `\npermessage-deflate: ${stream.deflate.response}` : ""
  }\nframes: ${
    frameHeaders(stream.input).map(headerLine).join(" ")
  }\nstrict reference: ${stream.strict.map(eventLine).join(", ")}${
    equal(events, stream.strict)
      ? ""
      : `\nwith ${target.name}'s known defects: ${
        events.map(eventLine).join(", ")
      }`
  }`;
}

function eventLine(event: ReceiverEvent): string {
  if (event[0] === "failure") return `failure ${event[1]} (${event[2]})`;
  if (event[0] === "message") {
    return `message op${event[1]} ${event[2].length}B`;
  }
  if (event[0] === "close") return `close ${event[1]}`;
  return `${event[0]} ${event[1].length}B`;
}

/** The client frames in `input`, headers only, as far as they go. */
function frameHeaders(input: Uint8Array): Header[] {
  const out: Header[] = [];
  let at = 0;
  while (input.length - at >= 2) {
    const b0 = input[at], b1 = input[at + 1];
    let length = b1 & 127;
    let size = 2;
    let form: Header["form"] = 7;
    if (length === 126) {
      length = input[at + 2] * 256 + input[at + 3];
      size = 4;
      form = 16;
    } else if (length === 127) {
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + (input[at + i] ?? 0);
      size = 10;
      form = 64;
    }
    if (b1 & 0x80) size += 4;
    out.push({
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 15,
      masked: (b1 & 0x80) !== 0,
      length,
      form,
      cut: at + size + length > input.length,
    });
    at += size + length;
  }
  return out;
}

function headerLine(h: Header): string {
  return `[${h.fin ? "" : "!fin "}${h.rsv ? `rsv${h.rsv} ` : ""}op${h.opcode}${
    h.masked ? "" : " unmasked"
  } ${h.length}B${h.form === 64 ? " (64-bit)" : ""}${h.cut ? " (cut)" : ""}]`;
}
