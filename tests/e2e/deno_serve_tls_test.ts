/**
 * `deno serve` cannot serve TLS for us (Deno listens there), so --cert/--key
 * are refused rather than silently serving plain ws://.
 */
import assert from "node:assert/strict";
import { MAIN } from "../helpers/server.ts";
import { makeCertificate } from "../helpers/tls.ts";

Deno.test("[deno serve] --cert/--key exit 2 instead of serving plain ws://", async () => {
  const certificate = await makeCertificate();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "-A",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      MAIN,
      "--cert",
      certificate.certFile,
      "--key",
      certificate.keyFile,
    ],
    stdin: "null",
    stdout: "null",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 2);
  const text = new TextDecoder().decode(stderr);
  assert.match(
    text,
    /^wsecho: --cert\/--key cannot be used under 'deno serve' \(Deno listens there\); use 'deno run' instead$/m,
  );
  assert.doesNotMatch(text, /serving on/);
});
