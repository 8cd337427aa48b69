/**
 * Seeded fuzzing of the receiver: random and mutated client streams, split
 * at random points, checked against a plain reference parser written for
 * clarity (whole input at once, one rule after the other). The receiver
 * must never throw, and must report exactly what the reference reports:
 * the right messages, or the same failure code (1002, 1007, 1009).
 *
 * Another seed: WSECHO_FUZZ_SEED=123 deno test -A tests/unit/protocol_fuzz_test.ts
 * (WSECHO_FUZZ_ITERATIONS sets the count; a failure prints its seed and case).
 */

import assert from "node:assert/strict";
import { isSendableCloseCode } from "../../lib/core/close_codes.ts";
import { Receiver } from "../../lib/protocol/receiver.ts";
import {
  type ClientFrame,
  clientFrame,
  concat,
  type ReceiverEvent,
  Recorder,
} from "../helpers/client_frames.ts";

const SEED = Number(Deno.env.get("WSECHO_FUZZ_SEED") ?? 20261201);
const ITERATIONS = Number(Deno.env.get("WSECHO_FUZZ_ITERATIONS") ?? 3000);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the reference parser -------------------------------------------------

const KNOWN = new Set([0, 1, 2, 8, 9, 10]);

function reference(
  input: Uint8Array,
  maxMessage: number,
  rsv1Allowed: boolean,
): ReceiverEvent[] {
  const events: ReceiverEvent[] = [];
  const fail = (code: number) => {
    events.push(["failure", code, ""]);
    return events;
  };
  const compressedLimit = maxMessage + Math.floor(maxMessage / 4096) +
    Math.floor(maxMessage / 16384) + Math.floor(maxMessage / 33554432) + 13;
  let message:
    | {
      opcode: number;
      compressed: boolean;
      bytes: number[];
      decoder: TextDecoder;
    }
    | undefined;
  let pos = 0;
  while (input.length - pos >= 2) {
    const b0 = input[pos], b1 = input[pos + 1];
    const fin = (b0 & 0x80) !== 0, rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 15, masked = (b1 & 0x80) !== 0, len7 = b1 & 127;
    const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) +
      (masked ? 4 : 0);
    if (input.length - pos < size) break;
    const control = opcode >= 8;
    if (!KNOWN.has(opcode)) return fail(1002);
    if (b0 & 0x30) return fail(1002);
    if (rsv1 && (!rsv1Allowed || control || opcode === 0)) return fail(1002);
    if (!masked) return fail(1002);
    if (control && (!fin || len7 > 125)) return fail(1002);
    let length = len7;
    if (len7 === 126) length = input[pos + 2] * 256 + input[pos + 3];
    if (len7 === 127) {
      if (input[pos + 2] & 0x80) return fail(1002);
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + input[pos + i];
    }
    if (!control) {
      if (opcode === 0 && !message) return fail(1002);
      if (opcode !== 0 && message) return fail(1002);
      const compressed = message ? message.compressed : rsv1;
      const sofar = message ? message.bytes.length : 0;
      if (sofar + length > (compressed ? compressedLimit : maxMessage)) {
        return fail(1009);
      }
    }
    const key = input.subarray(pos + size - 4, pos + size);
    const start = pos + size;
    const available = Math.min(length, input.length - start);
    const payload = new Uint8Array(available);
    for (let i = 0; i < available; i++) {
      payload[i] = input[start + i] ^ key[i & 3];
    }
    if (!control) {
      message ??= {
        opcode,
        compressed: rsv1,
        bytes: [],
        decoder: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }),
      };
      if (message.opcode === 1 && !message.compressed) {
        try {
          message.decoder.decode(payload, { stream: true });
        } catch {
          return fail(1007);
        }
      }
    }
    if (available < length) break;
    pos = start + length;
    if (opcode === 9) events.push(["ping", payload]);
    else if (opcode === 10) events.push(["pong", payload]);
    else if (opcode === 8) {
      if (length === 0) events.push(["close", 1005, payload]);
      else if (length === 1) return fail(1002);
      else {
        const code = payload[0] * 256 + payload[1];
        const sendable = (code >= 1000 && code <= 1003) ||
          (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        if (!sendable) return fail(1002);
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2));
        } catch {
          return fail(1007);
        }
        events.push(["close", code, payload.slice(2)]);
      }
      return events;
    } else {
      message!.bytes.push(...payload);
      if (fin) {
        if (message!.opcode === 1 && !message!.compressed) {
          try {
            message!.decoder.decode();
          } catch {
            return fail(1007);
          }
        }
        events.push([
          "message",
          message!.opcode,
          new Uint8Array(message!.bytes),
          message!.compressed,
        ]);
        message = undefined;
      }
    }
  }
  return events;
}

