/**
 * A client's side of permessage-deflate (RFC 7692 §7.2.1), for tests that
 * send real compressed messages: raw DEFLATE from node:zlib, flushed, its
 * trailing 00 00 FF FF removed. Written apart from the server's codec
 * (lib/protocol/deflate_codec.ts), so that tests do not check it with
 * itself. The inflating side is tests/helpers/reference_receiver.ts
 * (ReferenceInflater).
 */
import zlib from "node:zlib";
import { concat } from "./client_frames.ts";

/** One message compressed on its own (no context takeover). */
export function deflateAlone(plain: Uint8Array): Uint8Array {
  return stripTrailer(
    zlib.deflateRawSync(plain, { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  );
}

/**
 * A compressor with context takeover: one raw deflate stream through the
 * connection, so a message's bytes may refer back into the ones before.
 */
export class ContextDeflater {
  readonly #stream = zlib.createDeflateRaw();
  #output: Uint8Array[] = [];

  constructor() {
    this.#stream.on("data", (chunk: Uint8Array) => this.#output.push(chunk));
  }

  message(plain: Uint8Array): Promise<Uint8Array> {
    this.#stream.write(plain);
    return new Promise((resolve) =>
      this.#stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const data = concat(...this.#output);
        this.#output = [];
        resolve(stripTrailer(data));
      })
    );
  }

  close(): void {
    this.#stream.close();
  }
}

function stripTrailer(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.subarray(0, data.length - 4));
}
