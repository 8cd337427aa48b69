/**
 * Who the server says a client is, over real sockets on both runtimes:
 * `/healthz` answers an HTTP/1.0 request without `Host` (HAProxy's default
 * health check; Bun once failed it with a 500 and a stack trace), its
 * `client` field names the TCP peer, and `--trust-proxy` decides whether
 * X-Forwarded-For / Forwarded may say otherwise, in `/healthz` and in the
 * log lines. Through real proxies: tests/e2e/proxy_test.ts.
 */
import assert from "node:assert/strict";
import { rawRequest } from "../helpers/raw_http.ts";
import { closeCodeOf, Opcode, RawClient } from "../helpers/raw_ws.ts";
import { runCli, type ServerProcess, startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";

/** `/healthz` by raw request with `headers`, from 127.0.0.1. */
async function healthWith(
  server: ServerProcess,
  headers: string[] = [],
): Promise<Record<string, unknown>> {
  const head = ["GET /healthz HTTP/1.1", "Host: 127.0.0.1", ...headers]
    .join("\r\n") + "\r\n\r\n";
  const response = await rawRequest(server.port, head);
  assert.equal(response.status, 200);
  return JSON.parse(response.body);
}

const FORGED = "X-Forwarded-For: 198.51.100.66";

for (const target of TARGETS) {
  Deno.test(`[${target.name}] HTTP/1.0 GET /healthz without Host: 200, and nothing in the log`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    const response = await rawRequest(
      server.port,
      "GET /healthz HTTP/1.0\r\n\r\n",
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const health = JSON.parse(response.body);
    assert.equal(health.status, "ok");
    assert.equal(health.client, "127.0.0.1");
    // The same for the page and an unknown path: no URL to build on either.
    const page = await rawRequest(server.port, "GET / HTTP/1.0\r\n\r\n");
    assert.equal(page.status, 200);
    const missing = await rawRequest(server.port, "GET /x HTTP/1.0\r\n\r\n");
    assert.equal(missing.status, 404);
    await server.stop();
    // Every line is one of ours (JSON); no stack trace, no error.
    const stray = server.stderr.lines.filter((line) =>
      line !== "" && !line.startsWith("{")
    );
    assert.deepEqual(stray, []);
    assert.deepEqual(
      server.records().filter((r) => r.level !== "INFO" && r.level !== "DEBUG")
        .map((r) => r.message),
      [],
    );
  });

  Deno.test(`[${target.name}] without --trust-proxy, or from an untrusted address, forwarding headers are ignored`, async () => {
    await using plain = await startServer(target);
    // We connect from 127.0.0.1; only ::1 and 10/8 are trusted.
    await using elsewhere = await startServer(target, {
      args: ["--trust-proxy", "::1", "--trust-proxy", "10.0.0.0/8"],
    });
    for (const server of [plain, elsewhere]) {
      assert.equal((await healthWith(server, [FORGED])).client, "127.0.0.1");
      assert.equal(
        (await healthWith(server, ["Forwarded: for=198.51.100.66"])).client,
        "127.0.0.1",
      );
    }
  });

  Deno.test(`[${target.name}] --trust-proxy 127.0.0.0/8: /healthz, the connect line and a refusal line name the forwarded client`, async () => {
    await using server = await startServer(target, {
      args: [
        "--trust-proxy",
        "127.0.0.0/8",
        "--debug",
        "--max-message",
        "16",
      ],
    });
    // The right-most address that is not a trusted proxy.
    assert.equal(
      (await healthWith(server, [
        "X-Forwarded-For: 198.51.100.66, 203.0.113.7, 127.0.0.5",
      ])).client,
      "203.0.113.7",
    );
    assert.equal(
      (await healthWith(server, [
        'Forwarded: for="[2001:db8:cafe::17]:4711";proto=http',
      ])).client,
      "2001:db8:cafe::17",
    );
    // A trusted peer that forwards nothing is the client itself.
    assert.equal((await healthWith(server)).client, "127.0.0.1");

    using client = await RawClient.connect(server.port, {
      headers: { "X-Forwarded-For": "203.0.113.7" },
    });
    const connected = await server.waitForLog("connected from");
    assert.equal(connected.properties.remote, "203.0.113.7");
    // Too big for --max-message: closed with 1009, and the line says who.
    await client.send({ opcode: Opcode.text, payload: "x".repeat(64) });
    const close = await client.next();
    assert.equal(close?.opcode, Opcode.close);
    assert.equal(closeCodeOf(close!), 1009);
    const refusal = await server.waitForLog("closed with 1009");
    assert.equal(refusal.properties.remote, "203.0.113.7");
  });

  Deno.test(`[${target.name}] --trust-proxy with a bad value: exit 2, one line`, async () => {
    for (const bad of ["localhost", "10.0.0.0/33", "fd00::/129"]) {
      const { code, stdout, stderr } = await runCli(target, [
        "--trust-proxy",
        bad,
      ]);
      assert.equal(code, 2, bad);
      assert.equal(stdout, "");
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0], new RegExp(`--trust-proxy .*'${bad}'`));
    }
  });
}
