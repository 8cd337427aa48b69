/**
 * Errors of our own code on the engine's request and message paths are
 * logged (lib/core/internal_error.ts), not swallowed as if the client had
 * gone away: a throwing HTTP handler (http_side.ts) and a throwing job of
 * the permessage-deflate path (compressed_path.ts).
 */
import assert from "node:assert/strict";
import { setupLogging } from "../../lib/app/logging.ts";
import { INTERNAL_ERROR } from "../../lib/core/close_codes.ts";
import { RequestHeadParser } from "../../lib/protocol/http1/request_parser.ts";
import { UpgradeGate } from "../../lib/http/upgrade_gate.ts";
import { DeflateCodec } from "../../lib/protocol/deflate_codec.ts";
import { OPCODE_BINARY } from "../../lib/protocol/opcodes.ts";
import { CompressedPath } from "../../lib/runtime/wsecho/compressed_path.ts";
import { answer } from "../../lib/runtime/wsecho/http_side.ts";

/** Runs `body` with JSON log lines captured; returns them parsed. */
async function logged(
  body: () => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  setupLogging({ debug: false, format: "json", write: (l) => lines.push(l) });
  try {
    await body();
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
  return lines.map((l) => JSON.parse(l));
}

function headOf(text: string) {
  const parsed = new RequestHeadParser().push(new TextEncoder().encode(text));
  if (parsed.kind !== "head") assert.fail(`not a head: ${parsed.kind}`);
  return parsed.head;
}

Deno.test("engine HTTP side: a throwing handler is logged as an internal error and answered 500", async () => {
  let reply: Awaited<ReturnType<typeof answer>> | undefined;
  const records = await logged(async () => {
    reply = await answer(
      headOf("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
      {
        handle: () => {
          throw new TypeError("handler bug");
        },
        gate: new UpgradeGate({
          origins: [],
          requireOrigin: false,
          protocols: [],
          maxClients: 0,
        }),
        tls: false,
        localHost: "127.0.0.1:1",
        permessageDeflate: false,
      },
      () => "127.0.0.1",
    );
  });
  assert.equal(reply?.kind, "response");
  assert.match(
    new TextDecoder().decode(reply!.bytes),
    /^HTTP\/1\.1 500 Internal Server Error\r\n/,
  );
  const errors = records.filter((r) => r.level === "ERROR");
  assert.equal(errors.length, 1, JSON.stringify(records));
  assert.equal(
    errors[0].message,
    "internal error in the HTTP handler (close code 1011): handler bug",
  );
});

Deno.test("permessage-deflate path: a job that throws is logged as an internal error and closes with 1011", async () => {
  const failed: [number, string][] = [];
  const peer = {
    id: 4,
    remote: "127.0.0.1:5000",
    isOpen: true,
    sendEcho() {
      throw new RangeError("echo bug");
    },
    fail(code: number, reason: string) {
      failed.push([code, reason]);
    },
  };
  const codec = new DeflateCodec({
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  }, { maxMessage: 1024 });
  const path = new CompressedPath(peer, codec, false);
  try {
    const records = await logged(async () => {
      path.message(OPCODE_BINARY, new Uint8Array([1, 2, 3]), false);
      await path.settle();
    });
    assert.deepEqual(failed, [[INTERNAL_ERROR, "internal error"]]);
    const errors = records.filter((r) => r.level === "ERROR");
    assert.equal(errors.length, 1, JSON.stringify(records));
    assert.equal(
      errors[0].message,
      "#4 from 127.0.0.1:5000: internal error in the permessage-deflate path (close code 1011): echo bug",
    );
  } finally {
    path.close();
  }
});
