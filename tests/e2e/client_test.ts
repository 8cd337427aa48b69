/**
 * The console echo client (`main.ts client URL`), run as a real process on
 * each runtime against the real server on each runtime.
 */
import assert from "node:assert/strict";
import {
  helpHint,
  LineCollector,
  serverCommand,
  startServer,
} from "../helpers/server.ts";
import { RUNTIME_TARGETS, TARGETS } from "../helpers/targets.ts";
import type { RuntimeName } from "../helpers/server.ts";
import { waitForHealth } from "../helpers/ws.ts";

interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the client to completion with `input` on its stdin. */
async function runClient(
  runtime: RuntimeName,
  args: string[],
  input = "",
): Promise<ClientRun> {
  const [command, fullArgs] = serverCommand(runtime, [
    "client",
    ...args,
  ]);
  const child = new Deno.Command(command, {
    args: fullArgs,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

const LINES = ["Hello, world!", "second line", "ünïcödé 🦕", ""];

for (const target of RUNTIME_TARGETS) {
  Deno.test(`[${target.name}] client: sends stdin lines as text, prints each echo, closes 1000, exits 0`, async (t) => {
    for (const serverTarget of TARGETS) {
      await t.step(`against the ${serverTarget.name} server`, async () => {
        await using server = await startServer(serverTarget, {
          args: ["--debug"],
        });
        const run = await runClient(
          target.runtime,
          [server.url],
          LINES.join("\n") + "\n",
        );
        // One line on stderr: the connect line (tests/e2e/client_handshake_test.ts).
        assert.match(run.stderr, /^[^\n]* connected to [^\n]*\n$/);
        assert.equal(run.code, 0);
        assert.equal(run.stdout, LINES.join("\n") + "\n");
        const bye = await server.waitForLog("disconnected");
        assert.equal(bye.properties.code, 1000);
        const health = await (await fetch(`${server.http}/healthz`)).json();
        assert.deepEqual(health.messagesIn, { text: 4, binary: 0 });
      });
    }
  });

  Deno.test(`[${target.name}] client: --binary sends UTF-8 bytes as binary and prints echoes as hex`, async () => {
    await using server = await startServer(target);
    const run = await runClient(
      target.runtime,
      ["--binary", server.url],
      "hi\n🦕\n",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "6869\nf09fa695\n");
    const health = await (await fetch(`${server.http}/healthz`)).json();
    assert.deepEqual(health.messagesIn, { text: 0, binary: 2 });
    assert.deepEqual(health.bytesIn, { text: 0, binary: 6 });
  });

  Deno.test(`[${target.name}] client: --message sends once without reading stdin`, async () => {
    await using server = await startServer(target);
    const [command, args] = serverCommand(target.runtime, [
      "client",
      server.url,
      "--message",
      "Hello, world!",
    ]);
    // stdin stays open: the client must not wait for it to end.
    const child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { code, stdout } = await child.output();
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout), "Hello, world!\n");
  });

  Deno.test(`[${target.name}] client: --debug logs each round trip on stderr`, async () => {
    await using server = await startServer(target);
    const run = await runClient(
      target.runtime,
      [server.url, "--debug", "--log-format", "json"],
      "one\ntwo\n",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "one\ntwo\n");
    const echoes = run.stderr.split("\n").filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((record) => record.message.includes("round trip"));
    assert.deepEqual(echoes.map((r) => [r.properties.n, r.properties.type]), [
      [1, "text"],
      [2, "text"],
    ]);
    for (const record of echoes) {
      assert.equal(record.level, "DEBUG");
      assert.equal(typeof record.properties.rtt, "number");
      assert.ok(record.properties.rtt >= 0 && record.properties.rtt < 10_000);
    }
  });

  Deno.test(`[${target.name}] client: empty stdin connects, sends nothing, exits 0`, async () => {
    await using server = await startServer(target);
    const run = await runClient(target.runtime, [server.url], "");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "");
  });

  Deno.test(`[${target.name}] client: unreachable server exits 1 with one line`, async () => {
    // Port 1: below the kernel's range for --port 0, so no test's server
    // can be there (a port found free and released could be taken).
    const url = "ws://127.0.0.1:1/";
    const run = await runClient(target.runtime, [url], "never sent\n");
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      new RegExp(`^wsecho client: cannot connect to ${url}.*\\n$`),
    );
  });

  Deno.test(`[${target.name}] client: a handshake the server refuses (403) exits 1 with one line`, async () => {
    // --require-origin turns away a client that sends no Origin, as this
    // console client does not; the refusal is the server's, not the network's.
    await using server = await startServer(target, {
      args: ["--origin", "https://good.example", "--require-origin"],
    });
    const run = await runClient(target.runtime, [server.url], "never sent\n");
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      // The status and the server's own reason for refusing.
      new RegExp(
        `^wsecho client: cannot connect to ${server.url}: the server refused the handshake with HTTP 403 Forbidden: "Origin header required"\\n$`,
      ),
    );
    const health = await waitForHealth(server.http, () => true);
    assert.equal(
      (health.refusedUpgrades as Record<string, number>).origin,
      1,
      "refused by the server",
    );
  });

  Deno.test(`[${target.name}] client: server going away mid-session exits 1 naming code 1001`, async () => {
    await using server = await startServer(target);
    const [command, args] = serverCommand(target.runtime, [
      "client",
      server.url,
    ]);
    const child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = new LineCollector(child.stdout);
    const stderr = new LineCollector(child.stderr);
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("before shutdown\n"));
    await stdout.waitFor((line) => line === "before shutdown");
    // stdin stays open: the client is mid-session when the server stops.
    assert.equal((await server.stop("SIGTERM")).code, 0);
    const { code } = await child.status;
    await Promise.all([stdout.done, stderr.done]);
    await writer.close().catch(() => {});
    assert.equal(code, 1);
    assert.deepEqual(stderr.lines.slice(1), [
      'wsecho client: connection closed by the server (code 1001 "server shutting down")',
    ]);
  });

  Deno.test(`[${target.name}] client: bad command lines exit 2 with one line`, async () => {
    const cases: Array<[string[], string]> = [
      [[], "client needs a URL, e.g. 'wsecho client ws://localhost:1234/'"],
      [
        ["http://localhost:1234/"],
        "client URL must be a ws:// or wss:// URL, got 'http://localhost:1234/'",
      ],
      [
        ["not a url"],
        "client URL must be a ws:// or wss:// URL, got 'not a url'",
      ],
      [["ws://localhost/", "extra"], "unexpected argument 'extra'"],
      [["ws://localhost/", "--bogus"], "unknown option '--bogus'"],
      [["ws://localhost/", "--message"], "option '--message' needs a value"],
    ];
    for (const [args, message] of cases) {
      const run = await runClient(target.runtime, args);
      assert.equal(run.code, 2, `exit code for ${JSON.stringify(args)}`);
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        `wsecho: ${message} ${helpHint(target.runtime, "client")}\n`,
      );
    }
    const help = await runClient(target.runtime, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: wsecho client URL \[options\]/);
  });
}
