/**
 * This process's own command line, word for word, as Linux tells it
 * (/proc/self/cmdline): always on Bun, on Deno only where reading it is
 * already granted (`-A`), so that Deno in a terminal never prompts for it.
 * Undefined where it cannot be read (not permitted, not Linux).
 */
import { readFileSync } from "node:fs";
import { isBun } from "../runtime/registry.ts";

const CMDLINE = "/proc/self/cmdline";

let cached: string[] | null | undefined;

export function commandLine(): string[] | undefined {
  if (cached === undefined) cached = readCommandLine() ?? null;
  return cached ?? undefined;
}

function readCommandLine(): string[] | undefined {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (
    deno && !isBun() &&
    deno.permissions.querySync({ name: "read", path: CMDLINE }).state !==
      "granted"
  ) return undefined;
  try {
    const argv = readFileSync(CMDLINE, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return argv;
  } catch {
    return undefined; // not Linux, or not permitted
  }
}