// ---- the generator --------------------------------------------------------

const enc = new TextEncoder();
const SAMPLES = ["a", "é", "€", "😀", "κόσμε", " ", "\u0000", "\uffff"];

function generate(random: () => number, rsv1Allowed: boolean) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: T[]) => xs[int(xs.length)];
  const bytesOf = (n: number) => new Uint8Array(n).map(() => int(256));
  const text = (maxChars: number) => {
    let s = "";
    const n = int(maxChars);
    for (let i = 0; i < n; i++) s += pick(SAMPLES);
    return enc.encode(s);
  };
  const key = (): [
    number,
    number,
    number,
    number,
  ] => [int(256), int(256), int(256), int(256)];
  const frames: ClientFrame[] = [];
  /** What a correct receiver reports, as long as nothing is mutated or rude. */
  const expected: ReceiverEvent[] = [];
  let rude = false;
  const count = 1 + int(6);
  for (let m = 0; m < count; m++) {
    const roll = random();
    if (roll < 0.3) {
      const payload = random() < 0.5
        ? text(40)
        : bytesOf(int(random() < 0.1 ? 70000 : 200));
      const opcode = payload.length && random() < 0.5 && isUtf8(payload)
        ? 1
        : 2;
      const compressed = rsv1Allowed && random() < 0.3;
      frames.push({ opcode, payload, key: key(), rsv: compressed ? 4 : 0 });
      expected.push(["message", opcode, payload, compressed]);
    } else if (roll < 0.55) {
      // A fragmented message with control frames between its fragments.
      const opcode = random() < 0.5 ? 1 : 2;
      const payload = opcode === 1 ? text(60) : bytesOf(int(300));
      const compressed = rsv1Allowed && random() < 0.3;
      const cuts = [
        0,
        ...Array.from({ length: int(4) }, () => int(payload.length + 1)).sort((
          a,
          b,
        ) => a - b),
        payload.length,
      ];
      for (let i = 0; i + 1 < cuts.length; i++) {
        frames.push({
          opcode: i === 0 ? opcode : 0,
          payload: payload.subarray(cuts[i], cuts[i + 1]),
          fin: i + 2 === cuts.length,
          rsv: i === 0 && compressed ? 4 : 0,
          key: key(),
        });
        if (random() < 0.3 && i + 2 < cuts.length) {
          const ping = bytesOf(int(20));
          frames.push({ opcode: 9, payload: ping, key: key() });
          expected.push(["ping", ping]);
        }
      }
      expected.push(["message", opcode, payload, compressed]);
    } else if (roll < 0.7) {
      const payload = bytesOf(int(126));
      const opcode = random() < 0.5 ? 9 : 10;
      frames.push({ opcode, payload, key: key() });
      expected.push([opcode === 9 ? "ping" : "pong", payload]);
    } else if (roll < 0.8) {
      const code = pick([1000, 1001, 3000, 4999, 1011]);
      const reason = text(20);
      frames.push({
        opcode: 8,
        payload: concat(new Uint8Array([code >> 8, code & 255]), reason),
        key: key(),
      });
      expected.push(["close", code, reason]);
      break;
    } else {
      // Something a strict server must refuse, or a size near the limits.
      rude = true;
      frames.push(pick<ClientFrame>([
        {
          opcode: 1,
          payload: concat(
            text(10),
            new Uint8Array([pick([0xff, 0xc0, 0xed, 0xf4, 0x80])]),
            text(10),
          ),
        },
        { opcode: pick([3, 7, 11, 15]), payload: bytesOf(int(10)) },
        { opcode: 2, payload: bytesOf(5), masked: false },
        { opcode: 2, payload: bytesOf(5), rsv: 1 + int(7) },
        { opcode: 9, payload: bytesOf(126 + int(10)) },
        { opcode: 9, payload: bytesOf(3), fin: false },
        { opcode: 0, payload: bytesOf(3) },
        { opcode: 1, payload: text(5), fin: false },
        { opcode: 8, payload: bytesOf(1 + int(6)) },
        {
          opcode: 2,
          announcedLength: 1 + int(2 ** 20),
          lengthForm: 64,
          high: int(2) ? 0 : int(2 ** 32),
        },
      ]));
    }
  }
  return { frames, expected, rude };
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const out = Array.from(input);
  const edits = 1 + int(3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = int(out.length);
    const roll = random();
    if (roll < 0.5) out[at] ^= 1 << int(8);
    else if (roll < 0.7) out.splice(at, 1 + int(4));
    else if (roll < 0.85) {
      out.splice(
        at,
        0,
        ...Array.from({ length: 1 + int(4) }, () => int(256)),
      );
    } else out.length = at;
  }
  return new Uint8Array(out);
}

