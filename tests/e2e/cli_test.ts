/**
 * The command line on both runtimes: help, version, every usage error with
 * its exit code, a port in use, logs, and the plain HTTP routes.
 */
import assert from "node:assert/strict";
import config from "../../deno.json" with { type: "json" };
import {
  helpHint,
  launchServer,
  runCli,
  serverCommand,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { type Target, TARGETS } from "../helpers/targets.ts";
import { onFreePort } from "../helpers/net.ts";
import { connect, waitForHealth } from "../helpers/ws.ts";

/**
 * Starts the server with no --port, so that $PORT decides (on a free port,
 * tried again if another test takes it first).
 */
async function startOnEnvPort(
  target: Target,
): Promise<{ server: ServerProcess; port: number }> {
  const [command, args] = serverCommand(target.runtime, [
    "--log-format",
    "json",
    ...target.args,
  ]);
  return await onFreePort(async (port) => ({
    server: await launchServer(target, command, args, {
      env: { PORT: String(port) },
    }),
    port,
  }));
}

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --help prints usage on stdout and exits 0`, async () => {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout, stderr } = await runCli(target, [flag]);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: wsecho \[options\]/);
      assert.match(stdout, /-p, --port PORT/);
      assert.equal(stderr, "");
    }
  });

  Deno.test(`[${target.name}] --version names the version and the runtime`, async () => {
    const { code, stdout } = await runCli(target, ["-V"]);
    assert.equal(code, 0);
    assert.match(
      stdout,
      new RegExp(
        `^wsecho ${config.version} \\(${target.runtime} \\d+\\.\\d+\\.\\d+\\)\\n$`,
      ),
    );
  });

  Deno.test(`[${target.name}] bad input: one line on stderr, exit 2, no stack trace`, async () => {
    const cases: Array<[string[], string, Record<string, string>?]> = [
      [
        ["--port", "abc"],
        "--port must be a whole number from 0 to 65535, got 'abc'",
      ],
      [["--port", "70000"], "--port 70000 is out of range (0-65535)"],
      [["--port", "-1"], "--port -1 is out of range (0-65535)"],
      [["-p", "-1"], "--port -1 is out of range (0-65535)"],
      [["--port=-1"], "--port -1 is out of range (0-65535)"],
      [["--max-clients", "-3"], "--max-clients -3 is out of range (0 or more)"],
      [["--workers", "-2"], "--workers -2 is out of range (1-128)"],
      [
        ["--max-message", "-1"],
        "--max-message -1 is out of range (1-1GiB)",
      ],
      [
        ["--max-buffered", "-4MiB"],
        "--max-buffered -4MiB is out of range (1-1GiB)",
      ],
      [
        ["--idle-timeout", "-5"],
        "--idle-timeout -5 is out of range (0-960 seconds)",
      ],
      [
        ["--shutdown-timeout", "-1"],
        "--shutdown-timeout -1 is out of range (0-3600 seconds)",
      ],
      [
        ["--handshake-timeout", "-10"],
        "--handshake-timeout -10 is out of range (0-3600 seconds)",
      ],
      [
        ["--host", "999.1.1.1"],
        "--host 999.1.1.1 is not a valid IPv4 address (four numbers 0-255, e.g. 127.0.0.1)",
      ],
      [
        ["--host", "1.2.3"],
        "--host 1.2.3 is not a valid IPv4 address (four numbers 0-255, e.g. 127.0.0.1)",
      ],
      [
        ["--host", "fe80::1::2"],
        "--host fe80::1::2 is not a valid IPv6 address (e.g. ::1, ::, fe80::1%eth0)",
      ],
      [
        ["--host", "[::g]"],
        "--host [::g] is not a valid IPv6 address (e.g. ::1, ::, fe80::1%eth0)",
      ],
      [
        ["--host", "local host"],
        "--host must be an IP address or a host name (e.g. 0.0.0.0, ::, localhost), got 'local host'",
      ],
      [
        ["--max-message", "10MB"],
        "--max-message 10MB: sizes take binary units (MiB, 1048576 bytes), not MB; write 10MiB",
      ],
      [
        ["--max-buffered", "512kb"],
        "--max-buffered 512kb: sizes take binary units (KiB, 1024 bytes), not KB; write 512KiB",
      ],
      [
        ["--idle-timeout", "2m"],
        "--idle-timeout takes a plain number of seconds: write 120, not '2m'",
      ],
      [["--frobnicate"], "unknown option '--frobnicate'"],
      [["--port"], "option '--port' needs a value"],
      [
        ["--log-format", "xml"],
        "--log-format must be 'pretty' or 'json', got 'xml'",
      ],
      [["serve"], "unexpected argument 'serve'"],
      [[], "PORT must be a whole number from 0 to 65535, got 'x'", {
        PORT: "x",
      }],
      [[], "PORT=-1 is out of range (0-65535)", { PORT: "-1" }],
    ];
    for (const [args, message, env] of cases) {
      const { code, stdout, stderr } = await runCli(target, args, env);
      assert.equal(code, 2, `${args}: ${stderr}`);
      assert.equal(
        stderr,
        `wsecho: ${message} ${helpHint(target.runtime)}\n`,
      );
      assert.equal(stdout, "");
    }
  });

  Deno.test(`[${target.name}] a port in use: a clear error and exit 1`, async () => {
    await using busy = await startServer(target);
    const { code, stderr } = await runCli(target, [
      "--port",
      String(busy.port),
      "--host",
      "127.0.0.1",
      "--log-format",
      "json",
    ]);
    assert.equal(code, 1);
    const record = JSON.parse(stderr.trim().split("\n").at(-1)!);
    assert.equal(record.level, "ERROR");
    assert.equal(
      record.message,
      `cannot listen on 127.0.0.1:${busy.port}: address already in use`,
    );
    assert.ok(!stderr.includes("    at "), "no stack trace");
  });

  Deno.test(`[${target.name}] PORT from the environment is honoured`, async () => {
    const { server, port } = await startOnEnvPort(target);
    await using _ = server;
    const record = await server.waitForLog("listening on");
    assert.equal(record.properties.url, `ws://0.0.0.0:${port}/`);
    await using client = await connect(server.url);
    assert.equal(await client.echo("via $PORT"), "via $PORT");
  });

  Deno.test(`[${target.name}] a port it may not bind: "permission denied" and exit 1`, async () => {
    // Tests run as root, which may bind any port; without the capability
    // CAP_NET_BIND_SERVICE (dropped from the bounding set, so not even root
    // regains it on exec) binding a port below 1024 fails with EACCES.
    const [command, args] = serverCommand(target.runtime, [
      "--port",
      "1",
      "--host",
      "127.0.0.1",
      "--log-format",
      "json",
      ...target.args,
    ]);
    // As any other user the port is out of reach already (and setpriv
    // could not drop the capability).
    const [program, programArgs] = Deno.uid() === 0
      ? [
        "setpriv",
        [
          "--bounding-set=-net_bind_service",
          "--inh-caps=-net_bind_service",
          "--",
          command,
          ...args,
        ],
      ]
      : [command, args];
    const { code, stdout, stderr } = await new Deno.Command(program, {
      args: programArgs,
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 1, text);
    assert.equal(new TextDecoder().decode(stdout), "");
    const record = JSON.parse(text.trim().split("\n").at(-1)!);
    assert.equal(record.level, "ERROR");
    assert.equal(
      record.message,
      "cannot listen on 127.0.0.1:1: permission denied",
    );
    assert.ok(!text.includes("    at "), "no stack trace");
  });

  Deno.test(`[${target.name}] start-up lines: URL, page, runtime, version, the limits with --debug; every log line is JSON`, async () => {
    await using server = await startServer(target, {
      args: ["--debug", "--max-clients", "7", "--idle-timeout", "0"],
    });
    const start = await server.waitForLog("listening on");
    assert.equal(start.level, "INFO");
    const { runtimeVersion, engine } = start.properties;
    assert.match(String(runtimeVersion), /^\d+\.\d+\.\d+/);
    assert.equal(
      start.message,
      `wsecho ${config.version} listening on ws://0.0.0.0:${server.port}/ ` +
        `(${target.runtime} ${runtimeVersion}, engine ${engine}); ` +
        `page at http://localhost:${server.port}/`,
    );
    assert.equal(start.properties.url, `ws://0.0.0.0:${server.port}/`);
    assert.equal(start.properties.page, `http://localhost:${server.port}/`);
    assert.equal(start.properties.runtime, target.runtime);
    assert.equal(start.properties.version, config.version);
    assert.equal(start.properties.workers, 1);
    assert.ok(!("worker" in start), "a lone server's lines name no worker");
    const limits = await server.waitForLog("limits:");
    assert.equal(limits.level, "DEBUG");
    const handshake = engine === "wsecho" ? ", handshake timeout 10 s" : "";
    assert.equal(
      limits.message,
      "limits: max message 16MiB, max buffered 4MiB, max clients 7, " +
        `idle timeout off${handshake}, shutdown timeout 5 s`,
    );
    assert.equal(limits.properties.maxMessage, 16 * 1024 * 1024);
    assert.equal(limits.properties.maxClients, 7);
    assert.equal(limits.properties.idleTimeout, 0);
    {
      await using client = await connect(server.url);
      await client.echo("ping");
      await client.echo(new Uint8Array([1, 2]));
    }
    await server.waitForLog("disconnected");
    for (const line of server.stderr.lines.filter((l) => l !== "")) {
      assert.doesNotThrow(() => JSON.parse(line), line);
    }
  });

  Deno.test(`[${target.name}] --debug logs connect, each message and disconnect`, async () => {
    await using server = await startServer(target, { args: ["-d"] });
    {
      await using client = await connect(server.url);
      await client.echo("hello\nworld");
      await client.echo(new Uint8Array([0xde, 0xad]));
    }
    await server.waitForLog("disconnected");
    const messages = server.records().map((r) => r.message).filter((m) =>
      m.startsWith("#")
    );
    assert.equal(messages.length, 4, messages.join("\n"));
    // The test client (Deno's WebSocket) names itself; no Origin, no
    // subprotocol.
    assert.match(
      messages[0],
      /^#1 connected from 127\.0\.0\.1:\d+ \(1 connected\): path "\/", user-agent "Deno\/\d+\.\d+\.\d+"$/,
    );
    assert.equal(
      messages[1],
      '#1 echoed text message, 11 bytes: "hello\\nworld"',
    );
    assert.equal(messages[2], "#1 echoed binary message, 2 bytes: de ad");
    assert.match(
      messages[3],
      /^#1 disconnected from 127\.0\.0\.1:\d+: code 1000 \(0 connected\)$/,
    );
  });

  Deno.test(`[${target.name}] without --debug nothing is logged per message`, async () => {
    await using server = await startServer(target);
    {
      await using client = await connect(server.url);
      await client.echo("quiet");
    }
    await waitForHealth(server.http, (h) => h.clients === 0);
    assert.deepEqual(
      server.records().map((r) => r.message).filter((m) => m.startsWith("#")),
      [],
    );
  });

  Deno.test(`[${target.name}] plain HTTP: page, /healthz, 404`, async () => {
    await using server = await startServer(target);
    const page = await fetch(`${server.http}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(
      await page.text(),
      /<h1>wsecho<span>WebSocket echo client<\/span><\/h1>/,
    );
    const health = await fetch(`${server.http}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).runtime, target.runtime);
    const missing = await fetch(`${server.http}/missing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });

  Deno.test(`[${target.name}] the page's URL names the address listened on, when it is not a wildcard`, async () => {
    await using server = await startServer(target, {
      args: ["--host", "127.0.0.1"],
    });
    const start = await server.waitForLog("listening on");
    assert.equal(start.properties.page, `http://127.0.0.1:${server.port}/`);
    const page = await fetch(String(start.properties.page));
    assert.equal(page.status, 200);
    await page.body?.cancel();
  });

  Deno.test(`[${target.name}] --host localhost: a host name is still taken`, async () => {
    await using server = await startServer(target, {
      args: ["--host", "localhost"],
    });
    const start = await server.waitForLog("listening on");
    assert.match(
      String(start.properties.url),
      /^ws:\/\/(localhost|127\.0\.0\.1|\[::1\]):\d+\/$/,
    );
  });

  Deno.test(`[${target.name}] listens on IPv6 with --host ::1`, async () => {
    await using server = await startServer(target, {
      args: ["--host", "::1"],
    });
    const record = await server.waitForLog("listening on");
    assert.equal(record.properties.url, `ws://[::1]:${server.port}/`);
    await using client = await connect(`ws://[::1]:${server.port}/`);
    assert.equal(await client.echo("v6"), "v6");
  });
}
