/**
 * The sides a runtime's rounds alternate between: its bare echo, then
 * wsecho on each engine this server has. Which engines it has is found
 * out by starting it once with each, before anything is measured.
 */
import { log, type Results } from "./measure.ts";
import {
  type Engine,
  type RuntimeName,
  type ServerSpec,
  startFailure,
} from "./servers.ts";

/** Bare first, then wsecho on each of `engines`, one worker each. */
export function sidesOf(
  runtime: RuntimeName,
  engines: readonly Engine[],
): ServerSpec[] {
  return [
    { runtime, impl: "bare", workers: 1 },
    ...engines.map((engine): ServerSpec => ({
      runtime,
      impl: "wsecho",
      engine,
      workers: 1,
    })),
  ];
}

/**
 * Which of the `wanted` engines wsecho has on `runtime`: the built-in one
 * always; ours if a server started with `--engine wsecho` listens. A
 * server without it (on a runtime it does not support) is noted in its
 * own words; the notes of those missing are returned with the engines.
 */
export async function availableEngines(
  runtime: RuntimeName,
  wanted: readonly Engine[],
  chosen: boolean,
  results: Results,
): Promise<{ engines: Engine[]; missing: string[] }> {
  const engines: Engine[] = [];
  const missing: string[] = [];
  for (const engine of wanted) {
    if (engine === "builtin") {
      engines.push(engine);
      continue;
    }
    const failure = await startFailure({
      runtime,
      impl: "wsecho",
      engine,
      workers: 1,
    });
    if (failure === undefined) {
      engines.push(engine);
      continue;
    }
    const note =
      `wsecho --engine ${engine} not measured on ${runtime}: the server refused it (${failure})`;
    log(note);
    // The engine is Deno's (issue 12); on Bun it is optional, so its
    // absence there is only worth a note when someone asked for it.
    if (chosen || runtime === "deno") results.notes.push(note);
    missing.push(note);
  }
  return { engines, missing };
}
