/**
 * What the logs show, on both runtimes: `--debug` previews escape what could
 * reorder or hide text in an operator's terminal (Unicode format and bidi
 * controls, category Cf), not only C0/C1 controls.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { connect } from "../helpers/ws.ts";
import { TARGETS } from "../helpers/targets.ts";

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --debug previews escape bidi and format controls`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    await using client = await connect(server.url);
    const text = "evil\u202etxt.exe\u2066x\u2069\u200b\ufeff";
    assert.equal(await client.echo(text), text);
    const record = await server.waitForLog("echoed text message");
    assert.equal(
      record.properties.preview,
      '"evil\\u202etxt.exe\\u2066x\\u2069\\u200b\\ufeff"',
    );
  });
}
