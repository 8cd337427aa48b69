/**
 * Which glue serves each target, one line each. The imports are dynamic so
 * that a process only ever loads its own runtime's glue: Bun never reads
 * the Deno glue and Deno never reads Bun's. (Literal specifiers keep them
 * in the module graph, so `deno compile` and `bun build --compile` embed
 * them.)
 */
import type { Runtime } from "./contract.ts";

const TARGETS = {
  deno: async () => (await import("./deno/glue.ts")).runtime,
  bun: async () => (await import("./bun/glue.ts")).runtime,
  wsecho: async () => (await import("./wsecho/glue.ts")).runtime,
} satisfies Record<string, () => Promise<Runtime>>;

export type Target = keyof typeof TARGETS;

export function isBun(): boolean {
  return "Bun" in globalThis;
}

/** The target of the runtime this process runs on. */
export function currentTarget(): Target {
  return isBun() ? "bun" : "deno";
}

/** Loads the glue of `target` (by default the runtime we run on). */
export function loadRuntime(
  target: Target = currentTarget(),
): Promise<Runtime> {
  return TARGETS[target]();
}
