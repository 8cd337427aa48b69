/**
 * `GET /metrics` on both runtimes: Prometheus text format with HELP/TYPE for
 * every family, and counts that match real traffic, closes and refusals.
 */
import assert from "node:assert/strict";
import {
  type RuntimeName,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { startDenoServe } from "../helpers/deno_serve.ts";
import { TARGETS } from "../helpers/targets.ts";
import { connect, pattern, waitForHealth } from "../helpers/ws.ts";
import { handshakeHead, rawRequest } from "../helpers/raw_http.ts";

/** Samples by `name{labels}` as written, after checking the format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const declared = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.trimEnd().split("\n")) {
    const help = /^# HELP (\w+) \S/.exec(line);
    if (help) {
      helped.add(help[1]);
      continue;
    }
    const type = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (type) {
      assert.ok(helped.has(type[1]), `HELP before TYPE for ${type[1]}`);
      declared.set(type[1], type[2]);
      continue;
    }
    const sample = /^(\w+)(\{[^}]*\})? (\d+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const [, name, labels = "", value] = sample;
    const kind = declared.get(name);
    assert.ok(kind, `sample before its TYPE: ${line}`);
    assert.equal(kind === "counter", name.endsWith("_total"), name);
    samples.set(name + labels, Number(value));
  }
  return samples;
}

const METRICS_ARGS = ["--origin", "https://good.example"];

/**
 * Drives known traffic through a server started with METRICS_ARGS and
 * checks every count /metrics gives for it.
 */
async function checkMetrics(
  server: ServerProcess,
  runtime: RuntimeName,
): Promise<void> {
  await using steady = await connect(server.url);
  {
    await using client = await connect(server.url);
    await client.echo("héllo"); // 6 bytes of UTF-8
    await client.echo(pattern(10));
    await client.echo(pattern(5));
    assert.equal((await client.close(4001, "done")).code, 4001);
  }
  // One client vanishes without a close frame: 1006 on both runtimes.
  const dropped = await rawRequest(server.port, handshakeHead());
  assert.equal(dropped.status, 101);
  await waitForHealth(server.http, (h) => h.clients === 2);
  dropped.conn.close();
  assert.equal(
    (await rawRequest(
      server.port,
      handshakeHead({ "Sec-WebSocket-Version": "7" }),
    )).status,
    426,
  );
  assert.equal(
    (await rawRequest(
      server.port,
      handshakeHead({}, ["Origin: https://evil.example"]),
    )).status,
    403,
  );
  await waitForHealth(server.http, (h) => h.clients === 1);

  const response = await fetch(`${server.http}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  const samples = parseExposition(await response.text());
  const expected: Record<string, number> = {
    "wsecho_clients": 1,
    "wsecho_connections_total": 3,
    'wsecho_messages_received_total{type="text"}': 1,
    'wsecho_messages_received_total{type="binary"}': 2,
    'wsecho_messages_sent_total{type="text"}': 1,
    'wsecho_messages_sent_total{type="binary"}': 2,
    'wsecho_received_bytes_total{type="text"}': 6,
    'wsecho_received_bytes_total{type="binary"}': 15,
    'wsecho_sent_bytes_total{type="text"}': 6,
    'wsecho_sent_bytes_total{type="binary"}': 15,
    'wsecho_closes_total{code="1006"}': 1,
    'wsecho_closes_total{code="4001"}': 1,
    'wsecho_upgrades_refused_total{reason="bad_request"}': 0,
    'wsecho_upgrades_refused_total{reason="version"}': 1,
    'wsecho_upgrades_refused_total{reason="origin"}': 1,
    'wsecho_upgrades_refused_total{reason="capacity"}': 0,
    'wsecho_upgrades_refused_total{reason="draining"}': 0,
  };
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(samples.get(key), value, key);
  }
  const closes = [...samples.keys()].filter((k) =>
    k.startsWith("wsecho_closes_total")
  );
  assert.equal(closes.length, 2, closes.join());
  const info = [...samples.keys()].find((k) =>
    k.startsWith("wsecho_build_info")
  );
  assert.match(info!, new RegExp(`runtime="${runtime}"`));
  assert.equal(await steady.echo("still here"), "still here");
}

for (const target of TARGETS) {
  Deno.test(`[${target.name}] /metrics counts clients, messages, bytes, closes by code and refusals`, async () => {
    await using server = await startServer(target, { args: METRICS_ARGS });
    await checkMetrics(server, target.runtime);
  });

  Deno.test(`[${target.name}] /metrics answers HEAD without a body and other methods with 405`, async () => {
    await using server = await startServer(target);
    const head = await fetch(`${server.http}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const post = await fetch(`${server.http}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
  });
}

// The runtime matrix (docs/runtimes.md) says /metrics works under
// `deno serve` too: the same traffic and counts, on the default export.
Deno.test("[deno serve] /metrics counts clients, messages, bytes, closes by code and refusals", async () => {
  await using server = await startDenoServe({ args: METRICS_ARGS });
  await checkMetrics(server, "deno");
});
