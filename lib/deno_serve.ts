/**
 * Support for `deno serve main.ts`: the `{ fetch, onListen }` default export,
 * and telling `deno serve` apart from `deno run`. Deno does not say which
 * subcommand runs (denoland/deno#25179; `import.meta.main` is true under
 * both), and it warns under `deno run` about a default export with `fetch`.
 */
import { denoHandler, type DenoPeer, denoRuntime } from "./deno.ts";
import type { EchoServer } from "./server.ts";
import { installGracefulShutdown } from "./shutdown.ts";

export interface ServeExport {
  fetch: Deno.ServeHandler;
  onListen: (addr: Deno.Addr) => void;
}

let listenedViaExport = false;

/**
 * The default export for `deno serve`. `create` builds the server on first
 * use (so importing main.ts has no side effects) and may exit on bad options.
 */
export function createServeExport(
  create: () => EchoServer<DenoPeer>,
  announce: (addr: Deno.Addr) => void,
): ServeExport {
  let handler: Deno.ServeHandler | undefined;
  const start = () => {
    const server = create();
    installGracefulShutdown(denoRuntime, {
      hub: server.hub,
      startDraining: () => server.draining = true,
    });
    return denoHandler(server);
  };
  return {
    fetch: (request, info) => (handler ??= start())(request, info),
    onListen(addr) {
      listenedViaExport = true;
      handler ??= start();
      announce(addr);
    },
  };
}

/**
 * How Deno started this process: `"serve"`, `"run"` (also compiled
 * binaries), or `"unknown"` where the command line cannot be read (no
 * `--allow-read`, or no /proc as on macOS).
 */
export function denoLaunchMode(): "serve" | "run" | "unknown" {
  if (Deno.build.standalone) return "run";
  const path = "/proc/self/cmdline";
  try {
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      return "unknown";
    }
    const argv = Deno.readTextFileSync(path).split("\0");
    // argv[0] is deno itself; the first non-flag word is the subcommand.
    const subcommand = argv.slice(1).find((word) => !word.startsWith("-"));
    return subcommand === "serve" ? "serve" : "run";
  } catch {
    return "unknown";
  }
}

/**
 * For the `"unknown"` launch mode, one macrotask after the main module ran:
 * `deno serve` calls `onListen` of the export synchronously after loading
 * the module, so by then it has claimed it. (Its extra `--parallel` workers
 * get no such call: that case needs a readable command line.)
 */
export function claimedByDenoServe(): boolean {
  return listenedViaExport;
}
