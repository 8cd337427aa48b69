/**
 * `--cert FILE --key FILE` (and the client's `--ca FILE`): reads the PEM
 * files named on the command line so that a missing, unreadable or
 * obviously wrong file is reported as bad input (server_args.ts and
 * client_args.ts turn a {@linkcode TlsFileError} into exit code 2) before
 * anything listens or connects. Whether the key belongs to the certificate is
 * only known when the runtime loads the pair; lib/runtime/tls_errors.ts
 * lets the glue report that case as bad input too.
 */
import { readFileSync } from "node:fs";
import { readFailureOf } from "../core/errors.ts";
import type { TlsCredentials, TrustedCa } from "../config/options.ts";

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

/** The console client's `--ca FILE`: a readable PEM with a certificate. */
export function loadTrustedCa(
  file: string,
  read: TextFileReader = readTextFile,
): TrustedCa {
  const pem = readPem("--ca", file, read);
  if (!CERT_BEGIN.test(pem)) {
    throw new TlsFileError(
      `--ca: '${file}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return { file, pem };
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
    throw new TlsFileError(
      `${option}: cannot read '${path}': ${readFailureOf(error)}`,
    );
  }
}
