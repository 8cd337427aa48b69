/** Unit tests of the runtime-agnostic HTTP side. */
import assert from "node:assert/strict";
import { EchoStats } from "../../lib/core/hub.ts";
import { trustedProxies } from "../../lib/http/cidr.ts";
import { hasToken } from "../../lib/http/header_tokens.ts";
import {
  createHttpHandler,
  type Decision,
  failedUpgradeResponse,
  type PeerAddress,
} from "../../lib/http/routes.ts";
import { UpgradeGate } from "../../lib/http/upgrade_gate.ts";

/** The TCP peer of every request in these tests, unless one says otherwise. */
const LOOPBACK: PeerAddress = () => "127.0.0.1";

/** The handler's decision on each request, as a glue gets it. */
function decider(
  draining = false,
  trustProxy: string[] = [],
  gate = new UpgradeGate({
    origins: [],
    requireOrigin: false,
    protocols: [],
    maxClients: 0,
  }),
) {
  const stats = new EchoStats();
  stats.connectionsTotal = 3;
  stats.textMessagesIn = 2;
  const handle = createHttpHandler({
    hub: { size: 1, stats },
    runtime: { name: "deno", version: "2.9.6", engine: "builtin" },
    version: "1.2.3",
    startedAt: Date.now() - 2000,
    isDraining: () => draining,
    gate,
    trustedProxies: trustedProxies(trustProxy),
  });
  return (request: Request, peer = LOOPBACK): Decision => handle(request, peer);
}

/** The response the handler decides on; fails on a decision to upgrade. */
function handler(draining = false, trustProxy: string[] = []) {
  const decide = decider(draining, trustProxy);
  return (request: Request, peer = LOOPBACK): Response => {
    const decision = decide(request, peer);
    if (decision.kind !== "respond") assert.fail("must not upgrade");
    return decision.response;
  };
}
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
  const response = handler()(request("/"));
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
      "protocols",
      "reconnect",
      "message",
      "hex",
      "file",
      "send",
      "log",
      "copy",
      "clear",
    ]
  ) {
    assert.ok(html.includes(`id="${id}"`), id);
  }
  assert.ok(!/<script src|<link /.test(html), "nothing loaded from elsewhere");
  assert.ok(
    !/\son[a-z]+=/.test(html),
    "no inline handlers: the CSP would block them",
  );
});

Deno.test("GET / has a CSP that allows exactly the page's own script and style", async () => {
  const response = handler()(request("/"));
  const html = await response.text();
  const policy = response.headers.get("content-security-policy") ?? "";
  const directives = new Map(
    policy.split(";").map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
  const hash = async (text: string) => {
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(text),
    );
    return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
  };
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
  assert.equal(scripts.length, 1);
  assert.equal(styles.length, 1);
  assert.deepEqual(directives.get("default-src"), ["'none'"]);
  assert.deepEqual(directives.get("script-src"), [await hash(scripts[0][1])]);
  assert.deepEqual(directives.get("style-src"), [await hash(styles[0][1])]);
  assert.deepEqual(directives.get("connect-src"), ["'self'", "ws:", "wss:"]);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("HEAD / answers headers without a body", async () => {
  const response = handler()(request("/", { method: "HEAD" }));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "");
});

Deno.test("GET /healthz reports status, runtime, clients and totals", async () => {
  const response = handler()(request("/healthz"));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.headers.get("cache-control"), "no-store");
  const health = await response.json();
  assert.equal(health.status, "ok");
  assert.equal(health.client, "127.0.0.1");
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
  const missing = h(request("/nope"));
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "Not Found\n");
  for (const path of ["/", "/healthz"]) {
    const post = h(request(path, { method: "POST", body: "x" }));
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
  }
});

Deno.test("an upgrade on any path is decided, not performed: protocol, client and slot for the glue", () => {
  const gate = new UpgradeGate({
    origins: [],
    requireOrigin: false,
    protocols: ["chat"],
    maxClients: 2,
  });
  for (const path of ["/", "/any/path?x=1", "/healthz"]) {
    const decide = decider(false, ["127.0.0.1"], gate);
    const request = upgradeRequest(path);
    request.headers.set("sec-websocket-protocol", "chat");
    request.headers.set("x-forwarded-for", "203.0.113.7");
    const decision = decide(request);
    assert.equal(decision.kind, "upgrade", path);
    if (decision.kind !== "upgrade") continue;
    assert.equal(decision.protocol, "chat");
    assert.equal(decision.client, "203.0.113.7");
    assert.equal(gate.slotsInUse, 1, "the slot is held until released");
    decision.slot.release();
    assert.equal(gate.slotsInUse, 0);
  }
});

