/**
 * `GET /metrics` in the Prometheus text exposition format (version 0.0.4).
 * It only reads counters that are kept anyway (`EchoStats`, the upgrade
 * gate's refusals); nothing is counted for it on the echo path.
 */
import type { HubView } from "../core/hub.ts";
import { REFUSAL_REASONS, type RefusalCounts } from "./upgrade_gate.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsSource {
  readonly hub: HubView;
  readonly refused: Readonly<RefusalCounts>;
  readonly runtime: { readonly name: string; readonly version: string };
  readonly version: string;
  /** `Date.now()` at start. */
  readonly startedAt: number;
}

type Labels = Record<string, string | number>;
type Sample = readonly [Labels, number];

export function renderMetrics(source: MetricsSource): string {
  const s = source.hub.stats;
  const byType = (text: number, binary: number): Sample[] => [
    [{ type: "text" }, text],
    [{ type: "binary" }, binary],
  ];
  const closes: Sample[] = [...s.closeCodes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([code, count]) => [{ code }, count]);
  return [
    family(
      "wsecho_build_info",
      "gauge",
      "Version of wsecho and of the runtime serving it.",
      [[{
        version: source.version,
        runtime: source.runtime.name,
        runtime_version: source.runtime.version,
      }, 1]],
    ),
    family(
      "wsecho_start_time_seconds",
      "gauge",
      "Start time of the server since the Unix epoch, in seconds.",
      [[{}, Math.floor(source.startedAt / 1000)]],
    ),
    family("wsecho_clients", "gauge", "WebSocket clients connected now.", [[
      {},
      source.hub.size,
    ]]),
    family(
      "wsecho_connections_total",
      "counter",
      "WebSocket connections opened.",
      [[{}, s.connectionsTotal]],
    ),
    family(
      "wsecho_messages_received_total",
      "counter",
      "Messages received, by type.",
      byType(s.textMessagesIn, s.binaryMessagesIn),
    ),
    family(
      "wsecho_messages_sent_total",
      "counter",
      "Messages sent (echoed), by type.",
      byType(s.textMessagesOut, s.binaryMessagesOut),
    ),
    family(
      "wsecho_received_bytes_total",
      "counter",
      "Payload bytes received, by message type.",
      byType(s.textBytesIn, s.binaryBytesIn),
    ),
    family(
      "wsecho_sent_bytes_total",
      "counter",
      "Payload bytes sent (echoed), by message type.",
      byType(s.textBytesOut, s.binaryBytesOut),
    ),
    family(
      "wsecho_closes_total",
      "counter",
      "WebSocket connections closed, by close code.",
      closes,
    ),
    family(
      "wsecho_upgrades_refused_total",
      "counter",
      "WebSocket upgrades refused, by reason.",
      REFUSAL_REASONS.map((reason) => [{ reason }, source.refused[reason]]),
    ),
  ].join("");
}

function family(
  name: string,
  type: "counter" | "gauge",
  help: string,
  samples: readonly Sample[],
): string {
  let text = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const [labels, value] of samples) {
    text += `${name}${formatLabels(labels)} ${value}\n`;
  }
  return text;
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) =>
    `${key}="${escapeLabelValue(String(value))}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Backslash, double quote and line feed must be escaped in label values. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}
