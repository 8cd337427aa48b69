/**
 * Logging setup, in one place (modules get their loggers from
 * lib/core/log.ts). LogTape (npm `@logtape/logtape`) stands in for
 * `@std/log`, which is both unreachable here (JSR) and deprecated in Deno's
 * std; LogTape is Deno-first, has no dependencies and runs unchanged on Bun.
 *
 * Records go to stderr so that stdout stays free for program output (the
 * `--help` text, the console client's echoes).
 */
import process from "node:process";
import {
  configureSync,
  getTextFormatter,
  type LogRecord,
  type Sink,
  type TextFormatter,
} from "@logtape/logtape";
import { CATEGORY } from "../core/log.ts";
import { escapeInvisible, PeerText } from "../core/preview.ts";
import type { LogFormat } from "../config/options.ts";

export interface LogSetup {
  debug: boolean;
  format: LogFormat;
  /** Where formatted lines go; stderr unless a test captures them. */
  write?: (line: string) => void;
  /**
   * Which worker writes, where several serve one port (`--workers`,
   * `deno serve --parallel`): asked for each line, since a `deno serve`
   * isolate learns it has siblings only after it has started.
   */
  worker?: () => string | undefined;
}

/**
 * Text lines: `2025-01-02 03:04:05.678 [INF] wsecho: message`, or with a
 * worker `… [INF] wsecho (worker 1): message`.
 */
function prettyFormatter(worker: () => string | undefined): TextFormatter {
  return getTextFormatter({
    timestamp: "date-time",
    level: "ABBR",
    // The category is always "wsecho[.sub]"; the short form keeps lines narrow.
    category: ".",
    // Strings as they are; anything a peer controls is escaped before
    // logging, or is a PeerText that shows itself escaped.
    value: "bare",
    format: ({ timestamp, level, category, message }) => {
      const who = worker();
      const source = who === undefined
        ? category
        : `${category} (worker ${who})`;
      return `${timestamp} [${level}] ${source}: ${message}`;
    },
  });
}

function noWorker(): undefined {
  return undefined;
}

/**
 * A value inside a message: strings bare (like the pretty format), a
 * peer's text as its preview, the rest as JSON.
 */
function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof PeerText) return value.toString();
  return JSON.stringify(value) ?? String(value);
}

/**
 * JSON Lines: `@timestamp`, `level`, `logger`, `worker` (only where several
 * serve), `message`, `properties`, like LogTape's own formatter, but with the message rendered as the pretty
 * format renders it (strings not quoted) so both read the same.
 */
export function jsonLine(
  record: LogRecord,
  worker: () => string | undefined = noWorker,
): string {
  const message = record.message.map((part, i) =>
    i % 2 === 0 ? part as string : renderValue(part)
  ).join("");
  // Escaped after JSON.stringify, which leaves bidi and other format
  // characters (and C1 controls) as they are: the values parse back the
  // same, but cannot reorder or hide text in a terminal or log viewer.
  return escapeInvisible(JSON.stringify({
    "@timestamp": new Date(record.timestamp).toISOString(),
    level: record.level.toUpperCase(),
    logger: record.category.join("."),
    worker: worker(),
    message,
    properties: record.properties,
  })) + "\n";
}

/**
 * Configures LogTape for the whole process. Safe to call again (tests,
 * `deno serve` workers): the previous configuration is replaced.
 */
export function setupLogging(setup: LogSetup): void {
  const write = setup.write ?? ((line: string) => process.stderr.write(line));
  const worker = setup.worker ?? noWorker;
  const format = setup.format === "json"
    ? (record: LogRecord) => jsonLine(record, worker)
    : prettyFormatter(worker);
  const sink: Sink = (record: LogRecord) => write(format(record));
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      {
        category: [CATEGORY],
        lowestLevel: setup.debug ? "debug" : "info",
        sinks: ["stderr"],
      },
      // LogTape's own diagnostics: only problems.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
}
