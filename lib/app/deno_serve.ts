/**
 * Support for `deno serve main.ts`: telling `deno serve` apart from `deno
 * run`, and serving the requests Deno hands to the `{ fetch, onListen }`
 * default export. Deno does not say which subcommand runs
 * (denoland/deno#25179; `import.meta.main` is true under both), and it
 * warns under `deno run` about a default export with `fetch`. Loaded on
 * Deno only (lib/app/start.ts imports it dynamically).
 */
import { logger } from "../core/log.ts";
import {
  drainTimeoutMs,
  type ServerOptions,
  SIBLINGS_EXIT_GRACE_MS,
} from "../config/options.ts";
import { wsUrl } from "../runtime/address.ts";
import type { Runtime } from "../runtime/contract.ts";
import { hostedService } from "../runtime/deno/glue.ts";
import { siblings } from "./deno_serve_siblings.ts";
import { installGracefulShutdown } from "./shutdown.ts";
import { NAME } from "./version.ts";

export interface ServeExport {
  fetch: Deno.ServeHandler;
  onListen: (addr: Deno.Addr) => void;
}

/**
 * This isolate's server under `deno serve`: Deno listens (its own --port
 * and --host apply) and hands requests to the returned export. Every
 * `--parallel` worker gets here, not only the one `onListen` reaches, so
 * each checks its options, drains on shutdown and says it is there once.
 */
export function serveHosted(
  runtime: Runtime,
  options: ServerOptions,
  version: string,
): ServeExport {
  const { service, handler } = hostedService(options, version);
  const drainMs = drainTimeoutMs(options.shutdownTimeout);
  // Under --parallel, exiting is for the last worker to finish draining.
  siblings.join();
  installGracefulShutdown(
    runtime,
    { hub: service.hub, startDraining: () => service.draining = true },
    drainMs,
    (code) => siblings.exitWhenAllDone(code, drainMs + SIBLINGS_EXIT_GRACE_MS),
  );
  let listened = false;
  // `onListen`, if it comes to this isolate, comes before this timer.
  setTimeout(() => {
    if (listened) return;
    logger().info("{name} {version} worker ready (deno serve --parallel)", {
      name: NAME,
      version,
    });
  }, 0);
  return {
    fetch: handler,
    onListen(addr) {
      listened = true;
      if (addr.transport !== "tcp") return;
      logger().info("{name} {version} serving on {url} (deno serve)", {
        name: NAME,
        version,
        url: wsUrl(addr.hostname, addr.port),
      });
    },
  };
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
