/**
 * Large echoes with the default limits (--max-message 16 MiB, --max-buffered
 * 4 MiB) on both runtimes: a client that reads normally gets its 8 and
 * 16 MiB messages back byte for byte and closes normally. One message in
 * flight is not a slow consumer (issue 13: Deno used to close with 1008
 * "not reading" here); the slow-consumer test itself is in limits_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { startServer } from "../helpers/server.ts";
import { connect, pattern } from "../helpers/ws.ts";
import { TARGETS } from "../helpers/targets.ts";

const MIB = 1024 * 1024;

for (const target of TARGETS) {
  Deno.test(`[${target.name}] default limits: 8 and 16 MiB echoes, then close 1000 is answered with 1000`, async () => {
    await using server = await startServer(target);
    await using client = await connect(server.url);
    for (const size of [8 * MIB, 16 * MIB]) {
      const payload = pattern(size, size / MIB);
      const echoed = await client.echo(payload);
      assert.ok(echoed instanceof Uint8Array, `${size}: binary comes back`);
      assert.equal(echoed.byteLength, size);
      assert.ok(
        Buffer.from(echoed).equals(Buffer.from(payload)),
        `${size} bytes echoed unchanged`,
      );
    }
    // 8 MiB of text as well: the glue measures text in UTF-8 bytes.
    const text = "é".repeat(4 * MIB); // 8 MiB of UTF-8
    assert.equal(await client.echo(text), text);

    const closed = await client.close(1000, "done");
    assert.deepEqual(closed, { code: 1000, reason: "done", wasClean: true });
    const metrics = await (await fetch(`${server.http}/metrics`)).text();
    assert.match(metrics, /^wsecho_closes_total\{code="1000"\} 1$/m);
    assert.doesNotMatch(metrics, /code="1008"/);
    assert.equal(
      server.records().filter((r) => r.logger === "wsecho.limits").length,
      0,
      "no client was refused",
    );
  });
}
