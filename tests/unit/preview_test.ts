import assert from "node:assert/strict";
import {
  describePayload,
  PREVIEW_LIMIT,
  previewBytes,
  previewText,
} from "../../lib/core/preview.ts";

Deno.test("text previews are JSON strings, cut after the limit", () => {
  assert.equal(previewText('hi\n\t\u0007"x"'), '"hi\\n\\t\\u0007\\"x\\""');
  const long = "a".repeat(PREVIEW_LIMIT + 5);
  assert.equal(
    previewText(long),
    JSON.stringify("a".repeat(PREVIEW_LIMIT)) + "…",
  );
  // Never cuts a surrogate pair in half.
  assert.equal(
    previewText("🦕".repeat(40)),
    JSON.stringify("🦕".repeat(PREVIEW_LIMIT)) + "…",
  );
});

Deno.test("binary previews are hex, cut after the limit", () => {
  assert.equal(previewBytes(new Uint8Array([0, 15, 255])), "00 0f ff");
  assert.equal(previewBytes(new Uint8Array()), "(empty)");
  assert.match(previewBytes(new Uint8Array(PREVIEW_LIMIT + 1)), / …$/);
});

Deno.test("describePayload gives type and UTF-8 or byte size", () => {
  assert.deepEqual(describePayload("é"), {
    type: "text",
    size: 2,
    preview: '"é"',
  });
  assert.deepEqual(describePayload(new ArrayBuffer(2)), {
    type: "binary",
    size: 2,
    preview: "00 00",
  });
});

Deno.test("previewText escapes format and bidi controls (category Cf) and C1, not only C0", () => {
  assert.equal(
    previewText("a\u202eb\u2066c\u2069d\u200be\u200ff\ufeffg\u0085h\u00adi"),
    '"a\\u202eb\\u2066c\\u2069d\\u200be\\u200ff\\ufeffg\\u0085h\\u00adi"',
  );
  // Visible non-ASCII stays readable.
  assert.equal(previewText("é🦕"), '"é🦕"');
});
