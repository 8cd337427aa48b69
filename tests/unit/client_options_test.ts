/**
 * `wsecho client …` parsing: the subcommand's options, defaults and errors
 * (end to end, with exit codes, in tests/e2e/client_test.ts).
 */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/command.ts";
import { UsageError } from "../../lib/cli/usage.ts";

const noEnv = () => undefined;

function clientOptions(args: string[]) {
  const command = parseCommand(["client", ...args], noEnv);
  assert.equal(command.kind, "client");
  return command.options;
}

function usageMessage(args: string[]): string {
  try {
    parseCommand(["client", ...args], noEnv);
  } catch (error) {
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`no error for ${JSON.stringify(args)}`);
}

Deno.test("client: a URL alone reads stdin as text lines", () => {
  assert.deepEqual(clientOptions(["ws://localhost:1234"]), {
    url: "ws://localhost:1234/",
    binary: false,
    message: undefined,
    debug: false,
    logFormat: "pretty",
  });
});

Deno.test("client: short and long flags, in any order", () => {
  assert.deepEqual(
    clientOptions(["-b", "-d", "wss://[::1]:8443/echo", "-m", "Hello, world!"]),
    {
      url: "wss://[::1]:8443/echo",
      binary: true,
      message: "Hello, world!",
      debug: true,
      logFormat: "pretty",
    },
  );
  assert.equal(clientOptions(["ws://h/", "--message="]).message, "");
  assert.equal(
    clientOptions(["ws://h/", "--log-format", "json"]).logFormat,
    "json",
  );
});

Deno.test("client: --help, and server options are not client options", () => {
  assert.deepEqual(parseCommand(["client", "--help"], noEnv), {
    kind: "client-help",
  });
  assert.equal(
    usageMessage(["ws://h/", "--port", "1"]),
    "unknown option '--port'",
  );
});

Deno.test("client: a missing or non-WebSocket URL is a usage error", () => {
  assert.match(usageMessage([]), /^client needs a URL/);
  for (const url of ["http://h/", "localhost:1234", "", "ws//h"]) {
    assert.equal(
      usageMessage([url]),
      `client URL must be a ws:// or wss:// URL, got '${url}'`,
    );
  }
  assert.equal(
    usageMessage(["ws://a/", "ws://b/"]),
    "unexpected argument 'ws://b/'",
  );
  assert.equal(
    usageMessage(["ws://h/", "--log-format", "xml"]),
    "--log-format must be 'pretty' or 'json', got 'xml'",
  );
});
