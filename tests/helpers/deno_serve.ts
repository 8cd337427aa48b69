/**
 * Starting `main.ts` under `deno serve`, with or without `--parallel`.
 */
import { launchServer, MAIN, type ServerProcess } from "./server.ts";
import { DENO } from "./targets.ts";

export interface ServeOptions {
  /** Deno flags before the script, e.g. permissions or `--parallel`. */
  flags?: string[];
  /** Script arguments after `main.ts`. */
  args?: string[];
  env?: Record<string, string>;
}

/**
 * `deno serve [flags] --port 0 main.ts --log-format json [args]`; resolves
 * once the first worker logs that it serves. All `--parallel` workers share
 * the one port Deno picked.
 */
export async function startDenoServe(
  options: ServeOptions = {},
): Promise<ServerProcess> {
  return await launchServer(
    DENO,
    Deno.execPath(),
    [
      "serve",
      ...(options.flags ?? []),
      "--port",
      "0",
      MAIN,
      "--log-format",
      "json",
      ...(options.args ?? []),
    ],
    { env: options.env, listening: "serving on" },
  );
}
