/**
 * The help texts are built from lib/config/options.ts: each default and
 * bound they mention is the constant's value, formatted the way the parser
 * reads it back.
 */
import assert from "node:assert/strict";
import { parseByteSize } from "../../lib/cli/numbers.ts";
import { CLIENT_HELP, SERVER_HELP } from "../../lib/cli/help.ts";
import {
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_MESSAGE,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_WORKERS,
  MAX_BYTE_LIMIT,
  SHUTDOWN_EXIT_ALLOWANCE_MS,
} from "../../lib/config/options.ts";
import { formatBytes, GIB, KIB, MIB } from "../../lib/core/payload.ts";

/** The help with its line breaks and indentation folded into spaces. */
const help = SERVER_HELP.replace(/\s+/g, " ");

Deno.test("help: byte defaults are the constants, in units the parser takes back", () => {
  for (const bytes of [DEFAULT_MAX_MESSAGE, DEFAULT_MAX_BUFFERED]) {
    const shown = formatBytes(bytes);
    assert.ok(help.includes(`(default ${shown})`), shown);
    assert.equal(parseByteSize(shown, "--x", MAX_BYTE_LIMIT), bytes);
  }
  // Today's values, so that a change of default is a visible change here.
  assert.equal(formatBytes(DEFAULT_MAX_MESSAGE), "16MiB");
  assert.equal(formatBytes(DEFAULT_MAX_BUFFERED), "4MiB");
});

Deno.test("help: the other defaults and the shutdown allowance are the constants", () => {
  assert.ok(help.includes(`(default ${DEFAULT_PORT}, or $PORT;`));
  assert.ok(help.includes(`(default ${DEFAULT_HOST}, all IPv4`));
  assert.ok(help.includes(`(default ${DEFAULT_MAX_CLIENTS}, unlimited)`));
  assert.ok(help.includes(`SO_REUSEPORT; default ${DEFAULT_WORKERS})`));
  assert.ok(help.includes(`(default ${DEFAULT_IDLE_TIMEOUT}; 0: never)`));
  assert.ok(help.includes(`(default ${DEFAULT_SHUTDOWN_TIMEOUT})`));
  assert.ok(
    help.includes(`until ${SHUTDOWN_EXIT_ALLOWANCE_MS / 1000} s before`),
  );
  assert.ok(help.includes("until 1.5 s before"));
  assert.ok(CLIENT_HELP.includes("cleanly (code 1000)"));
});

Deno.test("formatBytes: the largest binary unit that divides, else bytes", () => {
  assert.equal(formatBytes(GIB), "1GiB");
  assert.equal(formatBytes(64 * KIB), "64KiB");
  assert.equal(formatBytes(1536 * KIB), "1536KiB");
  assert.equal(formatBytes(MIB + 1), String(MIB + 1));
  assert.equal(formatBytes(1000), "1000");
});
