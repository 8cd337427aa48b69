/**
 * How to start wsecho's server as a child process on either runtime, and
 * read its output line by line. Shared by the tests (tests/helpers/) and
 * the benchmark (bench/), so both start the very same command; it imports
 * neither of them.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type RuntimeName = "deno" | "bun";
export const RUNTIMES: readonly RuntimeName[] = ["deno", "bun"];

/** The repository's root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MAIN = ROOT + "main.ts";

/** The permissions `deno task start` grants; the server must need no more. */
export const DENO_RUN_FLAGS = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys",
];

/** $BUN, else the pinned Bun in tools/bun (see scripts/setup.ts), else PATH. */
export function bunPath(): string {
  const pinned = ROOT + "tools/bun/node_modules/.bin/bun";
  return Deno.env.get("BUN") ?? (existsSync(pinned) ? pinned : "bun");
}

/** The command line that runs `main.ts` with `args` on `runtime`. */
export function serverCommand(
  runtime: RuntimeName,
  args: string[],
): [string, string[]] {
  return runtime === "deno"
    ? [Deno.execPath(), [...DENO_RUN_FLAGS, MAIN, ...args]]
    : [bunPath(), [MAIN, ...args]];
}

/** Collects a stream's lines as they come, and lets callers wait for one. */
export class LineCollector {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    }
    if (rest) this.lines.push(rest);
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  get text(): string {
    return this.lines.join("\n");
  }

  /** Resolves with the first line matching `test`, waiting up to `ms`. */
  async waitFor(
    test: (line: string) => boolean,
    ms = 10_000,
  ): Promise<string> {
    const deadline = Date.now() + ms;
    let ended = false;
    this.done.then(() => ended = true);
    while (true) {
      const found = this.lines.find(test);
      if (found !== undefined) return found;
      if (ended) {
        throw new Error(`stream ended without the line:\n${this.text}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; lines:\n${this.text}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        this.done,
        new Promise<void>((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
  }
}
