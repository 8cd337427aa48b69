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
    format: "text",
    message: undefined,
    file: undefined,
    headers: [],
    protocols: [],
    origin: undefined,
    insecure: false,
    ca: undefined,
    debug: false,
    logFormat: "pretty",
  });
});

Deno.test("client: short and long flags, in any order", () => {
  assert.deepEqual(
    clientOptions(["-b", "-d", "wss://[::1]:8443/echo", "-m", "Hello, world!"]),
    {
      url: "wss://[::1]:8443/echo",
      format: "binary",
      message: "Hello, world!",
      file: undefined,
      headers: [],
      protocols: [],
      origin: undefined,
      insecure: false,
      ca: undefined,
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

Deno.test("client: handshake and TLS options", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const command = parseCommand(
    [
      "client",
      "wss://h/",
      "-H",
      "X-A: 1",
      "--header",
      "x-b:two  words ",
      "--protocol",
      "chat",
      "--protocol",
      "v2.echo",
      "--origin",
      "https://a.example",
      "-k",
      "--ca",
      "ca.pem",
    ],
    noEnv,
    (path) => path === "ca.pem" ? pem : assert.fail(path),
  );
  assert.equal(command.kind, "client");
  const { headers, protocols, origin, insecure, ca } = command.options;
  assert.deepEqual(headers, [["X-A", "1"], ["x-b", "two  words"]]);
  assert.deepEqual(protocols, ["chat", "v2.echo"]);
  assert.equal(origin, "https://a.example");
  assert.equal(insecure, true);
  assert.deepEqual(ca, { file: "ca.pem", pem });
  assert.deepEqual(parseCommand(["client", "-V"], noEnv), { kind: "version" });
});

Deno.test("client: message formats and what cannot be combined", () => {
  assert.equal(clientOptions(["ws://h/", "--hex"]).format, "hex");
  assert.equal(clientOptions(["ws://h/", "--file", "f.bin"]).file, "f.bin");
  assert.equal(
    clientOptions(["ws://h/", "--hex", "-m", "ff FE"]).message,
    "ff FE",
  );
  assert.equal(
    usageMessage(["ws://h/", "--hex", "-b"]),
    "--binary (bytes as read) and --hex (hex text) cannot be used together",
  );
  assert.equal(
    usageMessage(["ws://h/", "--file", "f", "-m", "x"]),
    "--message and --file cannot be used together",
  );
  assert.equal(
    usageMessage(["ws://h/", "--file", "f", "--hex"]),
    "--file sends the file's bytes as they are; drop --hex",
  );
  assert.match(
    usageMessage(["ws://h/", "--hex", "-m", "abc"]),
    /^--message is not hex/,
  );
  assert.equal(
    usageMessage(["ws://h/", "--protocol", "a b"]),
    "--protocol must be a token (letters, digits, !#$%&'*+-.^_`|~), got 'a b'",
  );
  assert.equal(
    usageMessage(["ws://h/", "--protocol", "a", "--protocol", "a"]),
    "--protocol names must differ",
  );
  assert.match(
    usageMessage(["ws://h/", "--origin", "a.example"]),
    /^--origin must be an origin/,
  );
  for (const header of ["Host: x", "Upgrade: h2c", "Origin: https://a"]) {
    assert.match(
      usageMessage(["ws://h/", "-H", header]),
      /^-H\/--header cannot set /,
    );
  }
});
