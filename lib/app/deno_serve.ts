/**
 * Support for `deno serve main.ts`: telling `deno serve` apart from `deno
 * run`, and serving the requests Deno hands to the `{ fetch, onListen }`
 * default export. Deno does not say which subcommand runs
 * (denoland/deno#25179; `import.meta.main` is true under both), and it
 * warns under `deno run` about a default export with `fetch`. Loaded on
 * Deno only (lib/app/start.ts imports it dynamically).
 */
import process from "node:process";
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
  unconfirmed?: { args: string[] },
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
  const workerReady = () => {
    if (listened) return;
    logger().info("{name} {version} worker ready (deno serve --parallel)", {
      name: NAME,
      version,
    });
  };
  if (unconfirmed) {
    // Either Deno calls `onListen` here, or a `--parallel` sibling speaks;
    // else this is a `deno run` that cannot listen, and would idle forever.
    const watchdog = setTimeout(() => {
      if (listened) return;
      process.stderr.write(missingNetAccess(unconfirmed.args) + "\n");
      Deno.exit(2);
    }, SERVE_CONFIRM_MS);
    siblings.onFirstContact(() => {
      clearTimeout(watchdog);
      setTimeout(workerReady, 0);
    });
  } else {
    // `onListen`, if it comes to this isolate, comes before this timer.
    setTimeout(workerReady, 0);
  }
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
 * count as run), or `"serve-unconfirmed"` where only what happens after
 * main.ts has been evaluated can tell. Deno only lets a program read its own
 * command line with `--allow-all`, so without it the permissions decide
 * (`Deno.permissions.querySync`, which never prompts): `deno run` of a
 * server needs `--allow-net` for all addresses, so with it this is read as
 * "run" (`deno serve --allow-net main.ts` too: use `deno serve main.ts` or
 * `deno serve -A main.ts`); without it, this is either `deno serve` (which
 * grants its own address only) or a `deno run` that cannot listen. Only
 * `deno serve` then calls the export's `onListen` or has `--parallel`
 * siblings: {@linkcode serveHosted} waits for either and otherwise says
 * what is missing ({@linkcode missingNetAccess}).
 */
export function denoLaunchMode(): "serve" | "run" | "serve-unconfirmed" {
  if (Deno.build.standalone) return "run";
  const path = "/proc/self/cmdline";
  if (Deno.permissions.querySync({ name: "read", path }).state === "granted") {
    try {
      const argv = Deno.readTextFileSync(path).split("\0");
      // argv[0] is deno itself; the first non-flag word is the subcommand.
      const subcommand = argv.slice(1).find((word) => !word.startsWith("-"));
      return subcommand === "serve" ? "serve" : "run";
    } catch {
      // Not --allow-all, or no /proc (macOS, Windows): the permissions say.
    }
  }
  const net = Deno.permissions.querySync({ name: "net" }).state;
  return net === "granted" ? "run" : "serve-unconfirmed";
}

/**
 * How long a `deno serve` isolate may take to hear from Deno (`onListen`)
 * or from a `--parallel` sibling before it takes itself for a `deno run`
 * without network access. `onListen` comes right after main.ts has been
 * evaluated; siblings start together, but on a loaded machine one may be
 * evaluated seconds after another.
 */
export const SERVE_CONFIRM_MS = 3000;

/**
 * The one line for a `deno run` without network access, with the command
 * that works: the same script and arguments, with the permissions of
 * `deno task start`.
 */
export function missingNetAccess(args: string[]): string {
  const script = scriptPath();
  const command = [
    "deno run --allow-net --allow-env --allow-read --allow-sys",
    script,
    ...args,
  ].map(shellQuote).join(" ");
  return `${NAME}: network access not granted: 'deno run' of a server needs --allow-net; run: ${command} (or: deno serve ${
    shellQuote(script)
  })`;
}

/** main.ts as the user may type it: relative to the working directory if inside. */
function scriptPath(): string {
  const main = Deno.mainModule;
  if (!main.startsWith("file:")) return main;
  const path = decodeURIComponent(new URL(main).pathname);
  let cwd: string | undefined;
  if (Deno.permissions.querySync({ name: "read" }).state === "granted") {
    try {
      cwd = Deno.cwd();
    } catch { /* not permitted */ }
  }
  return cwd && path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}

function shellQuote(word: string): string {
  if (word.includes(" --allow-")) return word; // the command itself
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}
