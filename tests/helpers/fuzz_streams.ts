/**
 * Seeded random client frame streams for fuzzing a receiver: generated
 * from frames a client may send or must not send, mutated at the byte
 * level, and split into writes at random points. The same seed gives the
 * same streams on every machine.
 */
import {
  type ClientFrame,
  concat,
  type ReceiverEvent,
} from "./client_frames.ts";

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
const SAMPLES = ["a", "é", "€", "😀", "κόσμε", " ", "\u0000", "\uffff"];

/**
 * A random client stream of 1-6 items: whole and fragmented messages (with
 * pings between fragments), pings, pongs, a close (which ends the stream),
 * or one frame a strict server must refuse ("rude"). `expected` is what a
 * correct receiver reports as long as the stream is not rude or mutated.
 */
export function generate(random: () => number, rsv1Allowed: boolean) {
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

export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** 1-3 edits: a flipped bit, bytes cut out or inserted, the tail cut off. */
export function mutate(input: Uint8Array, random: () => number): Uint8Array {
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

/** Cuts `input` into writes at random points (one byte per write 5 % of the time). */
export function split(input: Uint8Array, random: () => number): Uint8Array[] {
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
