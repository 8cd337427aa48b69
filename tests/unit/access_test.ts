/**
 * Unit tests of the upgrade gate and its parts: handshake checks, origin
 * rule, subprotocol choice, client slots, refusal counting.
 */
import assert from "node:assert/strict";
import { ClientSlots, UNLIMITED_SLOT } from "../../lib/http/client_slots.ts";
import { setupLogging } from "../../lib/app/logging.ts";
import { checkHandshake } from "../../lib/http/handshake.ts";
import { headerTokens } from "../../lib/http/header_tokens.ts";
import { normalizeOrigin, originAllowed } from "../../lib/http/origin.ts";
import { chooseProtocol, isProtocolName } from "../../lib/http/subprotocol.ts";
import { type AccessPolicy, UpgradeGate } from "../../lib/http/upgrade_gate.ts";

const KEY = btoa("0123456789abcdef");

function handshake(
  headers: Record<string, string | null> = {},
  method = "GET",
): Request {
  const all: Record<string, string | null> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": KEY,
    "sec-websocket-version": "13",
    ...headers,
  };
  const init = new Headers();
  for (const [name, value] of Object.entries(all)) {
    if (value !== null) init.set(name, value);
  }
  return new Request("http://localhost/", { method, headers: init });
}

const OPEN: AccessPolicy = {
  origins: [],
  requireOrigin: false,
  protocols: [],
  maxClients: 0,
};

Deno.test("checkHandshake accepts a well-formed handshake", () => {
  assert.equal(checkHandshake(handshake()), undefined);
  assert.equal(
    checkHandshake(handshake({ connection: "keep-alive, Upgrade" })),
    undefined,
  );
  assert.equal(checkHandshake(handshake({ upgrade: "WebSocket" })), undefined);
  assert.equal(
    checkHandshake(handshake({ "sec-websocket-key": ` ${KEY} ` })),
    undefined,
  );
});

