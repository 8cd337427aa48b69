/**
 * Makes sure the pinned Bun (tools/bun), the pinned esbuild (tools/esbuild),
 * and LogTape for Bun and ws for the benchmark's Node peer (node_modules),
 * are installed before the tests run,
 * from npm with the committed lockfiles. Deno needs no such step: it fetches `npm:` packages itself.
 * Bun lives in its own folder so that Deno, which reads the root
 * package.json, never downloads it.
 */
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url);

/** `npm ci` in `dir` unless all `markers` (relative to it) already exist. */
async function install(dir: URL, ...markers: string[]): Promise<void> {
  if (markers.every((marker) => existsSync(new URL(marker, dir)))) return;
  console.error(`setup: npm ci in ${dir.pathname}…`);
  const { code } = await new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`setup: npm ci failed with exit code ${code}`);
    Deno.exit(1);
  }
}

// ws: the Node + ws peer of `deno task bench --peers`.
await install(
  root,
  "node_modules/@logtape/logtape/package.json",
  "node_modules/ws/package.json",
);
await install(new URL("tools/bun/", root), "node_modules/.bin/bun");
// esbuild: strips the types of the page's script (scripts/gen_page.ts).
await install(new URL("tools/esbuild/", root), "node_modules/.bin/esbuild");
