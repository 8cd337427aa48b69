/**
 * Unit tests of the access and TLS options: parsing, defaults, the files
 * behind --cert/--key (through an injected reader), runtime TLS errors.
 */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/command.ts";
import { UsageError } from "../../lib/cli/usage.ts";
import type { TextFileReader } from "../../lib/cli/tls_files.ts";
import { isTlsSetupError } from "../../lib/runtime/tls_errors.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";

const files: Record<string, string> = {
  "cert.pem": CERT,
  "key.pem": KEY,
  "ec.pem": KEY.replaceAll("PRIVATE KEY", "EC PRIVATE KEY"),
  "encrypted.pem": KEY.replaceAll("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
};

const readFake: TextFileReader = (path) => {
  if (path in files) return files[path];
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
};

function options(args: string[]) {
  const command = parseCommand(args, () => undefined, readFake);
  assert.equal(command.kind, "serve");
  return command.options;
}

function usageMessage(args: string[]): string {
  try {
    parseCommand(args, () => undefined, readFake);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`no error for ${JSON.stringify(args)}`);
}

Deno.test("access options: repeatable, normalized, deduplicated", () => {
  const parsed = options([
    "--origin",
    "HTTPS://A.example:443",
    "--origin=http://localhost:8080/",
    "--require-origin",
    "--protocol",
    "chat",
    "--protocol",
    "json",
    "--protocol",
    "chat",
    "--max-clients",
    "100",
  ]);
  assert.deepEqual(parsed.origins, [
    "https://a.example",
    "http://localhost:8080",
  ]);
  assert.equal(parsed.requireOrigin, true);
  assert.deepEqual(parsed.protocols, ["chat", "json"]);
  assert.equal(parsed.maxClients, 100);
  assert.equal(options(["--max-clients", "0"]).maxClients, 0);
});

Deno.test("access options: bad values are usage errors", () => {
  assert.equal(
    usageMessage(["--max-clients", "many"]),
    "--max-clients must be a whole number from 0 up, got 'many'",
  );
  assert.match(usageMessage(["--max-clients", "1.5"]), /^--max-clients must/);
  assert.match(usageMessage(["--origin", "https://a/b"]), /^--origin must be/);
  assert.match(usageMessage(["--protocol", "a,b"]), /^--protocol must be/);
  assert.equal(
    usageMessage(["--require-origin"]),
    "--require-origin needs at least one --origin",
  );
});

Deno.test("--trust-proxy: repeatable IPv4 and IPv6 addresses and ranges", () => {
  assert.deepEqual(options([]).trustProxy, []);
  assert.deepEqual(
    options([
      "--trust-proxy",
      "127.0.0.1",
      "--trust-proxy",
      "10.0.0.0/8",
      "--trust-proxy=fd00::/8",
      "--trust-proxy",
      "::1",
    ]).trustProxy,
    ["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"],
  );
});

Deno.test("--trust-proxy: anything but an address or range is a one-line usage error", () => {
  for (
    const bad of ["localhost", "10.0.0.0/33", "::/129", "10.0.0/8", "", "*"]
  ) {
    const message = usageMessage(["--trust-proxy", bad]);
    assert.equal(
      message,
      `--trust-proxy must be an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8), got '${bad}'`,
    );
  }
  assert.match(usageMessage(["--trust-proxy"]), /needs a value/);
});

Deno.test("--cert/--key: both read, PKCS#8 or SEC1 keys", () => {
  assert.deepEqual(options(["--cert", "cert.pem", "--key", "key.pem"]).tls, {
    certFile: "cert.pem",
    keyFile: "key.pem",
    cert: CERT,
    key: KEY,
  });
  assert.equal(
    options(["--cert", "cert.pem", "--key", "ec.pem"]).tls?.key,
    files["ec.pem"],
  );
  assert.equal(options([]).tls, undefined);
});

Deno.test("--cert/--key: one alone, unreadable, wrong or encrypted files are usage errors", () => {
  assert.equal(usageMessage(["--cert", "cert.pem"]), "--cert needs --key");
  assert.equal(usageMessage(["--key", "key.pem"]), "--key needs --cert");
  assert.equal(
    usageMessage(["--cert", "nope.pem", "--key", "key.pem"]),
    "--cert: cannot read 'nope.pem': no such file",
  );
  assert.equal(
    usageMessage(["--cert", "key.pem", "--key", "key.pem"]),
    "--cert: 'key.pem' holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
  );
  assert.equal(
    usageMessage(["--cert", "cert.pem", "--key", "cert.pem"]),
    "--key: 'cert.pem' holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
  );
  assert.equal(
    usageMessage(["--cert", "cert.pem", "--key", "encrypted.pem"]),
    "--key: 'encrypted.pem' is encrypted; give an unencrypted PEM private key",
  );
});

Deno.test("isTlsSetupError tells key/certificate failures from address ones", () => {
  // What Bun (BoringSSL) and Deno (rustls) throw for a mismatched pair.
  assert.ok(
    isTlsSetupError(Object.assign(new Error("KEY_VALUES_MISMATCH"), {
      code: "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
    })),
  );
  assert.ok(
    isTlsSetupError(new Error("keys may not be consistent: KeyMismatch")),
  );
  assert.ok(
    isTlsSetupError(Object.assign(new Error("No certificates found"), {
      name: "InvalidData",
    })),
  );
  assert.ok(
    !isTlsSetupError(Object.assign(new Error("Address in use"), {
      code: "EADDRINUSE",
    })),
  );
  assert.ok(!isTlsSetupError(new Error("Permission denied")));
});