Deno.test("a handshake the runtime refuses becomes 400 with the reason, its slot given back", async () => {
  const gate = new UpgradeGate({
    origins: [],
    requireOrigin: false,
    protocols: [],
    maxClients: 1,
  });
  const decision = decider(false, [], gate)(upgradeRequest());
  if (decision.kind !== "upgrade") assert.fail("must upgrade");
  assert.equal(gate.slotsInUse, 1);
  const response = failedUpgradeResponse(
    gate,
    decision.slot,
    new TypeError("Invalid Header: 'sec-websocket-key' header must be set"),
  );
  assert.equal(response.status, 400);
  assert.match(
    await response.text(),
    /^Bad WebSocket handshake: Invalid Header/,
  );
  assert.equal(gate.slotsInUse, 0);
  assert.equal(gate.refused.bad_request, 1);
  assert.equal(gate.doubleReleases, 0);
});

Deno.test("while draining, upgrades get 503 and /healthz answers 503 with status draining", async () => {
  const h = handler(true);
  const refused = h(upgradeRequest());
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  await refused.body?.cancel();
  const response = h(request("/healthz"));
  // 503, so that load balancers' health checks take the instance out.
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("content-type"), "application/json");
  const health = await response.json();
  assert.equal(health.status, "draining");
  assert.equal(health.clients, 1);
});

Deno.test("/healthz works for a request whose url is a bare path (Bun, no Host)", async () => {
  // Bun hands over HTTP/1.0 requests without Host with url "/healthz".
  const bare = { method: "GET", url: "/healthz", headers: new Headers() };
  const response = handler()(bare as Request);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).status, "ok");
});

const FORGED = { "x-forwarded-for": "203.0.113.7" };

Deno.test("/healthz names the TCP peer as the client when no proxy is trusted, whatever the headers say", async () => {
  const h = handler();
  let asked = 0;
  const peer = () => (asked++, "192.0.2.1");
  const health = await h(
    request("/healthz", { headers: FORGED }),
    peer,
  ).json();
  assert.equal(health.client, "192.0.2.1");
  assert.equal(asked, 1);
});

Deno.test("/healthz names the forwarded client when the peer is a trusted proxy", async () => {
  const h = handler(false, ["127.0.0.1", "10.0.0.0/8"]);
  const ask = async (peer: string, headers: Record<string, string>) =>
    (await h(request("/healthz", { headers }), () => peer)
      .json()).client;
  assert.equal(await ask("127.0.0.1", FORGED), "203.0.113.7");
  assert.equal(
    await ask("10.1.2.3", { forwarded: 'for="[2001:db8::7]:4711"' }),
    "2001:db8::7",
  );
  // Untrusted peer: its headers are ignored.
  assert.equal(await ask("192.0.2.1", FORGED), "192.0.2.1");
  // Trusted peer without the headers: the peer is the client.
  assert.equal(await ask("127.0.0.1", {}), "127.0.0.1");
});

Deno.test("upgrades get the forwarded client from a trusted proxy only, and nothing is read without --trust-proxy", () => {
  const clientOf = (
    decide: ReturnType<typeof decider>,
    peer: PeerAddress,
  ) => {
    const request = upgradeRequest();
    request.headers.set("x-forwarded-for", "198.51.100.9, 127.0.0.1");
    const decision = decide(request, peer);
    if (decision.kind !== "upgrade") assert.fail("must upgrade");
    return decision.client;
  };
  const never: PeerAddress = () => assert.fail("peer asked for");
  assert.equal(clientOf(decider(), never), undefined);
  const trusting = decider(false, ["127.0.0.0/8"]);
  assert.equal(clientOf(trusting, LOOPBACK), "198.51.100.9");
  assert.equal(clientOf(trusting, () => "192.0.2.1"), undefined);
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
