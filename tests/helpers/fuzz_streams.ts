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

/**
 * Shapes only the wire fuzz asks for (tests/e2e/wire_fuzz_test.ts), so
 * that every allowance it grants a runtime has streams to decide: sizes
 * around a server's small --max-message, 64-bit lengths (true ones over
 * the limit, and the 64-bit form of short payloads), rude frames shaped
 * for each runtime leniency (see `wireShapes`), and (with RSV1 allowed)
 * compressible zeros and RSV1 on control and continuation frames.
 * Without it the
 * generator draws exactly what the receiver's unit fuzz has always drawn.
 */
export interface WireShapes {
  maxMessage: number;
}

/** The bytes of a binary message for the wire fuzz: see {@linkcode WireShapes}. */
function wireSize(random: () => number, maxMessage: number): number {
  const int = (n: number) => Math.floor(random() * n);
  const roll = random();
  if (roll < 0.45) return int(200);
  if (roll < 0.6) return 126 + int(Math.max(1, maxMessage - 126));
  // At and just under the limit, then just over it.
  if (roll < 0.75) return maxMessage;
  if (roll < 0.78) return maxMessage - 1;
  if (roll < 0.88) return maxMessage + 1 + int(16);
  // A true 64-bit length (over 65535 bytes), far over a small limit.
  return 65536 + int(4000);
}

/** An unfinished UTF-8 sequence: a lead byte and fewer continuations than it needs. */
const UNFINISHED_UTF8 = [[0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [
  0xf1,
  0x9d,
  0x88,
]];

const SAMPLES = ["a", "é", "€", "😀", "κόσμε", " ", "\u0000", "\uffff"];

/**
 * A random client stream of 1-6 items: whole and fragmented messages (with
 * pings between fragments), pings, pongs, a close (which ends the stream),
 * or one frame a strict server must refuse ("rude"). `expected` is what a
 * correct receiver reports as long as the stream is not rude or mutated.
 */
export function generate(
  random: () => number,
  rsv1Allowed: boolean,
  wire?: WireShapes,
) {
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
  /**
   * What the wire fuzz adds to the rude frames, one shape for each
   * leniency of a runtime (tests/helpers/reference_receiver.ts), so that
   * each is put to the test on every seed. `ends`: what follows would be
   * taken as its payload, so the stream ends with it.
   */
  const wireShapes: { frames: () => ClientFrame[]; ends?: boolean }[] = [
    {
      // dropsUnfinishedUtf8: text fragments whose last one ends inside a
      // UTF-8 sequence.
      frames: () => [
        { opcode: 1, payload: text(10), fin: false, key: key() },
        {
          opcode: 0,
          payload: concat(
            enc.encode("v"),
            text(10),
            new Uint8Array(pick(UNFINISHED_UTF8)),
          ),
          key: key(),
        },
      ],
    },
    {
      // restartFragmented: a message begun (without FIN) inside an
      // unfinished one.
      frames: () => [
        { opcode: 1, payload: text(5), fin: false, key: key() },
        { opcode: 2, payload: bytesOf(int(10)), fin: false, key: key() },
        { opcode: 0, payload: bytesOf(int(10)), key: key() },
      ],
    },
    {
      // dataFramesJudgedWhole, utf8PerMessage: a data frame already wrong
      // in its first bytes (invalid UTF-8, a continuation without a
      // start) that stops halfway.
      frames: () => {
        const [opcode, payload] = random() < 0.5
          ? [1, concat(text(5), new Uint8Array([0xc0, 0xaf]), text(5))]
          : [0, bytesOf(int(10))];
        return [{
          opcode,
          payload,
          announcedLength: payload.length + 1000,
          key: key(),
        }];
      },
      ends: true,
    },
    {
      // topBitIsTooBig: a 64-bit length with its most significant bit set.
      frames: () => [{
        opcode: 2,
        announcedLength: int(1000),
        lengthForm: 64,
        high: 0x80000000 + int(2 ** 31),
        key: key(),
      }],
      ends: true,
    },
    {
      // closeReasonBeforeCode: a close with a code no one may send and a
      // reason that is not UTF-8.
      frames: () => [{
        opcode: 8,
        payload: concat(
          new Uint8Array(pick([[0, 0], [3, 0xe7], [3, 0xee], [7, 0xd0]])),
          new Uint8Array([0x61, pick([0xff, 0xc0, 0x80])]),
        ),
        key: key(),
      }],
      ends: true,
    },
    {
      // continuationLimitAsArrived: a continuation whose header takes the
      // message over the limit, and whose bytes stop before they do.
      frames: () => [
        {
          opcode: 2,
          payload: bytesOf(Math.max(0, (wire?.maxMessage ?? 0) - 100)),
          fin: false,
          key: key(),
        },
        {
          opcode: 0,
          payload: bytesOf(int(50)),
          announcedLength: 200,
          key: key(),
        },
      ],
      ends: true,
    },
  ];
  if (rsv1Allowed) {
    // RSV1 where a compressed message cannot have it.
    wireShapes.push({
      frames: () => [
        random() < 0.5
          ? { opcode: 9, payload: bytesOf(int(10)), rsv: 4, key: key() }
          : { opcode: 0, payload: bytesOf(1 + int(10)), rsv: 4, key: key() },
      ],
    });
  }
  const count = 1 + int(6);
  for (let m = 0; m < count; m++) {
    const roll = random();
    if (roll < 0.3) {
      const payload = random() < 0.5
        ? text(40)
        : !wire
        ? bytesOf(int(random() < 0.1 ? 70000 : 200))
        : rsv1Allowed && random() < 0.25
        // Zeros: compressed, a size over the limit is a small bomb.
        ? new Uint8Array(wireSize(random, wire.maxMessage))
        : bytesOf(wireSize(random, wire.maxMessage));
      const opcode = payload.length && random() < 0.5 && isUtf8(payload)
        ? 1
        : 2;
      const compressed = rsv1Allowed && random() < (wire ? 0.6 : 0.3);
      // The 64-bit length form of a short payload: legal, if not minimal.
      const lengthForm = wire && random() < 0.2 ? 64 : undefined;
      frames.push({
        opcode,
        payload,
        key: key(),
        rsv: compressed ? 4 : 0,
        lengthForm,
      });
      expected.push(["message", opcode, payload, compressed]);
    } else if (roll < 0.55) {
      // A fragmented message with control frames between its fragments.
      const opcode = random() < 0.5 ? 1 : 2;
      const payload = opcode === 1 ? text(60) : bytesOf(
        wire && random() < 0.3
          ? wire.maxMessage + (random() < 0.5 ? 0 : 1 + int(16))
          : int(300),
      );
      const compressed = rsv1Allowed && random() < (wire ? 0.6 : 0.3);
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
      if (wire && random() < 0.5) {
        const shape = pick(wireShapes);
        frames.push(...shape.frames());
        if (shape.ends) break;
        continue;
      }
      frames.push(pick<ClientFrame>([
        {
          opcode: 1,
          payload: concat(
            text(10),
            new Uint8Array([pick([0xff, 0xc0, 0xed, 0xf4, 0x80])]),
            text(10),
          ),
          // Compressed (where negotiated): invalid once inflated.
          rsv: wire && rsv1Allowed ? 4 : 0,
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
