/**
 * Handshake validation (RFC 6455 §4.2.1) over raw TCP on both runtimes: we
 * refuse what Deno and Bun would let through (see lib/http/handshake.ts) with
 * 400, or 426 and `Sec-WebSocket-Version: 13`, and nothing we refuse
 * disturbs a client that is already connected.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { connect, waitForHealth } from "../helpers/ws.ts";
import { handshakeHead, rawRequest } from "../helpers/raw_http.ts";

/** `Sec-WebSocket-Accept` for `GOOD_KEY` (RFC 6455 §4.2.2 /key/ + GUID, SHA-1). */
const GOOD_ACCEPT = "BACScCJPNqyz+UBoqMH89VmURoA=";

interface BadCase {
  name: string;
  head: string;
  status: 400 | 426;
  body: string;
}

const VERSION_BODY = "Sec-WebSocket-Version must be 13\n";
const KEY_BODY = "Sec-WebSocket-Key must be 16 bytes in base64\n";
const CONNECTION_BODY = "Connection must contain 'upgrade'\n";

const BAD_CASES: BadCase[] = [
  {
    name: "Sec-WebSocket-Version: 12 (Deno upgrades it)",
    head: handshakeHead({ "Sec-WebSocket-Version": "12" }),
    status: 426,
    body: VERSION_BODY,
  },
  {
    name: "no Sec-WebSocket-Version (Deno upgrades it)",
    head: handshakeHead({ "Sec-WebSocket-Version": null }),
    status: 426,
    body: VERSION_BODY,
  },
  {
    name: "Sec-WebSocket-Version: 8 (hybi drafts)",
    head: handshakeHead({ "Sec-WebSocket-Version": "8" }),
    status: 426,
    body: VERSION_BODY,
  },
  {
    name: "key of 5 bytes (Deno upgrades it)",
    head: handshakeHead({ "Sec-WebSocket-Key": btoa("short") }),
    status: 400,
    body: KEY_BODY,
  },
  {
    name: "key of 17 bytes",
    head: handshakeHead({ "Sec-WebSocket-Key": btoa("0123456789abcdefg") }),
    status: 400,
    body: KEY_BODY,
  },
  {
    name: "key that is not base64",
    head: handshakeHead({ "Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!==" }),
    status: 400,
    body: KEY_BODY,
  },
  {
    name: "two keys",
    head: handshakeHead({}, [`Sec-WebSocket-Key: ${btoa("fedcba9876543210")}`]),
    status: 400,
    body: KEY_BODY,
  },
  {
    name: "no key",
    head: handshakeHead({ "Sec-WebSocket-Key": null }),
    status: 400,
    body: "Sec-WebSocket-Key is missing\n",
  },
  {
    name: "Connection: keep-alive (Bun upgrades it)",
    head: handshakeHead({ Connection: "keep-alive" }),
    status: 400,
    body: CONNECTION_BODY,
  },
  {
    name: "no Connection header (Bun upgrades it)",
    head: handshakeHead({ Connection: null }),
    status: 400,
    body: CONNECTION_BODY,
  },
  {
    name: "POST instead of GET",
    head: handshakeHead({}, [], "POST / HTTP/1.1"),
    status: 400,
    body: "the handshake must be a GET, not POST\n",
  },
];

for (const target of TARGETS) {
  Deno.test(`[${target.name}] malformed handshakes get 400, other versions 426, connected clients are untouched`, async (t) => {
    await using server = await startServer(target);
    await using steady = await connect(server.url);

    for (const bad of BAD_CASES) {
      await t.step(bad.name, async () => {
        const response = await rawRequest(server.port, bad.head);
        assert.equal(response.status, bad.status);
        assert.equal(response.body, bad.body);
        assert.equal(response.headers.get("upgrade"), null);
        assert.equal(response.headers.get("sec-websocket-accept"), null);
        assert.equal(
          response.headers.get("sec-websocket-version"),
          bad.status === 426 ? "13" : null,
        );
      });
    }

    await t.step("the connected client still echoes", async () => {
      assert.equal(await steady.echo("still here"), "still here");
      const health = await waitForHealth(server.http, () => true);
      assert.equal(health.clients, 1);
      assert.deepEqual(health.refusedUpgrades, {
        bad_request: BAD_CASES.filter((c) => c.status === 400).length,
        version: BAD_CASES.filter((c) => c.status === 426).length,
        origin: 0,
        capacity: 0,
        draining: 0,
      });
    });
  });

  Deno.test(`[${target.name}] a valid handshake is accepted with token lists and any case`, async () => {
    await using server = await startServer(target);
    const response = await rawRequest(
      server.port,
      handshakeHead({
        Upgrade: "WebSocket",
        Connection: "keep-alive, UPGRADE",
      }),
    );
    try {
      assert.equal(response.status, 101);
      assert.equal(response.headers.get("sec-websocket-accept"), GOOD_ACCEPT);
      assert.equal(response.headers.get("upgrade")?.toLowerCase(), "websocket");
      await waitForHealth(server.http, (h) => h.clients === 1);
    } finally {
      response.conn.close();
    }
    await waitForHealth(server.http, (h) => h.clients === 0);
  });

  Deno.test(`[${target.name}] GET / without upgrade headers still gets the page`, async () => {
    await using server = await startServer(target);
    const response = await rawRequest(
      server.port,
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/html/);
    assert.match(response.body, /<title>wsecho/);
  });
}
