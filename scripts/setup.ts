/**
 * Makes sure the pinned Bun (and LogTape for Bun) are in node_modules before
 * the tests run, installing them from npm with the committed lockfile when
 * they are not. Deno needs no such step: it fetches `npm:` packages itself.
 */
import { existsSync } from "node:fs";

const bun = new URL("../node_modules/.bin/bun", import.meta.url);
const logtape = new URL(
  "../node_modules/@logtape/logtape/package.json",
  import.meta.url,
);

if (!existsSync(bun) || !existsSync(logtape)) {
  console.error("setup: installing Bun and dependencies with `npm ci`…");
  const { code } = await new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
    cwd: new URL("..", import.meta.url),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`setup: npm ci failed with exit code ${code}`);
    Deno.exit(1);
  }
}
