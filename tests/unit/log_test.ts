import assert from "node:assert/strict";
import { setupLogging } from "../../lib/app/logging.ts";
import { logger } from "../../lib/core/log.ts";

function capture(debug: boolean, format: "pretty" | "json") {
  const lines: string[] = [];
  setupLogging({ debug, format, write: (line) => lines.push(line) });
  return lines;
}

function quiet() {
  setupLogging({ debug: false, format: "json", write: () => {} });
}

Deno.test("JSON Lines: one parseable object per line with the standard fields", () => {
  const lines = capture(false, "json");
  try {
    logger("echo").info("listening on {url}", { url: "ws://0.0.0.0:1/", n: 1 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith("\n") && !lines[0].slice(0, -1).includes("\n"));
    const record = JSON.parse(lines[0]);
    assert.equal(record.level, "INFO");
    assert.equal(record.logger, "wsecho.echo");
    assert.equal(record.message, "listening on ws://0.0.0.0:1/");
    assert.deepEqual(record.properties, { url: "ws://0.0.0.0:1/", n: 1 });
    assert.ok(!Number.isNaN(Date.parse(record["@timestamp"])));
  } finally {
    quiet();
  }
});

Deno.test("pretty: timestamp, level, category and the message with bare strings", () => {
  const lines = capture(false, "pretty");
  try {
    logger().warn("cannot listen on {where}", { where: "0.0.0.0:80" });
    assert.match(
      lines[0],
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[WRN\] wsecho: cannot listen on 0\.0\.0\.0:80\n$/,
    );
  } finally {
    quiet();
  }
});

Deno.test("debug records appear only with --debug", () => {
  let lines = capture(false, "json");
  logger().debug("hidden");
  assert.deepEqual(lines, []);
  lines = capture(true, "json");
  logger().debug("shown");
  assert.equal(JSON.parse(lines[0]).level, "DEBUG");
  quiet();
});
