#!/usr/bin/env -S deno run --allow-net --allow-env --allow-read --allow-sys
/**
 * wsecho: an RFC 6455 WebSocket echo server for Deno and Bun.
 *
 *   deno run -A main.ts --port 1234
 *   bun main.ts --port 1234
 *   bun main.ts --workers 4       (Bun on Linux: 4 processes, one port)
 *   deno serve main.ts            (uses the default export below)
 *   deno run -A main.ts client ws://localhost:1234/   (console client)
 *
 * The entry point only: every way of running takes the one start path in
 * lib/app/start.ts. Importing this module starts nothing.
 */
import process from "node:process";
import { detectLaunch, start } from "./lib/app/start.ts";

const args = process.argv.slice(2);
const launch = await detectLaunch(args);
const started = import.meta.main ? await start(args, launch) : undefined;
if (typeof started === "number") process.exit(started);

// `deno serve` reads this export once the module has been evaluated (top-
// level await included). It is left empty where we serve ourselves: Bun
// would otherwise start a second server of its own for an entry module
// whose default export has `fetch`, and `deno run` would print a misleading
// hint about it.
const serveExport: Partial<Deno.ServeDefaultExport> = started?.kind === "hosted"
  ? started.serveExport
  : {};
export default serveExport;
