/** Unit tests of the runtime-agnostic HTTP side. */
import assert from "node:assert/strict";
import { EchoStats } from "../../lib/core/hub.ts";
import { hasToken } from "../../lib/http/header_tokens.ts";
import { createHttpHandler, type Upgrade } from "../../lib/http/routes.ts";
import { UpgradeGate } from "../../lib/http/upgrade_gate.ts";

function handler(draining = false) {
  const stats = new EchoStats();
  stats.connectionsTotal = 3;
  stats.textMessagesIn = 2;
  return createHttpHandler({
    hub: { size: 1, stats },
    runtime: { name: "deno", version: "2.9.6", engine: "builtin" },
    version: "1.2.3",
    startedAt: Date.now() - 2000,
    isDraining: () => draining,
    gate: new UpgradeGate({
      origins: [],
      requireOrigin: false,
      protocols: [],
      maxClients: 0,
    }),
  });
}

const noUpgrade: Upgrade = () => assert.fail("must not upgrade");
const request = (path: string, init?: RequestInit) =>
  new Request(`http://localhost${path}`, init);
const upgradeRequest = (path = "/") =>
  request(path, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": btoa("0123456789abcdef"),
      "sec-websocket-version": "13",
    },
  });

Deno.test("GET / serves the self-contained HTML client", async () => {
  const response = handler()(request("/"), noUpgrade)!;
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/html; charset=utf-8",
  );
  const html = await response.text();
  assert.match(html, /<title>wsecho: WebSocket echo client<\/title>/);
  for (
    const id of [
      "url",
      "connect",
      "disconnect",
      "state",
      "send-text",
      "send-binary",
      "log",
    ]
  ) {
    assert.ok(html.includes(`id="${id}"`), id);
  }
  assert.ok(!/<script src|<link /.test(html), "nothing loaded from elsewhere");
});

Deno.test("HEAD / answers headers without a body", async () => {
  const response = handler()(request("/", { method: "HEAD" }), noUpgrade)!;
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "");
});

Deno.test("GET /healthz reports status, runtime, clients and totals", async () => {
  const response = handler()(request("/healthz"), noUpgrade)!;
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.headers.get("cache-control"), "no-store");
  const health = await response.json();
  assert.equal(health.status, "ok");
  assert.equal(health.version, "1.2.3");
  assert.equal(health.runtime, "deno");
  assert.equal(health.runtimeVersion, "2.9.6");
  assert.equal(health.engine, "builtin");
  assert.equal(health.uptimeSeconds, 2);
  assert.equal(health.clients, 1);
  assert.equal(health.connectionsTotal, 3);
  assert.deepEqual(health.messagesIn, { text: 2, binary: 0 });
});

Deno.test("unknown paths are 404, other methods on known paths 405", async () => {
  const h = handler();
  const missing = h(request("/nope"), noUpgrade)!;
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "Not Found\n");
  for (const path of ["/", "/healthz"]) {
    const post = h(request(path, { method: "POST", body: "x" }), noUpgrade)!;
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
  }
});

Deno.test("an upgrade on any path is handed to the runtime", () => {
  const answer = new Response(null, { status: 200 });
  for (const path of ["/", "/any/path?x=1", "/healthz"]) {
    let called = 0;
    const response = handler()(upgradeRequest(path), () => {
      called++;
      return answer;
    });
    assert.equal(response, answer);
    assert.equal(called, 1, path);
  }
});

Deno.test("a handshake the runtime refuses becomes 400 with the reason", async () => {
  const response = handler()(upgradeRequest(), () => {
    throw new TypeError(
      "Invalid Header: 'sec-websocket-key' header must be set",
    );
  })!;
  assert.equal(response.status, 400);
  assert.match(
    await response.text(),
    /^Bad WebSocket handshake: Invalid Header/,
  );
});

Deno.test("while draining, upgrades get 503 and /healthz says draining", async () => {
  const h = handler(true);
  const refused = h(upgradeRequest(), noUpgrade)!;
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  await refused.body?.cancel();
  const health = await h(request("/healthz"), noUpgrade)!.json();
  assert.equal(health.status, "draining");
});

Deno.test("header token lists are matched case-insensitively", () => {
  assert.ok(hasToken("keep-alive, Upgrade", "upgrade"));
  assert.ok(hasToken("WebSocket", "websocket"));
  assert.ok(hasToken(" upgrade ", "upgrade"));
  assert.ok(hasToken("upgrade,", "upgrade"));
  assert.ok(!hasToken("upgraded", "upgrade"));
  assert.ok(!hasToken("upgrad,", "upgrade"));
  assert.ok(!hasToken("upgrad ", "upgrade"));
  assert.ok(!hasToken("", "upgrade"));
  assert.ok(!hasToken(null, "upgrade"));
});
