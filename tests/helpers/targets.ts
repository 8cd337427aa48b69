/**
 * The servers every end-to-end suite runs against. A target is a runtime
 * plus the extra server arguments that select how it serves WebSockets; a
 * new target (a runtime or an engine) plugs in with one line in TARGETS.
 */
import type { RuntimeName } from "../../tools/server_process.ts";

export interface Target {
  /** The label in test names: `[deno]`, `[bun]`. */
  name: string;
  /** The runtime that runs main.ts. */
  runtime: RuntimeName;
  /**
   * Who parses the WebSocket frames: the runtime's own built-in engine
   * (Deno.upgradeWebSocket, Bun.serve) or our engine (lib/runtime/wsecho/).
   * Checks of a runtime's known defects hold only for its built-in engine.
   */
  engine: "builtin" | "wsecho";
  /** Server arguments that select this target; after `--port 0 --log-format json`. */
  args: string[];
}

export const DENO: Target = {
  name: "deno",
  runtime: "deno",
  engine: "builtin",
  args: [],
};
export const DENO_WSECHO: Target = {
  name: "deno-wsecho",
  runtime: "deno",
  engine: "wsecho",
  args: ["--engine", "wsecho"],
};
export const BUN: Target = {
  name: "bun",
  runtime: "bun",
  engine: "builtin",
  args: [],
};

export const TARGETS: readonly Target[] = [DENO, DENO_WSECHO, BUN];

/**
 * One target per runtime, with its built-in engine: for tests of what a
 * runtime does whichever engine serves, the console client above all (it
 * runs no engine of ours), so that each runs once per runtime rather than
 * once more, unchanged, under `[deno-wsecho]`.
 */
export const RUNTIME_TARGETS: readonly Target[] = [DENO, BUN];

/**
 * The runtime whose built-in WebSocket engine serves `target`, or undefined
 * when our own engine does: the key for behaviour (and defects) that belongs
 * to a runtime's engine rather than to wsecho.
 */
export function builtinEngine(target: Target): RuntimeName | undefined {
  return target.engine === "builtin" ? target.runtime : undefined;
}

/** The built-in-engine target of `runtime`, for tests about one runtime. */
export function targetOf(runtime: RuntimeName): Target {
  return runtime === "bun" ? BUN : DENO;
}
