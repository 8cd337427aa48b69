/**
 * The console client over wss:// against the real server's --cert/--key,
 * with a throwaway self-signed certificate made like the deployment recipe:
 * refused by default with a line that says what to do, trusted with --ca,
 * accepted with -k and a warning. Client and server on each runtime.
 */
import { type RuntimeName, RUNTIMES } from "../../tools/server_process.ts";
import assert from "node:assert/strict";
import {
  helpHint,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { makeCertificate } from "../helpers/tls.ts";
import { connectLine, runClient } from "../helpers/client.ts";
import { targetOf } from "../helpers/targets.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const certificate = await makeCertificate("wsecho-client-tls");
const stranger = await makeCertificate("wsecho-client-stranger");

async function startTlsServer(runtime: RuntimeName) {
  const server = await startServer(targetOf(runtime), {
    args: ["--cert", certificate.certFile, "--key", certificate.keyFile],
  });
  return { server, url: server.url.replace(/^ws:/, "wss:") };
}

async function binaryCount(server: ServerProcess): Promise<unknown> {
  const health =
    await (await fetch(`${server.http.replace(/^http:/, "https:")}/healthz`, {
      client: Deno.createHttpClient({ caCerts: [certificate.cert] }),
    })).json();
  return health.messagesIn;
}

for (const runtime of RUNTIMES) {
  for (const serverRuntime of RUNTIMES) {
    const name = `[${runtime} client, ${serverRuntime} server] client wss://`;

    Deno.test(`${name}: an untrusted certificate is one line naming --ca and -k, exit 1`, async () => {
      const { server, url } = await startTlsServer(serverRuntime);
      await using _ = server;
      for (const args of [[], ["--ca", stranger.certFile]]) {
        const run = await runClient(runtime, [url, "-m", "hi", ...args]);
        assert.equal(run.code, 1, run.stderr);
        assert.equal(run.stdout, "");
        // Node says "self-signed certificate", Bun "self signed certificate".
        assert.match(
          run.stderr,
          new RegExp(
            `^wsecho client: cannot connect to ${
              url.replaceAll(".", "\\.")
            }: the server's certificate is not trusted \\(self[- ]signed certificate\\); trust it with --ca FILE, or skip the check with -k/--insecure ${
              escapeRegExp(helpHint(runtime, "client"))
            }\\n$`,
          ),
          `with ${JSON.stringify(args)}`,
        );
      }
      assert.deepEqual(await binaryCount(server), { text: 0, binary: 0 });
    });

    Deno.test(`${name}: --ca trusts the server's certificate`, async () => {
      const { server, url } = await startTlsServer(serverRuntime);
      await using _ = server;
      const run = await runClient(
        runtime,
        [url, "--ca", certificate.certFile, "--hex"],
        "ff fe\n",
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "fffe\n");
      assert.match(run.stderr.trimEnd(), connectLine(url));
      assert.deepEqual(await binaryCount(server), { text: 0, binary: 1 });
    });

    Deno.test(`${name}: -k accepts any certificate, with a warning`, async () => {
      const { server, url } = await startTlsServer(serverRuntime);
      await using _ = server;
      const run = await runClient(runtime, [url, "-k"], "hello\n");
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "hello\n");
      const [warning, connected, ...rest] = run.stderr.trimEnd().split("\n");
      assert.match(
        warning,
        /\[WRN\] wsecho\.client: -k\/--insecure: the server's certificate is not checked; /,
      );
      assert.match(connected, connectLine(url));
      assert.deepEqual(rest, []);
    });
  }

  Deno.test(`[${runtime}] client: -k and --ca are refused for ws:// URLs, and --ca must be a PEM certificate`, async () => {
    const cases: Array<[string[], string]> = [
      [
        ["ws://127.0.0.1:1/", "-k"],
        "-k/--insecure applies to wss:// URLs only",
      ],
      [
        ["ws://127.0.0.1:1/", "--ca", certificate.certFile],
        "--ca applies to wss:// URLs only",
      ],
      [
        ["wss://127.0.0.1:1/", "--ca", certificate.keyFile],
        `--ca: '${certificate.keyFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ],
      [
        ["wss://127.0.0.1:1/", "--ca", `${certificate.dir}/missing.pem`],
        `--ca: cannot read '${certificate.dir}/missing.pem': no such file`,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runClient(runtime, args);
      assert.equal(run.code, 2, JSON.stringify(args));
      assert.equal(
        run.stderr,
        `wsecho: ${message} ${helpHint(runtime, "client")}\n`,
      );
    }
  });
}
