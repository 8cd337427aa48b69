/**
 * Picks the glue for the runtime we are running on. The imports are dynamic
 * so that each runtime only ever loads its own glue.
 */
import type { Runtime } from "./runtime.ts";

export function isBun(): boolean {
  return "Bun" in globalThis;
}

export async function currentRuntime(): Promise<Runtime> {
  if (isBun()) return (await import("./bun.ts")).bunRuntime;
  return (await import("./deno.ts")).denoRuntime;
}
