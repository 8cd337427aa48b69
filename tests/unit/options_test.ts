import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/command.ts";
import { parsePort } from "../../lib/cli/numbers.ts";
import { UsageError } from "../../lib/cli/usage.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "../../lib/config/options.ts";

const noEnv = () => undefined;

/** The access and TLS options without their flags (tests/unit/access_options_test.ts). */
const ACCESS_DEFAULTS = {
  origins: [],
  requireOrigin: false,
  protocols: [],
  maxClients: 0,
  tls: undefined,
  trustProxy: [],
};

/** `--workers` when not given (tests/e2e/workers_test.ts). */
const WORKERS_DEFAULT = { workers: 1 };

/** The connection limits without their flags (tests/unit/limits_options_test.ts). */
const LIMIT_DEFAULTS = {
  maxMessage: 16 * 1024 * 1024,
  maxBuffered: 4 * 1024 * 1024,
  idleTimeout: 60,
  shutdownTimeout: 5,
  engine: "builtin",
  handshakeTimeout: 10,
  permessageDeflate: false,
};

function serveOptions(args: string[], env: Record<string, string> = {}) {
  const command = parseCommand(args, (name) => env[name]);
  assert.equal(command.kind, "serve");
  return command.options;
}

function usageError(args: string[], env: Record<string, string> = {}) {
  try {
    parseCommand(args, (name) => env[name]);
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    return error;
  }
  assert.fail(`no error for ${JSON.stringify(args)}`);
}

Deno.test("defaults match Qt's echoserver: all interfaces, port 1234, no debug", () => {
  assert.deepEqual(serveOptions([]), {
    port: DEFAULT_PORT,
    host: DEFAULT_HOST,
    debug: false,
    logFormat: "pretty",
    ...ACCESS_DEFAULTS,
    ...WORKERS_DEFAULT,
    ...LIMIT_DEFAULTS,
  });
  assert.equal(DEFAULT_PORT, 1234);
  assert.equal(DEFAULT_HOST, "0.0.0.0");
});

Deno.test("short and long flags", () => {
  assert.deepEqual(serveOptions(["-p", "80", "-H", "::", "-d"]), {
    port: 80,
    host: "::",
    debug: true,
    logFormat: "pretty",
    ...ACCESS_DEFAULTS,
    ...WORKERS_DEFAULT,
    ...LIMIT_DEFAULTS,
  });
  assert.deepEqual(
    serveOptions(["--port=0", "--host", "[::1]", "--log-format", "json"]),
    {
      port: 0,
      host: "::1",
      debug: false,
      logFormat: "json",
      ...ACCESS_DEFAULTS,
      ...WORKERS_DEFAULT,
      ...WORKERS_DEFAULT,
      ...LIMIT_DEFAULTS,
    },
  );
});

Deno.test("PORT from the environment, and --port wins over it", () => {
  assert.equal(serveOptions([], { PORT: "8080" }).port, 8080);
  assert.equal(serveOptions(["-p", "9"], { PORT: "8080" }).port, 9);
  assert.match(usageError([], { PORT: "http" }).message, /^PORT must be/);
});

Deno.test("help and version win over everything else", () => {
  assert.deepEqual(parseCommand(["-h"], noEnv), { kind: "help" });
  assert.deepEqual(parseCommand(["--port", "1", "--help"], noEnv), {
    kind: "help",
  });
  assert.deepEqual(parseCommand(["-V"], noEnv), { kind: "version" });
});

Deno.test("ports: 0 to 65535 in decimal, nothing else", () => {
  for (const [text, port] of [["0", 0], ["65535", 65535], ["08", 8]] as const) {
    assert.equal(parsePort(text, "--port"), port);
  }
  for (const bad of ["", "-1", "65536", "1e3", "0x10", "12a", "1.5", " "]) {
    assert.throws(() => parsePort(bad, "--port"), UsageError, bad);
  }
});

Deno.test("every bad input is one short line with exit code 2", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--bogus"], /^unknown option '--bogus'$/],
    [["-x"], /^unknown option '-x'$/],
    [["--port"], /^option '--port' needs a value$/],
    [["-p"], /^option '--port' needs a value$/],
    [["--port", "--debug"], /^option '--port' needs a value$/],
    [["--debug=yes"], /^option '--debug' takes no value$/],
    [["--port", "99999"], /^--port 99999 is out of range \(0-65535\)$/],
    [["--port", "-1"], /^--port -1 is out of range \(0-65535\)$/],
    [["-p", "-1"], /^--port -1 is out of range \(0-65535\)$/],
    [["--port", "-1.5"], /^--port must be a whole number from 0 to 65535/],
    [
      ["--max-clients", "-3"],
      /^--max-clients -3 is out of range \(0 or more\)$/,
    ],
    [["-w", "-2"], /^--workers -2 is out of range \(1-128\)$/],
    // After `--`, a negative number is a stray argument like any other.
    [["--", "-1"], /^unexpected argument '-1'$/],
    [
      ["--log-format", "xml"],
      /^--log-format must be 'pretty' or 'json', got 'xml'$/,
    ],
    [
      ["--host", ""],
      /^--host must be an IP address or a host name .*, got ''$/,
    ],
    [
      ["--host", "999.1.1.1"],
      /^--host 999\.1\.1\.1 is not a valid IPv4 address/,
    ],
    [["--host", "1.2.3.4.5"], /^--host 1\.2\.3\.4\.5 is not a valid IPv4/],
    [["--host", "01.2.3.4"], /^--host 01\.2\.3\.4 is not a valid IPv4/],
    [["--host", ":::1"], /^--host :::1 is not a valid IPv6 address/],
    [["--host", "[1.2.3.4]"], /^--host \[1\.2\.3\.4\] is not a valid IPv6/],
    [
      ["--host", "bad-.example"],
      /^--host must be an IP address or a host name/,
    ],
    [["--host", "a/b"], /^--host must be an IP address or a host name/],
    [["stray"], /^unexpected argument 'stray'$/],
  ];
  for (const [args, message] of cases) {
    const error = usageError(args);
    assert.match(error.message, message, JSON.stringify(args));
    assert.equal(error.exitCode, 2);
    assert.ok(!error.message.includes("\n"), "one line");
  }
});

Deno.test("--host: addresses and host names that can exist are taken as given", () => {
  for (
    const host of [
      "0.0.0.0",
      "127.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1%eth0",
      "::ffff:127.0.0.1",
      "localhost",
      "my-host.example.com",
      "example.com.",
      "host_1",
    ]
  ) {
    assert.equal(serveOptions(["--host", host]).host, host);
  }
  assert.equal(serveOptions(["--host", "[::1]"]).host, "::1");
});

Deno.test("a negative number is taken as the value of the option before it", () => {
  // The client's options go through the same parser.
  const command = parseCommand(
    ["client", "ws://localhost:1/", "-m", "-1"],
    noEnv,
  );
  assert.equal(command.kind, "client");
  assert.equal(command.options.message, "-1");
});