function split(input: Uint8Array, random: () => number): Uint8Array[] {
  if (random() < 0.05) return Array.from(input, (b) => new Uint8Array([b]));
  const cuts = Array.from(
    { length: Math.floor(random() * 6) },
    () => Math.floor(random() * (input.length + 1)),
  )
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    chunks.push(input.slice(from, cut));
    from = cut;
  }
  return chunks;
}

/** Failure reasons differ between the two parsers; codes must not. */
function comparable(events: ReceiverEvent[]): ReceiverEvent[] {
  return events.map((e) => e[0] === "failure" ? ["failure", e[1], ""] : e);
}

Deno.test(`fuzz: ${ITERATIONS} random and mutated streams, split at random points (seed ${SEED})`, () => {
  const random = prng(SEED);
  const outcomes = {
    clean: 0,
    1002: 0,
    1007: 0,
    1009: 0,
    mutated: 0,
  } as Record<string, number>;
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const maxMessage = [64, 300, 1 << 17][Math.floor(random() * 3)];
    const rsv1Allowed = random() < 0.3;
    const { frames, expected, rude } = generate(random, rsv1Allowed);
    let input = concat(...frames.map(clientFrame));
    const mutated = random() < 0.35;
    if (mutated) {
      input = mutate(input, random);
      outcomes.mutated++;
    }
    const chunks = split(input, random);
    const recorder = new Recorder();
    const receiver = new Receiver(recorder, { maxMessage, rsv1Allowed });
    const where =
      `seed ${SEED}, iteration ${iteration}, maxMessage ${maxMessage}, rsv1 ${rsv1Allowed}`;
    try {
      for (const chunk of chunks) receiver.push(chunk);
    } catch (error) {
      assert.fail(`receiver threw (${where}): ${error}`);
    }
    const events = recorder.events;
    assert.deepEqual(
      comparable(events),
      reference(input, maxMessage, rsv1Allowed),
      where,
    );
    const last = events.at(-1);
    if (last?.[0] === "failure") {
      assert.ok(
        isSendableCloseCode(last[1]) && [1002, 1007, 1009].includes(last[1]),
        where,
      );
      assert.ok(enc.encode(last[2]).length <= 123, where);
      outcomes[last[1]]++;
    }
    const fits = !expected.some((e) =>
      e[0] === "message" && e[2].length > maxMessage
    );
    if (!mutated && !rude && fits) {
      // The right echo: every message, ping, pong and close as generated.
      assert.deepEqual(events, expected, where);
      outcomes.clean++;
    }
  }
  if (Deno.env.get("WSECHO_FUZZ_VERBOSE")) console.log(outcomes);
  // The run was not vacuous: each verdict was reached many times.
  for (const [name, count] of Object.entries(outcomes)) {
    assert.ok(count >= ITERATIONS / 100, `${name}: ${count} of ${ITERATIONS}`);
  }
});
