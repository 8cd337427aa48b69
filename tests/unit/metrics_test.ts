/** Unit tests of the Prometheus rendering. */
import assert from "node:assert/strict";
import { EchoStats } from "../../lib/core/hub.ts";
import { escapeLabelValue, renderMetrics } from "../../lib/http/metrics.ts";

Deno.test("renderMetrics writes every family with HELP and TYPE, closes sorted by code", () => {
  const stats = new EchoStats();
  stats.connectionsTotal = 4;
  stats.textMessagesIn = 3;
  stats.binaryBytesOut = 99;
  stats.closeCodes.set(4000, 1);
  stats.closeCodes.set(1000, 2);
  const text = renderMetrics({
    hub: { size: 2, stats },
    refused: {
      bad_request: 1,
      version: 2,
      origin: 3,
      capacity: 4,
      draining: 5,
    },
    runtime: { name: "deno", version: "2.9.6" },
    version: "1.2.3",
    startedAt: 1_700_000_000_500,
  });
  const lines = text.split("\n");
  assert.equal(lines.at(-1), "", "ends with a newline");
  const expectedSamples = [
    'wsecho_build_info{version="1.2.3",runtime="deno",runtime_version="2.9.6"} 1',
    "wsecho_start_time_seconds 1700000000",
    "wsecho_clients 2",
    "wsecho_connections_total 4",
    'wsecho_messages_received_total{type="text"} 3',
    'wsecho_sent_bytes_total{type="binary"} 99',
    'wsecho_closes_total{code="1000"} 2',
    'wsecho_closes_total{code="4000"} 1',
    'wsecho_upgrades_refused_total{reason="draining"} 5',
  ];
  for (const sample of expectedSamples) {
    assert.ok(lines.includes(sample), sample);
  }
  assert.ok(
    lines.indexOf('wsecho_closes_total{code="1000"} 2') <
      lines.indexOf('wsecho_closes_total{code="4000"} 1'),
  );
  for (const line of lines.filter((l) => l.startsWith("# TYPE"))) {
    const [, , name, type] = line.split(" ");
    assert.ok(lines.some((l) => l.startsWith(`# HELP ${name} `)), name);
    assert.equal(type === "counter", name.endsWith("_total"), line);
  }
});

Deno.test("label values escape backslash, quote and newline", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});
