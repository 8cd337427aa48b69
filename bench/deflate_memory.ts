/**
 * Memory per connection of the permessage-deflate codec: N codecs, one
 * message each way, RSS before and after, per configuration, each in a
 * fresh process (RSS does not shrink reliably after a run). Also the cost
 * of tiny messages (is the threshold worth it).
 *
 *     deno run -A bench/deflate_memory.ts          # every configuration
 *     deno run -A bench/deflate_memory.ts one NAME # one, used by the above
 */
import process from "node:process";
import { DeflateCodec } from "../lib/protocol/deflate_codec.ts";
import type { DeflateParams } from "../lib/protocol/deflate_negotiation.ts";
import zlib from "node:zlib";

const N = 1000;
const CONFIGS: Record<string, Partial<DeflateParams>> = {
  "takeover, 15 bits (default)": {},
  "takeover, 12 bits": { serverMaxWindowBits: 12, clientMaxWindowBits: 12 },
  "takeover, 9 bits": { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
  "server_no_context_takeover": { serverNoContextTakeover: true },
  "both no_context_takeover": {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
  },
};

function sample(size: number): Uint8Array {
  const text = JSON.stringify({ user: "someone", id: 12345, tags: ["a", "b"] })
    .repeat(Math.ceil(size / 50));
  return new TextEncoder().encode(text.slice(0, size));
}

async function one(name: string) {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...CONFIGS[name],
  };
  const message = sample(2048);
  const compressed = zlib.deflateRawSync(message, {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).subarray(0, -4);
  // Warm up the allocator and zlib once.
  const warm = new DeflateCodec(params, { maxMessage: 1 << 24 });
  await warm.inflate(compressed);
  await warm.deflate(message);
  warm.close();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = Deno.memoryUsage().rss;
  const codecs: DeflateCodec[] = [];
  for (let i = 0; i < N; i++) {
    const codec = new DeflateCodec(params, { maxMessage: 1 << 24 });
    await codec.inflate(compressed);
    await codec.deflate(message);
    codecs.push(codec);
  }
  gc?.(); // one-shot zlib handles are freed by their finalizers
  const after = Deno.memoryUsage().rss;
  for (const codec of codecs) codec.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
  const closed = Deno.memoryUsage().rss;
  console.log(JSON.stringify({
    name,
    perConnectionKiB: (after - before) / N / 1024,
    afterCloseKiB: (closed - before) / N / 1024,
  }));
}

async function tiny() {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  for (const size of [16, 32, 64, 128, 256, 1024]) {
    const codec = new DeflateCodec(params, {
      maxMessage: 1 << 24,
      threshold: 0,
    });
    const message = sample(size);
    let bytes = 0;
    const rounds = 5000;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) {
      bytes += (await codec.deflate(message)).data.length;
    }
    const micros = (performance.now() - start) * 1000 / rounds;
    codec.close();
    console.log(
      `${size} B: ${(bytes / rounds).toFixed(0)} B compressed (takeover), ${
        micros.toFixed(1)
      } µs per deflate`,
    );
  }
}

if (process.argv[2] === "one") {
  await one(process.argv[3]);
} else {
  console.log(
    `Deno ${Deno.version.deno}, ${N} codecs, one 2 KiB message each way`,
  );
  for (const name of Object.keys(CONFIGS)) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        import.meta.filename!,
        "one",
        name,
      ],
    }).outputSync();
    const row = JSON.parse(new TextDecoder().decode(child.stdout));
    console.log(
      `${name.padEnd(32)} ${
        row.perConnectionKiB.toFixed(1).padStart(6)
      } KiB per connection, ${
        row.afterCloseKiB.toFixed(1)
      } KiB left after close() (RSS: freed memory is not always returned)`,
    );
  }
  await tiny();
}
