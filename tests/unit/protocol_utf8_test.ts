import assert from "node:assert/strict";
import {
  isValidUtf8,
  UTF8_ACCEPT,
  UTF8_REJECT,
  utf8Step,
} from "../../lib/protocol/utf8.ts";

const enc = new TextEncoder();
const hex = (s: string) =>
  new Uint8Array(s.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));

/** WHATWG's fatal decoder as the reference verdict. */
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function referenceValid(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The first prefix length at which the streaming reference gives up, or -1. */
function referenceFailAt(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i + 1;
    }
  }
  return -1;
}

function ourFailAt(bytes: Uint8Array): number {
  let state = UTF8_ACCEPT;
  for (let i = 0; i < bytes.length; i++) {
    state = utf8Step(state, bytes, i, i + 1);
    if (state === UTF8_REJECT) return i + 1;
  }
  return -1;
}

// The sequences of Autobahn's case 6 (Markus Kuhn's UTF-8 stress test).
const VALID = [
  "",
  "Hello-µ@ßöäüàá-UTF-8!!",
  "κόσμε",
  "00",
  "c2 80",
  "e0 a0 80",
  "f0 90 80 80",
  "7f",
  "df bf",
  "ef bf bf",
  "f4 8f bf bf",
  "ed 9f bf",
  "ee 80 80",
  "ef bf bd",
  "ef bf be",
  "f4 8f bf be",
  "ef b7 90",
  "f0 9f 98 80",
];
const INVALID = [
  "f4 90 80 80",
  "f7 bf bf bf",
  "f8 88 80 80 80",
  "fc 84 80 80 80 80",
  "80",
  "bf",
  "80 bf",
  "80 bf 80",
  "80 bf 80 bf",
  "c0 20",
  "e0 20",
  "f0 20",
  "c0",
  "e0 80",
  "f0 80 80",
  "df",
  "ef bf",
  "f7 bf bf",
  "c0 e0 80 f0 80 80 df ef bf",
  "fe",
  "ff",
  "fe fe ff ff",
  "c0 af",
  "e0 80 af",
  "f0 80 80 af",
  "f8 80 80 80 af",
  "c1 bf",
  "e0 9f bf",
  "f0 8f bf bf",
  "c0 80",
  "e0 80 80",
  "f0 80 80 80",
  "ed a0 80",
  "ed ad bf",
  "ed ae 80",
  "ed af bf",
  "ed b0 80",
  "ed be 80",
  "ed bf bf",
  "ed a0 80 ed b0 80",
  "ed af bf ed bf bf",
  "ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64",
  "ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64 69 74 65 64",
];

function toBytes(s: string): Uint8Array {
  return /^[0-9a-f]{2}( [0-9a-f]{2})*$/.test(s) ? hex(s) : enc.encode(s);
}

Deno.test("Autobahn 6.* sequences: the verdict, whole and split at every position", () => {
  for (const [list, valid] of [[VALID, true], [INVALID, false]] as const) {
    for (const text of list) {
      const bytes = toBytes(text);
      assert.equal(referenceValid(bytes), valid, `reference on ${text}`);
      assert.equal(isValidUtf8(bytes), valid, text);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const state = utf8Step(
          utf8Step(UTF8_ACCEPT, bytes, 0, cut),
          bytes,
          cut,
          bytes.length,
        );
        assert.equal(state === UTF8_ACCEPT, valid, `${text} cut at ${cut}`);
      }
    }
  }
});

Deno.test("fails at the same byte as the WHATWG streaming decoder", () => {
  for (const text of INVALID) {
    const bytes = toBytes(text);
    const at = ourFailAt(bytes);
    // A sequence cut short fails only at the end (the streaming decoder
    // waits too), so compare where both decide during the input.
    assert.equal(at, referenceFailAt(bytes), text);
  }
});

Deno.test("every code point, encoded, is valid; every surrogate is not", () => {
  const buffer = new Uint8Array(4);
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    let n: number;
    if (cp < 0x80) {
      buffer[0] = cp;
      n = 1;
    } else if (cp < 0x800) {
      buffer[0] = 0xc0 | (cp >> 6);
      buffer[1] = 0x80 | (cp & 63);
      n = 2;
    } else if (cp < 0x10000) {
      buffer[0] = 0xe0 | (cp >> 12);
      buffer[1] = 0x80 | ((cp >> 6) & 63);
      buffer[2] = 0x80 | (cp & 63);
      n = 3;
    } else {
      buffer[0] = 0xf0 | (cp >> 18);
      buffer[1] = 0x80 | ((cp >> 12) & 63);
      buffer[2] = 0x80 | ((cp >> 6) & 63);
      buffer[3] = 0x80 | (cp & 63);
      n = 4;
    }
    const surrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (isValidUtf8(buffer, 0, n) === surrogate) {
      assert.fail(`U+${cp.toString(16)}`);
    }
  }
});

Deno.test("all 2-byte inputs and random 4-byte inputs agree with the reference", () => {
  const two = new Uint8Array(2);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      two[0] = a;
      two[1] = b;
      if (isValidUtf8(two) !== referenceValid(two)) assert.fail(`${a} ${b}`);
    }
  }
  let seed = 12345;
  const four = new Uint8Array(4);
  for (let i = 0; i < 20_000; i++) {
    for (let j = 0; j < 4; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      // Bias towards the interesting high bytes.
      four[j] = (seed >>> 16) & 1
        ? 0x80 | ((seed >>> 8) & 0x7f)
        : (seed >>> 8) & 0xff;
    }
    if (isValidUtf8(four) !== referenceValid(four)) assert.fail(four.join(" "));
  }
});

Deno.test("the word-wide ASCII path: long runs at every alignment, with a bad byte anywhere", () => {
  const backing = new Uint8Array(300).fill(0x61);
  for (let offset = 0; offset < 4; offset++) {
    const view = backing.subarray(offset, offset + 200);
    assert.ok(isValidUtf8(view));
    for (const at of [0, 1, 2, 3, 63, 64, 65, 100, 198, 199]) {
      view[at] = 0xff;
      assert.equal(isValidUtf8(view), false, `offset ${offset} bad at ${at}`);
      view[at] = 0xc3; // a lead byte needs its continuation
      assert.equal(isValidUtf8(view), false);
      if (at < 199) {
        view[at + 1] = 0xa9; // é
        assert.ok(isValidUtf8(view), `offset ${offset} é at ${at}`);
        view[at + 1] = 0x61;
      }
      view[at] = 0x61;
    }
  }
  const mixed = enc.encode(
    "ascii run ".repeat(20) + "κόσμε ".repeat(30) + "tail".repeat(30),
  );
  assert.ok(isValidUtf8(mixed));
  for (let cut = 0; cut <= mixed.length; cut += 3) {
    assert.equal(
      utf8Step(utf8Step(UTF8_ACCEPT, mixed, 0, cut), mixed, cut, mixed.length),
      UTF8_ACCEPT,
    );
  }
});
