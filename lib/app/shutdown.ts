/**
 * Graceful shutdown on SIGINT/SIGTERM: refuse new upgrades, send every
 * client a 1001 "going away" close frame, wait for them (bounded), close the
 * listener and exit 0. A second signal exits at once.
 */
import process from "node:process";
import { GOING_AWAY } from "../core/close_codes.ts";
import { logger } from "../core/log.ts";
import {
  CLOSE_LINGER_MS,
  LISTENER_CLOSE_TIMEOUT_MS,
  SHUTDOWN_TIMEOUT_MS,
} from "../config/options.ts";
import type { ListeningServer, Runtime } from "../runtime/contract.ts";
import { withTimeout } from "../core/timeout.ts";

export type Stoppable = Pick<ListeningServer, "hub" | "startDraining"> & {
  close?: () => Promise<void>;
};

/**
 * Ends the process once this server has drained; `deno serve --parallel`
 * workers and `--workers` primaries replace it to wait for their siblings.
 */
export type Exit = (code: number) => void;

export function installGracefulShutdown(
  runtime: Runtime,
  server: Stoppable,
  timeoutMs = SHUTDOWN_TIMEOUT_MS,
  exit: Exit = (code) => process.exit(code),
): void {
  const log = logger("shutdown");
  let stopping = false;
  runtime.onShutdownSignal(async (signal) => {
    if (stopping) {
      log.warn("{signal} again: exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    const clients = server.hub.size;
    log.info(
      "{signal}: closing {clients} client(s) with 1001, waiting up to {timeoutMs} ms",
      {
        signal,
        clients,
        timeoutMs,
      },
    );
    server.startDraining();
    const allGone = await server.hub.drain(
      GOING_AWAY,
      "server shutting down",
      timeoutMs,
    );
    if (!allGone) {
      log.warn("{left} client(s) did not close in time", {
        left: server.hub.size,
      });
    }
    if (clients > 0) {
      await new Promise((resolve) => setTimeout(resolve, CLOSE_LINGER_MS));
    }
    // Closing the listener also drops any connection that is still open.
    await withTimeout(
      server.close?.() ?? Promise.resolve(),
      LISTENER_CLOSE_TIMEOUT_MS,
    );
    log.info("stopped");
    exit(0);
  });
}
