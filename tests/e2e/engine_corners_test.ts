/**
 * Corners of the wsecho engine (`--engine wsecho`) no other test reaches:
 * the cap on frames queued behind a write the client does not take
 * (--max-buffered), TLS clients that never say hello or stall their
 * request head, shutdown over wss://, and the console client against the
 * engine with compression.
 */
import assert from "node:assert/strict";
import { connectLine, runClient } from "../helpers/client.ts";
import { concat } from "../helpers/client_frames.ts";
import { frame, Opcode, RawClient, sleep } from "../helpers/raw_ws.ts";
import { type ServerProcess, startServer } from "../helpers/server.ts";
import { DENO_WSECHO } from "../helpers/targets.ts";
import { makeCertificate } from "../helpers/tls.ts";
import { connect, pattern, waitForHealth } from "../helpers/ws.ts";

const encoder = new TextEncoder();
const certificate = await makeCertificate("wsecho-engine-corners");

function startEngine(args: string[]): Promise<ServerProcess> {
  return startServer(DENO_WSECHO, { args });
}

/**
 * Runs `test` against the engine serving TLS with `args`, with an HTTP
 * client that trusts its certificate (for wss:// and https://).
 */
async function withTlsEngine(
  args: string[],
  test: (server: ServerProcess, http: Deno.HttpClient) => Promise<void>,
): Promise<void> {
  await using server = await startEngine([
    "--cert",
    certificate.certFile,
    "--key",
    certificate.keyFile,
    ...args,
  ]);
  const http = Deno.createHttpClient({ caCerts: [certificate.cert] });
  try {
    await test(server, http);
  } finally {
    http.close();
  }
}

/** No warning, error or stack trace in the server's log. */
function assertQuietLog(server: ServerProcess): void {
  const problems = server.records().filter((r) =>
    r.level !== "INFO" && r.level !== "DEBUG"
  );
  assert.deepEqual(problems, [], "no warning or error logged");
  assert.deepEqual(
    server.stderr.lines.filter((l) => l !== "" && !l.startsWith("{")),
    [],
    "only JSON log lines",
  );
}

Deno.test("[deno-wsecho] --max-buffered: a close queued behind an echo the client does not read passes the cap: dropped, 'over 8 bytes queued' logged with 1008, others closed with 1001, exit 0", async () => {
  await using server = await startEngine([
    "--max-buffered",
    "8",
    "--max-message",
    "32MiB",
    "--shutdown-timeout",
    "5",
  ]);
  await using steady = await connect(server.url);
  assert.equal(await steady.echo("warm-up"), "warm-up");
  using stuck = await RawClient.connect(server.port);
  stuck.pauseReading();
  // One message whose echo is far more than the kernel buffers between
  // us hold: the engine's write of it cannot finish.
  const size = 24 * 1024 * 1024;
  await stuck.write(frame({ opcode: Opcode.binary, payload: pattern(size) }));
  await waitForHealth(
    server.http,
    (h) => (h.messagesIn as { binary: number }).binary === 1,
  );
  // The queued frames stay under the cap until something else queues:
  // shutdown's 1001 (24 bytes) behind the write that does not move.
  assert.deepEqual(limitRecords(server), []);
  const status = await server.stop("SIGTERM");
  assert.equal(status.code, 0);
  const [refusal, ...more] = limitRecords(server);
  assert.deepEqual(more, []);
  assert.equal(refusal?.properties.code, 1008);
  assert.equal(refusal?.properties.reason, "not reading: over 8 bytes queued");
  assert.match(
    refusal.message,
    /closed with 1008: not reading: over 8 bytes queued$/,
  );
  const close = await steady.closed;
  assert.deepEqual([close.code, close.reason], [1001, "server shutting down"]);
  stuck.resumeReading();
  assert.ok(await stuck.closedWithin(2000), "the stuck client's TCP ended");
});

function limitRecords(server: ServerProcess) {
  return server.records().filter((r) => r.logger === "wsecho.limits");
}

/**
 * Measured on Deno 2.9.6: `close()` on a TLS connection from
 * `Deno.listenTls` whose peer never sent its ClientHello does not end the
 * TCP connection (the handshake task keeps it; seen open 12 s after the
 * close, with or without a read or write pending). The engine times the
 * head out and forgets the connection, but TCP stays open until the
 * client goes: the engine cannot drop it.
 */
const TLS_CLOSE_BEFORE_HELLO_KEEPS_TCP = true;

