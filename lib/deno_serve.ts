/**
 * Support for `deno serve main.ts`: the `{ fetch, onListen }` default export,
 * and telling `deno serve` apart from `deno run`. Deno does not say which
 * subcommand runs (denoland/deno#25179; `import.meta.main` is true under
 * both), and it warns under `deno run` about a default export with `fetch`.
 */
import { type DenoEchoServer, denoHandler, denoRuntime } from "./deno.ts";
import { siblings } from "./serve_workers.ts";
import { installGracefulShutdown } from "./shutdown.ts";

export interface ServeExport {
  fetch: Deno.ServeHandler;
  onListen: (addr: Deno.Addr) => void;
}

let listenedViaExport = false;
/** Starts this isolate's server; set by {@linkcode createServeExport}. */
let startHere: (() => void) | undefined;

/**
 * The default export for `deno serve`. `create` builds the server on first
 * use (so importing main.ts has no side effects) and may exit on bad options.
 */
export function createServeExport(
  create: () => { server: DenoEchoServer; drainTimeoutMs: number },
  announce: (addr: Deno.Addr) => void,
): ServeExport {
  let handler: Deno.ServeHandler | undefined;
  const start = () => {
    const { server, drainTimeoutMs } = create();
    // Under --parallel, exiting is for the last worker to finish draining.
    siblings.join();
    installGracefulShutdown(
      denoRuntime,
      { hub: server.hub, startDraining: () => server.draining = true },
      drainTimeoutMs,
      (code) => siblings.exitWhenAllDone(code, drainTimeoutMs + 1000),
    );
    return denoHandler(server);
  };
  startHere = () => void (handler ??= start());
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
 * Under `deno serve`, starts this isolate's server before its first request,
 * so that every `--parallel` worker (not only the one `onListen` reaches)
 * checks its options, drains on shutdown and reports `ready` once.
 */
export function startServeWorker(ready: () => void): void {
  startHere?.();
  // `onListen`, if it comes to this isolate, comes before this timer.
  setTimeout(() => {
    if (!listenedViaExport) ready();
  }, 0);
}

/**
 * How Deno started this process: `"serve"` or `"run"` (compiled binaries
 * count as run). Deno only lets a program read its own command line with
 * `--allow-all`, so without it the permissions decide: `deno serve` grants
 * the network for its own address only, while `deno run` of a server needs
 * `--allow-net` for all of it. So `deno serve --allow-net main.ts` (without
 * `-A`) reads as "run": use `deno serve main.ts` or `deno serve -A main.ts`.
 */
export function denoLaunchMode(): "serve" | "run" {
  if (Deno.build.standalone) return "run";
  const path = "/proc/self/cmdline";
  if (Deno.permissions.querySync({ name: "read", path }).state === "granted") {
    try {
      const argv = Deno.readTextFileSync(path).split("\0");
      // argv[0] is deno itself; the first non-flag word is the subcommand.
      const subcommand = argv.slice(1).find((word) => !word.startsWith("-"));
      return subcommand === "serve" ? "serve" : "run";
    } catch {
      // No /proc (macOS, Windows): fall through to the permission check.
    }
  }
  const net = Deno.permissions.querySync({ name: "net" }).state;
  return net === "granted" ? "run" : "serve";
}
