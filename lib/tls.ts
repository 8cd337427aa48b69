/**
 * `--cert FILE --key FILE`: reads the PEM files named on the command line so
 * that a missing, unreadable or obviously wrong file is reported as bad
 * input (`options.ts` turns a {@linkcode TlsFileError} into exit code 2)
 * before anything listens. Whether the key belongs to the certificate is
 * only known when the runtime loads the pair; {@linkcode isTlsSetupError}
 * lets the glue report that case as bad input too.
 */
import { readFileSync } from "node:fs";

/** A certificate chain and its private key, PEM text as the runtimes take it. */
export interface TlsCredentials {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Reads a whole text file; injected so unit tests need no real files. */
export type TextFileReader = (path: string) => string;

export const readTextFile: TextFileReader = (path) =>
  readFileSync(path, "utf8");

const CERT_BEGIN = /-----BEGIN CERTIFICATE-----/;
// PKCS#8, PKCS#1 (RSA) and SEC1 (EC) keys; encrypted ones need a passphrase
// that neither runtime's serve() can be given portably.
const KEY_BEGIN = /-----BEGIN (RSA |EC )?PRIVATE KEY-----/;
const ENCRYPTED_KEY =
  /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/**
 * Both files or neither: `undefined` when neither option is given, the
 * credentials when both are readable PEM, otherwise a {@linkcode TlsFileError}.
 */
export function loadTlsCredentials(
  certFile: string | undefined,
  keyFile: string | undefined,
  read: TextFileReader = readTextFile,
): TlsCredentials | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new TlsFileError("--key needs --cert");
  if (keyFile === undefined) throw new TlsFileError("--cert needs --key");
  const cert = readPem("--cert", certFile, read);
  const key = readPem("--key", keyFile, read);
  if (!CERT_BEGIN.test(cert)) {
    throw new TlsFileError(
      `--cert: '${certFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  if (ENCRYPTED_KEY.test(key)) {
    throw new TlsFileError(
      `--key: '${keyFile}' is encrypted; give an unencrypted PEM private key`,
    );
  }
  if (!KEY_BEGIN.test(key)) {
    throw new TlsFileError(
      `--key: '${keyFile}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
    );
  }
  return { certFile, keyFile, cert, key };
}

/** A TLS file is missing, unreadable or not what its option needs. */
export class TlsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsFileError";
  }
}

function readPem(option: string, path: string, read: TextFileReader): string {
  try {
    return read(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
      ? "permission denied"
      : code === "EISDIR"
      ? "is a directory"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new TlsFileError(`${option}: cannot read '${path}': ${why}`);
  }
}

/**
 * Whether a runtime's serve() failed because of the certificate or key
 * (e.g. a key that does not match the certificate) rather than the address.
 * Deno says "keys may not be consistent" or throws `InvalidData`; Bun throws
 * BoringSSL errors with `ERR_OSSL_*` codes.
 */
export function isTlsSetupError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("ERR_OSSL")) return true;
  const name = (error as { name?: unknown }).name;
  if (name === "InvalidData") return true;
  const message = error instanceof Error ? error.message : String(error);
  return /certificate|private key|keys may not be consistent/i.test(message);
}

/** Why the runtime would not load a certificate/key pair, for the log. */
export function explainTlsError(
  error: unknown,
  tls: Pick<TlsCredentials, "certFile" | "keyFile">,
): string {
  const message = error instanceof Error ? error.message : String(error);
  return `--cert '${tls.certFile}' and --key '${tls.keyFile}' were refused: ${message}`;
}
