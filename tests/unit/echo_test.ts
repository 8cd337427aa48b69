/** Unit tests of the echo core with an in-memory socket double. */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { Payload } from "../../lib/core/payload.ts";
import { setupLogging } from "../../lib/app/logging.ts";
import { EchoHub, type Peers } from "../../lib/core/hub.ts";
import { utf8Length } from "../../lib/core/payload.ts";

/** A socket double that records what the hub did to it. */
class FakeSocket {
  closedWith: [number, string] | undefined;
  constructor(readonly id: number, readonly remote = `10.0.0.${id}:5000`) {}
}

/** Names and closes; there is no way to send: the glue sends. */
const peers: Peers<FakeSocket> = {
  close: (socket, code, reason) => socket.closedWith = [code, reason],
  info: (socket) => socket,
};

function hub(debug = false) {
  return new EchoHub(peers, getLogger(["wsecho", "test"]), debug);
}

/** What a glue does for one message: it sent the echo; the hub records. */
function echoed(echo: EchoHub<FakeSocket>, socket: FakeSocket, data: Payload) {
  if (typeof data === "string") echo.echoedText(socket, data, utf8Length(data));
  else echo.echoedBinary(socket, data);
}

Deno.test("tracks clients in a Set and forgets them once on close", () => {
  const echo = hub();
  const a = new FakeSocket(1);
  echo.open(a);
  echo.open(new FakeSocket(2));
  assert.equal(echo.size, 2);
  echo.closed(a, 1000, "");
  echo.closed(a, 1006, ""); // close after error: no double count
  assert.equal(echo.size, 1);
  assert.ok(!echo.clients.has(a));
  assert.equal(echo.stats.connectionsTotal, 2);
});

Deno.test("counts messages and bytes per direction and type", () => {
  const echo = hub();
  const a = new FakeSocket(1);
  echo.open(a);
  echoed(echo, a, "héllo"); // 6 bytes
  echoed(echo, a, "");
  echoed(echo, a, new Uint8Array(10));
  echoed(echo, a, new ArrayBuffer(7));
  const s = echo.stats;
  assert.deepEqual(
    [s.textMessagesIn, s.textBytesIn, s.binaryMessagesIn, s.binaryBytesIn],
    [2, 6, 2, 17],
  );
  assert.deepEqual(
    [s.textMessagesOut, s.textBytesOut, s.binaryMessagesOut, s.binaryBytesOut],
    [2, 6, 2, 17],
  );
});

Deno.test("a text size the glue reports is counted as is, not measured", () => {
  const echo = hub();
  const a = new FakeSocket(1);
  echo.open(a);
  // What Bun's send() returns: the payload's UTF-8 bytes.
  echo.echoedText(a, "short", 42);
  assert.equal(echo.stats.textBytesIn, 42);
  assert.equal(echo.stats.textBytesOut, 42);
});

Deno.test("text handed over as UTF-8 bytes (the engine) is counted as text", () => {
  const echo = hub();
  const a = new FakeSocket(3);
  echo.open(a);
  const utf8 = new TextEncoder().encode("héllo");
  echo.echoedText(a, utf8, utf8.length);
  const s = echo.stats;
  assert.deepEqual(
    [s.textMessagesIn, s.textBytesIn, s.textMessagesOut, s.binaryMessagesIn],
    [1, 6, 1, 0],
  );
});

Deno.test("utf8Length agrees with TextEncoder, lone surrogates included", () => {
  const encoder = new TextEncoder();
  for (
    const text of [
      "",
      "ascii",
      "é",
      "€",
      "日本",
      "🦕",
      "a🦕b",
      "\ud800",
      "\udc00x",
      "\ud83e",
      "x\ud83e\ud83e\udd95",
      "\u07ff\u0800\uffff",
    ]
  ) {
    assert.equal(
      utf8Length(text),
      encoder.encode(text).length,
      JSON.stringify(text),
    );
  }
});

Deno.test("closeAll and drain send the code to every client and wait for them", async () => {
  const echo = hub();
  const [a, b] = [new FakeSocket(1), new FakeSocket(2)];
  echo.open(a);
  echo.open(b);
  const drained = echo.drain(1001, "bye", 5000);
  assert.deepEqual(a.closedWith, [1001, "bye"]);
  assert.deepEqual(b.closedWith, [1001, "bye"]);
  echo.closed(a, 1001, "bye");
  echo.closed(b, 1001, "bye");
  assert.equal(await drained, true);
});

Deno.test("drain gives up after its timeout when a client never closes", async () => {
  const echo = hub();
  echo.open(new FakeSocket(1));
  assert.equal(await echo.drain(1001, "", 20), false);
  assert.equal(await hub().drain(1001, "", 20), true, "nothing to wait for");
});

Deno.test("--debug logs connect, each message with an escaped preview, and disconnect", () => {
  const lines: string[] = [];
  setupLogging({ debug: true, format: "json", write: (l) => lines.push(l) });
  try {
    const echo = new EchoHub(peers, getLogger(["wsecho", "echo"]), true);
    const a = new FakeSocket(7, "127.0.0.1:4000");
    echo.open(a);
    echoed(echo, a, 'line\nbreak "quoted"');
    echoed(echo, a, new Uint8Array([0, 255, 16]));
    // The engine hands text over as its UTF-8 bytes: previewed as text.
    echo.echoedText(a, new TextEncoder().encode("héllo"), 6);
    echo.closed(a, 1000, "done\r\nforged");
    const messages = lines.map((l) => JSON.parse(l).message);
    assert.deepEqual(messages, [
      "#7 connected from 127.0.0.1:4000 (1 connected)",
      '#7 echoed text message, 19 bytes: "line\\nbreak \\"quoted\\""',
      "#7 echoed binary message, 3 bytes: 00 ff 10",
      '#7 echoed text message, 6 bytes: "héllo"',
      '#7 disconnected from 127.0.0.1:4000: code 1000 "done\\r\\nforged" (0 connected)',
    ]);
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
});

Deno.test("without --debug the hub logs nothing per message", () => {
  const lines: string[] = [];
  setupLogging({ debug: true, format: "json", write: (l) => lines.push(l) });
  try {
    const echo = new EchoHub(peers, getLogger(["wsecho", "echo"]), false);
    const a = new FakeSocket(1);
    echo.open(a);
    echoed(echo, a, "quiet");
    echo.closed(a, 1000, "");
    assert.deepEqual(lines, []);
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
});
