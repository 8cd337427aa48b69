/**
 * Bad values for the access and TLS options on both runtimes: one line on
 * stderr and exit code 2, never a stack trace and never a server that
 * listens anyway.
 */
import assert from "node:assert/strict";
import { helpHint, runCli } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { makeCertificate } from "../helpers/tls.ts";

const mine = await makeCertificate("wsecho-mine");
const other = await makeCertificate("wsecho-other");

interface BadInput {
  name: string;
  args: string[];
  /** The whole stderr, or a pattern where it holds a runtime's own words. */
  stderr: string | RegExp;
}

/** Where a usage error's help hint goes: the runtime's command (helpHint). */
const hint = " {hint}\n";

const BAD_INPUTS: BadInput[] = [
  {
    name: "--cert without --key",
    args: ["--cert", mine.certFile],
    stderr: "wsecho: --cert needs --key" + hint,
  },
  {
    name: "--key without --cert",
    args: ["--key", mine.keyFile],
    stderr: "wsecho: --key needs --cert" + hint,
  },
  {
    name: "a certificate file that does not exist",
    args: ["--cert", `${mine.dir}/missing.pem`, "--key", mine.keyFile],
    stderr:
      `wsecho: --cert: cannot read '${mine.dir}/missing.pem': no such file` +
      hint,
  },
  {
    name: "a directory as key",
    args: ["--cert", mine.certFile, "--key", mine.dir],
    stderr: `wsecho: --key: cannot read '${mine.dir}': is a directory` + hint,
  },
  {
    name: "a key file given as certificate",
    args: ["--cert", mine.keyFile, "--key", mine.keyFile],
    stderr:
      `wsecho: --cert: '${mine.keyFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)` +
      hint,
  },
  {
    name: "a key that does not belong to the certificate",
    args: ["--cert", mine.certFile, "--key", other.keyFile],
    stderr: new RegExp(
      `cannot listen on 127\\.0\\.0\\.1:0: --cert '${mine.certFile}' and --key '${other.keyFile}' were refused: .+\\n$`,
    ),
  },
  {
    name: "--max-clients=-1",
    args: ["--max-clients=-1"],
    stderr: "wsecho: --max-clients -1 is out of range (0 or more)" + hint,
  },
  {
    name: "--max-clients -3",
    args: ["--max-clients", "-3"],
    stderr: "wsecho: --max-clients -3 is out of range (0 or more)" + hint,
  },
  {
    name: "--max-clients many",
    args: ["--max-clients", "many"],
    stderr:
      "wsecho: --max-clients must be a whole number from 0 up, got 'many'" +
      hint,
  },
  {
    name: "--origin without a scheme",
    args: ["--origin", "example.com"],
    stderr:
      "wsecho: --origin must be an origin like 'https://example.com' (scheme, host, optional port), got 'example.com'" +
      hint,
  },
  {
    name: "--protocol with a space",
    args: ["--protocol", "chat v1"],
    stderr:
      "wsecho: --protocol must be an HTTP token (letters, digits, !#$%&'*+-.^_`|~), got 'chat v1'" +
      hint,
  },
  {
    name: "--require-origin without --origin",
    args: ["--require-origin"],
    stderr: "wsecho: --require-origin needs at least one --origin" + hint,
  },
];

for (const target of TARGETS) {
  Deno.test(`[${target.name}] bad access and TLS options exit 2 with one line`, async (t) => {
    for (const bad of BAD_INPUTS) {
      await t.step(bad.name, async () => {
        const result = await runCli(target, [
          "--port",
          "0",
          "--host",
          "127.0.0.1",
          ...bad.args,
        ]);
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stdout, "");
        if (typeof bad.stderr === "string") {
          assert.equal(
            result.stderr,
            bad.stderr.replace("{hint}", helpHint(target.runtime)),
          );
        } else {
          assert.match(result.stderr, bad.stderr);
          assert.equal(result.stderr.trimEnd().split("\n").length, 1);
          assert.doesNotMatch(result.stderr, /listening on/);
        }
      });
    }
  });
}
