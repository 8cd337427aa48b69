/**
 * Why Deno could not listen, in words for the log: shared by the two
 * targets that listen with Deno's own APIs (the built-in engine through
 * `Deno.serve`, ours through `Deno.listen`), which throw the same errors.
 */
import { commonListenFailure } from "./listen.ts";

export function denoListenFailure(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return "network access not granted (run with --allow-net)";
  }
  return commonListenFailure(error);
}
