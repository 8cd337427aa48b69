/**
 * `--cert`/`--key` on both runtimes: wss:// and https:// with a throwaway
 * self-signed certificate that the clients trust as their only CA.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { makeCertificate } from "../helpers/tls.ts";
import { connect, pattern } from "../helpers/ws.ts";

const certificate = await makeCertificate();

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --cert/--key serve wss:// and https://`, async (t) => {
    await using server = await startServer(target, {
      args: ["--cert", certificate.certFile, "--key", certificate.keyFile],
    });
    const client = Deno.createHttpClient({ caCerts: [certificate.cert] });
    try {
      await t.step("the start-up log shows wss://", () => {
        const record = server.records().find((r) =>
          r.message.includes("listening on")
        );
        assert.match(String(record?.properties.url), /^wss:\/\//);
      });

      await t.step("https:// serves /healthz", async () => {
        const response = await fetch(
          `https://127.0.0.1:${server.port}/healthz`,
          { client },
        );
        assert.equal(response.status, 200);
        assert.equal((await response.json()).runtime, target.runtime);
      });

      await t.step("wss:// echoes text and binary", async () => {
        await using ws = await connect(`wss://127.0.0.1:${server.port}/`, {
          client,
        });
        assert.equal(await ws.echo("über TLS"), "über TLS");
        assert.deepEqual(await ws.echo(pattern(70_000)), pattern(70_000));
      });

      await t.step(
        "plain HTTP on the TLS port gets no HTTP answer",
        async () => {
          const conn = await Deno.connect({
            hostname: "127.0.0.1",
            port: server.port,
          });
          try {
            await conn.write(
              new TextEncoder().encode(
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
              ),
            );
            const buffer = new Uint8Array(64);
            const timer = setTimeout(() => conn.close(), 3000);
            const n = await conn.read(buffer).catch(() => null);
            clearTimeout(timer);
            const text = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
            assert.doesNotMatch(text, /^HTTP\//);
          } finally {
            try {
              conn.close();
            } catch { /* closed by the timer */ }
          }
        },
      );
    } finally {
      client.close();
    }
  });
}