Deno.test(
  `[deno-wsecho] TLS: a client that never sends its ClientHello does not hold up others, before or after --handshake-timeout${
    TLS_CLOSE_BEFORE_HELLO_KEEPS_TCP
      ? " (KNOWN DENO DEFECT: closing a TLS connection before its ClientHello leaves TCP open, so it is forgotten, not dropped)"
      : ", and is dropped"
  }`,
  () =>
    withTlsEngine(["--handshake-timeout", "1"], async (server, http) => {
      const silent = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.port,
      });
      const started = Date.now();
      let endedAfter: number | undefined;
      const ended = readToEnd(silent).then(() =>
        endedAfter = Date.now() - started
      );
      // Bounded: an engine that waited for the silent one would hang here.
      await using ws = await within(
        3000,
        "a wss client's handshake",
        connect(`wss://127.0.0.1:${server.port}/`, { client: http }),
      );
      assert.equal(
        await within(3000, "an echo", ws.echo("while one is silent")),
        "while one is silent",
      );
      // The head timeout (1 s), the close wait (1.5 s) and a sweep (0.25 s).
      await Promise.race([ended, sleep(1000 + 1500 + 1000)]);
      if (TLS_CLOSE_BEFORE_HELLO_KEEPS_TCP) {
        assert.equal(
          endedAfter,
          undefined,
          "Deno now drops it: update the test",
        );
      } else {
        assert.ok(
          endedAfter !== undefined && endedAfter >= 900,
          `${endedAfter}`,
        );
      }
      assert.equal(await ws.echo("after it"), "after it");
      await using late = await connect(`wss://127.0.0.1:${server.port}/`, {
        client: http,
      });
      assert.equal(await late.echo("a new one"), "a new one");
      const health = await (await fetch(
        `https://127.0.0.1:${server.port}/healthz`,
        { client: http },
      )).json();
      assert.equal(health.clients, 2);
      silent.close();
      await ended;
      await server.stop();
      assertQuietLog(server);
    }),
);

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () => reject(new Error(`${what}: nothing within ${ms} ms`)),
          ms,
        )
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads until the server ends the connection (EOF or reset). */
async function readToEnd(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(1024);
  try {
    while (await conn.read(buffer) !== null) { /* nothing is expected */ }
  } catch { /* reset: ended too */ }
  try {
    conn.close();
  } catch { /* already closed */ }
}

Deno.test("[deno-wsecho] TLS: a request head that stalls after the TLS handshake gets 408 at --handshake-timeout, then the connection ends", () =>
  withTlsEngine(["--handshake-timeout", "1"], async (server) => {
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [certificate.cert],
    });
    const started = Date.now();
    await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(4096);
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        chunks.push(buffer.slice(0, n));
      }
    } catch { /* ended with an alert or a reset after the response */ }
    const after = Date.now() - started;
    conn.close();
    const response = new TextDecoder().decode(concat(...chunks));
    assert.match(response, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(after >= 900, `408 after ${after} ms, before the timeout`);
    await server.stop();
    assertQuietLog(server);
  }));

Deno.test("[deno-wsecho] SIGTERM over wss://: every client gets close 1001, then the process exits 0", async () => {
  await withTlsEngine(["--shutdown-timeout", "3"], async (server, http) => {
    const url = `wss://127.0.0.1:${server.port}/`;
    const clients = await Promise.all(
      [0, 1, 2].map(() => connect(url, { client: http })),
    );
    for (const [i, client] of clients.entries()) {
      assert.equal(await client.echo(`tls ${i}`), `tls ${i}`);
    }
    const started = Date.now();
    const exit = server.stop("SIGTERM");
    const closes = await Promise.all(clients.map((c) => c.closed));
    for (const close of closes) {
      assert.deepEqual(
        [close.code, close.reason, close.wasClean],
        [1001, "server shutting down", true],
      );
    }
    const status = await exit;
    assert.equal(status.code, 0);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    const shutdown = server.records().find((r) =>
      r.logger === "wsecho.shutdown" && r.properties.signal === "SIGTERM"
    );
    assert.equal(shutdown?.properties.clients, 3);
    assert.ok(server.records().some((r) => r.message === "stopped"));
    assertQuietLog(server);
  });
});

for (const runtime of ["deno", "bun"] as const) {
  Deno.test(`[${runtime} client, deno-wsecho server] client against the engine with --permessage-deflate: negotiated, long lines and a --file compressed both ways and echoed exactly, closed with 1000`, async () => {
    await using server = await startEngine(["--permessage-deflate", "--debug"]);
    // Over the ws client's 1 KiB threshold, so it compresses them too.
    const lines = ["short", "ü€𝄞 ".repeat(400), "x".repeat(5000)];
    const run = await runClient(runtime, [server.url], lines.join("\n") + "\n");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, lines.join("\n") + "\n");
    assert.match(
      run.stderr.trimEnd(),
      connectLine(server.url, "none", "permessage-deflate"),
    );
    const path = await Deno.makeTempFile({ prefix: "wsecho-engine-file-" });
    try {
      const bytes = pattern(200_000);
      await Deno.writeFile(path, bytes);
      const file = await runClient(runtime, ["--file", path, server.url]);
      assert.equal(file.code, 0, file.stderr);
      assert.equal(file.stdout, `echo matches: ${bytes.length} bytes\n`);
    } finally {
      await Deno.remove(path);
    }
    const health = await waitForHealth(server.http, (h) => h.clients === 0);
    assert.deepEqual(health.messagesIn, { text: 3, binary: 1 });
    assert.deepEqual(health.bytesIn, {
      text: lines.reduce((n, l) => n + encoder.encode(l).length, 0),
      binary: 200_000,
    });
    const byes = server.records().filter((r) =>
      r.message.includes("disconnected")
    );
    assert.deepEqual(byes.map((r) => r.properties.code), [1000, 1000]);
  });
}