Deno.test("checkHandshake: 400 for method, Connection and key; 426 for version", () => {
  const cases: Array<[Request, number, string]> = [
    [handshake({}, "PUT"), 400, "the handshake must be a GET, not PUT"],
    [handshake({ upgrade: "h2c" }), 400, "Upgrade must be 'websocket'"],
    [
      handshake({ connection: "close" }),
      400,
      "Connection must contain 'upgrade'",
    ],
    [
      handshake({ connection: "upgraded" }),
      400,
      "Connection must contain 'upgrade'",
    ],
    [
      handshake({ "sec-websocket-key": null }),
      400,
      "Sec-WebSocket-Key is missing",
    ],
    [
      handshake({ "sec-websocket-key": btoa("0123456789abcde") }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    [
      handshake({ "sec-websocket-key": `${KEY}, ${KEY}` }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    [
      handshake({ "sec-websocket-key": "MDEyMzQ1Njc4OWFiY2RlZg" }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    // base64url's alphabet, and characters of neither alphabet.
    [
      handshake({ "sec-websocket-key": "MDEyMzQ1Njc4OWFiY2Rl-_==" }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    [
      handshake({ "sec-websocket-key": "MDEyMzQ1Njc4OWFi Y2RlZ==" }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    [
      handshake({ "sec-websocket-key": "MDEyMzQ1Njc4OWFiY2RlZg=A" }),
      400,
      "Sec-WebSocket-Key must be 16 bytes in base64",
    ],
    [
      handshake({ "sec-websocket-version": "12" }),
      426,
      "Sec-WebSocket-Version must be 13",
    ],
    [
      handshake({ "sec-websocket-version": "13, 8" }),
      426,
      "Sec-WebSocket-Version must be 13",
    ],
    [
      handshake({ "sec-websocket-version": null }),
      426,
      "Sec-WebSocket-Version must be 13",
    ],
  ];
  for (const [request, status, message] of cases) {
    assert.deepEqual(checkHandshake(request), { status, message });
  }
});

Deno.test("normalizeOrigin: scheme and host in lower case, default port dropped", () => {
  assert.equal(
    normalizeOrigin("HTTPS://Example.COM:443"),
    "https://example.com",
  );
  assert.equal(
    normalizeOrigin("http://localhost:8080/"),
    "http://localhost:8080",
  );
  assert.equal(normalizeOrigin("http://[::1]:80"), "http://[::1]");
  assert.equal(
    normalizeOrigin("chrome-extension://abcdef"),
    "chrome-extension://abcdef",
  );
  assert.equal(normalizeOrigin("null"), "null");
  for (
    const bad of [
      "example.com",
      "https://example.com/path",
      "https://example.com?q",
      "https://user@example.com",
      "",
      "*",
    ]
  ) {
    assert.equal(normalizeOrigin(bad), undefined, bad);
  }
});

Deno.test("originAllowed: list match, missing Origin by --require-origin", () => {
  const policy = { origins: ["https://a.example"], requireOrigin: false };
  assert.ok(originAllowed(policy, "https://a.example"));
  assert.ok(originAllowed(policy, "https://A.example:443"));
  assert.ok(!originAllowed(policy, "https://b.example"));
  assert.ok(!originAllowed(policy, "https://a.example.b.example"));
  assert.ok(!originAllowed(policy, "garbage"));
  assert.ok(originAllowed(policy, null));
  assert.ok(!originAllowed({ ...policy, requireOrigin: true }, null));
  assert.ok(
    originAllowed({ origins: [], requireOrigin: false }, "https://any"),
  );
});

Deno.test("chooseProtocol: the client's first offer we support, or none", () => {
  const ours = ["b", "a"];
  assert.equal(chooseProtocol("a, b", ours), "a");
  assert.equal(chooseProtocol("x,b , a", ours), "b");
  assert.equal(chooseProtocol("x, y", ours), undefined);
  assert.equal(chooseProtocol("A", ours), undefined);
  assert.equal(chooseProtocol(null, ours), undefined);
  assert.equal(chooseProtocol("a", []), undefined);
  assert.equal(chooseProtocol(" , ,a", ours), "a");
});

Deno.test("isProtocolName: RFC 7230 tokens only", () => {
  for (const good of ["chat", "v1.json", "graphql-ws", "a+b", "x_y~1"]) {
    assert.ok(isProtocolName(good), good);
  }
  for (const bad of ["", "a b", "a,b", "a;b", 'q"', "é", "a/b"]) {
    assert.ok(!isProtocolName(bad), bad);
  }
});

Deno.test("headerTokens splits, trims and drops empty elements", () => {
  assert.deepEqual(headerTokens(" a ,, b,"), ["a", "b"]);
  assert.deepEqual(headerTokens(null), []);
});

Deno.test("ClientSlots: limited and counted; 0 is unlimited and shares one no-op slot", () => {
  const slots = new ClientSlots(2);
  const a = slots.take()!;
  const b = slots.take()!;
  assert.ok(a !== undefined && b !== undefined && a !== b);
  assert.equal(slots.take(), undefined);
  assert.equal(slots.inUse, 2);
  a.release();
  assert.equal(slots.inUse, 1);
  const c = slots.take()!;
  assert.equal(slots.take(), undefined);
  b.release();
  c.release();
  assert.equal(slots.inUse, 0);
  assert.ok(slots.take() && slots.take());
  assert.equal(slots.take(), undefined);
  assert.equal(slots.doubleReleases, 0);

  const unlimited = new ClientSlots(0);
  for (let i = 0; i < 1000; i++) {
    // One shared object: nothing allocated per connection.
    assert.equal(unlimited.take(), UNLIMITED_SLOT);
  }
  // Unlimited: nothing is counted.
  assert.equal(unlimited.inUse, 0);
  UNLIMITED_SLOT.release();
  assert.equal(unlimited.inUse, 0);
});

Deno.test("ClientSlots: a second release of one slot is reported (counted, logged at error level), not clamped", () => {
  const lines: string[] = [];
  setupLogging({ debug: false, format: "json", write: (l) => lines.push(l) });
  try {
    const slots = new ClientSlots(2);
    const a = slots.take()!;
    const b = slots.take()!;
    a.release();
    a.release(); // the bug: must not give b's slot away
    assert.equal(slots.inUse, 1, "b still holds its slot");
    assert.equal(slots.doubleReleases, 1);
    const c = slots.take()!;
    assert.equal(slots.take(), undefined, "no slot over the limit");
    b.release();
    c.release();
    assert.equal(slots.inUse, 0);
    const errors = lines.map((l) => JSON.parse(l)).filter((r) =>
      r.level === "ERROR"
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /client slot was released twice \(bug\)/);
  } finally {
    setupLogging({ debug: false, format: "json", write: () => {} });
  }
});

Deno.test("UpgradeGate: checks in order, counts each refusal, holds a slot per admission", () => {
  const gate = new UpgradeGate({
    origins: ["https://a.example"],
    requireOrigin: false,
    protocols: ["chat"],
    maxClients: 1,
  });
  // A malformed handshake is refused as such even from a bad origin.
  const bad = gate.admit(
    handshake({ "sec-websocket-key": null, origin: "https://evil" }),
  );
  assert.equal(bad.kind === "refuse" && bad.status, 400);
  const version = gate.admit(handshake({ "sec-websocket-version": "8" }));
  assert.deepEqual(version.kind === "refuse" && version.headers, {
    "sec-websocket-version": "13",
  });
  const origin = gate.admit(handshake({ origin: "https://evil" }));
  assert.equal(origin.kind === "refuse" && origin.status, 403);

  const admitted = gate.admit(
    handshake({ "sec-websocket-protocol": "x, chat" }),
  );
  assert.equal(admitted.kind, "admit");
  assert.equal(admitted.kind === "admit" && admitted.protocol, "chat");
  assert.equal(gate.slotsInUse, 1);

  const full = gate.admit(handshake());
  assert.equal(full.kind === "refuse" && full.status, 503);
  assert.deepEqual(full.kind === "refuse" && full.headers, {
    "retry-after": "5",
  });
  assert.equal(admitted.kind === "admit" && admitted.slot.release(), undefined);
  assert.equal(gate.slotsInUse, 0);
  if (admitted.kind === "admit") admitted.slot.release();
  assert.equal(gate.doubleReleases, 1, "a double release shows on the gate");
  assert.equal(gate.admit(handshake()).kind, "admit");
  assert.equal(gate.slotsInUse, 1);

  assert.deepEqual(gate.refused, {
    bad_request: 1,
    version: 1,
    origin: 1,
    capacity: 1,
    draining: 0,
  });
});

Deno.test("UpgradeGate with no options admits any valid handshake without a protocol", () => {
  const gate = new UpgradeGate(OPEN);
  const decision = gate.admit(
    handshake({ origin: "https://any.example", "sec-websocket-protocol": "a" }),
  );
  assert.equal(decision.kind, "admit");
  assert.equal(decision.kind === "admit" && decision.protocol, undefined);
});
