/**
 * Telling a certificate or key the runtime refused apart from an address it
 * could not bind: the files were read and looked like PEM (lib/cli), but
 * whether the key belongs to the certificate is only known when the runtime
 * loads the pair, and that case is bad input (exit code 2) too.
 */
import { messageOf } from "../core/errors.ts";
import type { TlsCredentials } from "../config/options.ts";

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
  return /certificate|private key|keys may not be consistent/i.test(
    messageOf(error),
  );
}

/** Why the runtime would not load a certificate/key pair, for the log. */
export function explainTlsError(
  error: unknown,
  tls: Pick<TlsCredentials, "certFile" | "keyFile">,
): string {
  return `--cert '${tls.certFile}' and --key '${tls.keyFile}' were refused: ${
    messageOf(error)
  }`;
}
