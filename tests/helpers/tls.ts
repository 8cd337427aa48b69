/**
 * Throwaway TLS material for tests, made with `openssl` at test time (CI
 * installs it when missing, see .ci/run): a self-signed certificate for
 * 127.0.0.1 and localhost, valid for one day.
 */

export interface TestCertificate {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate PEM, to trust it as a CA in clients. */
  readonly cert: string;
}

/**
 * Makes a certificate in a fresh temporary directory, removed when the test
 * module ends. It is a leaf
 * (`CA:FALSE`): rustls, behind Deno's clients, refuses a CA certificate as a
 * server's own (`CaUsedAsEndEntity`).
 */
export async function makeCertificate(
  name = "wsecho-test",
): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: `${name}-` });
  globalThis.addEventListener(
    "unload",
    () => Deno.removeSync(dir, { recursive: true }),
  );
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const { code, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  }
  return { dir, certFile, keyFile, cert: await Deno.readTextFile(certFile) };
}
