/**
 * Unit tests of the connection limits: flag parsing and defaults, the
 * message-size check the Deno glue applies, and the timing arithmetic.
 * tests/e2e/limits_test.ts and friends drive the same limits over sockets.
 */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/command.ts";
import { parseByteSize } from "../../lib/cli/numbers.ts";
import { UsageError } from "../../lib/cli/usage.ts";
import {
  drainTimeoutMs,
  SHUTDOWN_TIMEOUT_MS,
} from "../../lib/config/options.ts";
import { GIB, KIB, MIB } from "../../lib/core/payload.ts";
import { bunIdleTimeout } from "../../lib/runtime/bun/glue.ts";
import { denoUpgradeOptions } from "../../lib/runtime/deno/upgrade_options.ts";
import {
  connectionLimits,
  exceedsMessageLimit,
} from "../../lib/runtime/limits.ts";

function options(args: string[]) {
  const command = parseCommand(args, () => undefined);
  assert.equal(command.kind, "serve");
  return command.options;
}

function usageMessage(args: string[]): string {
  try {
    parseCommand(args, () => undefined);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`no error for ${JSON.stringify(args)}`);
}

Deno.test("limit defaults: 16 MiB messages, 4 MiB queued, 60 s idle, 5 s shutdown, no deflate", () => {
  const { maxMessage, maxBuffered, idleTimeout, shutdownTimeout } = options([]);
  assert.deepEqual(
    { maxMessage, maxBuffered, idleTimeout, shutdownTimeout },
    {
      maxMessage: 16 * MIB,
      maxBuffered: 4 * MIB,
      idleTimeout: 60,
      shutdownTimeout: 5,
    },
  );
  assert.equal(options([]).permessageDeflate, false);
  assert.equal(options(["--permessage-deflate"]).permessageDeflate, true);
});

Deno.test("--engine: builtin by default, wsecho on request, nothing else", () => {
  assert.equal(options([]).engine, "builtin");
  assert.equal(options(["--engine", "wsecho"]).engine, "wsecho");
  assert.equal(options(["--engine", "builtin"]).engine, "builtin");
  assert.throws(
    () => options(["--engine", "WSECHO"]),
    /--engine must be builtin or wsecho, got 'WSECHO'/,
  );
});

Deno.test("--handshake-timeout: 10 s by default, whole seconds, 0 turns it off", () => {
  assert.equal(options([]).handshakeTimeout, 10);
  assert.equal(options(["--handshake-timeout", "3"]).handshakeTimeout, 3);
  assert.equal(options(["--handshake-timeout", "0"]).handshakeTimeout, 0);
  assert.throws(
    () => options(["--handshake-timeout", "1.5"]),
    /^UsageError: --handshake-timeout takes whole seconds \(e\.g\. 2\), got '1\.5'$/,
  );
});

Deno.test("limit flags set their options", () => {
  const parsed = options([
    "--max-message=1000",
    "--max-buffered",
    "64KiB",
    "--idle-timeout",
    "0",
    "--shutdown-timeout",
    "30",
  ]);
  assert.equal(parsed.maxMessage, 1000);
  assert.equal(parsed.maxBuffered, 64 * KIB);
  assert.equal(parsed.idleTimeout, 0);
  assert.equal(parsed.shutdownTimeout, 30);
});

Deno.test("byte counts: plain or with a binary unit, 1 byte to 1 GiB", () => {
  const cases: Array<[string, number]> = [
    ["1", 1],
    ["65536", 65536],
    ["64k", 64 * KIB],
    ["64KiB", 64 * KIB],
    ["16m", 16 * MIB],
    ["16MiB", 16 * MIB],
    ["16 mib", 16 * MIB],
    ["1GiB", GIB],
    [" 2048 ", 2048],
  ];
  for (const [text, bytes] of cases) {
    assert.equal(parseByteSize(text, "--x", GIB), bytes, text);
  }
  const general = (bad: string) =>
    `--max-message must be a byte count from 1 to 1GiB (e.g. 65536, 64KiB, 16MiB), got '${bad}'`;
  const refused: Array<[string, string]> = [
    ["", general("")],
    ["0x10", general("0x10")],
    ["k", general("k")],
    ["1constructor", general("1constructor")],
    ["10_000", general("10_000")],
    ["16 M B", general("16 M B")],
    ["0", "--max-message 0 is out of range (1-1GiB)"],
    ["-1", "--max-message -1 is out of range (1-1GiB)"],
    ["-16MiB", "--max-message -16MiB is out of range (1-1GiB)"],
    ["2GiB", "--max-message 2GiB is out of range (1-1GiB)"],
    ["1TB", "--max-message 1TB is out of range (1-1GiB)"],
    ["0.5", "--max-message 0.5 is out of range (1-1GiB)"],
    ["1.5", "--max-message 1.5: a size is whole bytes; write 2"],
    ["1.5MiB", "--max-message 1.5MiB: write a whole number: 1536KiB"],
    ["0.5m", "--max-message 0.5m: write a whole number: 512KiB"],
    [
      "16MB",
      "--max-message 16MB: sizes take binary units (MiB, 1048576 bytes), not MB; write 16MiB",
    ],
    [
      "10mb",
      "--max-message 10mb: sizes take binary units (MiB, 1048576 bytes), not MB; write 10MiB",
    ],
    [
      "1kb",
      "--max-message 1kb: sizes take binary units (KiB, 1024 bytes), not KB; write 1KiB",
    ],
    [
      "1GB",
      "--max-message 1GB: sizes take binary units (GiB, 1073741824 bytes), not GB; write 1GiB",
    ],
    ["16Mi", "--max-message 16Mi: the unit is MiB; write 16MiB"],
    [
      "16 megabytes",
      "--max-message 16 megabytes: the unit is MiB; write 16MiB",
    ],
    ["100B", "--max-message 100B: a plain number is bytes; write 100"],
    [
      "100 bytes",
      "--max-message 100 bytes: a plain number is bytes; write 100",
    ],
  ];
  for (const [bad, message] of refused) {
    assert.equal(usageMessage([`--max-message=${bad}`]), message, bad);
  }
  // Negative values reach the check also as a separate word.
  assert.equal(
    usageMessage(["--max-message", "-1"]),
    "--max-message -1 is out of range (1-1GiB)",
  );
});

Deno.test("seconds: whole, from 0 to the flag's maximum; units say what to write", () => {
  assert.equal(
    usageMessage(["--idle-timeout", "961"]),
    "--idle-timeout 961 is out of range (0-960 seconds)",
  );
  assert.equal(
    usageMessage(["--idle-timeout", "-1"]),
    "--idle-timeout -1 is out of range (0-960 seconds)",
  );
  assert.equal(options(["--idle-timeout", "960"]).idleTimeout, 960);
  assert.equal(
    usageMessage(["--shutdown-timeout", "2.5"]),
    "--shutdown-timeout takes whole seconds (e.g. 3), got '2.5'",
  );
  assert.equal(
    usageMessage(["--shutdown-timeout", "soon"]),
    "--shutdown-timeout must be whole seconds from 0 to 3600, got 'soon'",
  );
  const spelled: Array<[string, string]> = [
    ["30s", "write 30, not '30s'"],
    ["30 sec", "write 30, not '30 sec'"],
    ["2m", "write 120, not '2m'"],
    ["1h", "write 3600, not '1h'"],
    ["5 minutes", "write 300, not '5 minutes'"],
  ];
  for (const [text, advice] of spelled) {
    assert.equal(
      usageMessage(["--handshake-timeout", text]),
      `--handshake-timeout takes a plain number of seconds: ${advice}`,
    );
  }
  assert.equal(
    usageMessage(["--idle-timeout", "1.5m"]),
    "--idle-timeout takes a plain number of seconds: write 90, not '1.5m'",
  );
  assert.equal(
    usageMessage(["--idle-timeout", "0.5s"]),
    "--idle-timeout takes whole seconds, got '0.5s'",
  );
});

Deno.test("message limit: bytes for binary, UTF-8 bytes for text", () => {
  const max = 12;
  assert.equal(exceedsMessageLimit(new Uint8Array(12), max), false);
  assert.equal(exceedsMessageLimit(new Uint8Array(13), max), true);
  assert.equal(exceedsMessageLimit(new ArrayBuffer(13), max), true);
  assert.equal(exceedsMessageLimit("a".repeat(12), max), false);
  assert.equal(exceedsMessageLimit("a".repeat(13), max), true);
  // Fewer UTF-16 units than the limit, more UTF-8 bytes.
  assert.equal(exceedsMessageLimit("é".repeat(6), max), false); // 12 bytes
  assert.equal(exceedsMessageLimit("é".repeat(7), max), true); // 14 bytes
  assert.equal(exceedsMessageLimit("€".repeat(4), max), false); // 12 bytes
  assert.equal(exceedsMessageLimit("€".repeat(5), max), true); // 15 bytes
  assert.equal(exceedsMessageLimit("🦕".repeat(3), max), false); // 12 bytes
  assert.equal(exceedsMessageLimit("🦕".repeat(3) + "a", max), true);
  // Within a third of the limit no count is needed, whatever the text.
  assert.equal(exceedsMessageLimit("€".repeat(4), 12), false);
});

Deno.test("shutdown: the wait for clients leaves 1.5 s of --shutdown-timeout for the exit", () => {
  assert.equal(drainTimeoutMs(5), 3500);
  assert.equal(drainTimeoutMs(5), SHUTDOWN_TIMEOUT_MS, "the default");
  assert.equal(drainTimeoutMs(3), 1500);
  assert.equal(drainTimeoutMs(1), 0);
  assert.equal(drainTimeoutMs(0), 0);
});

Deno.test("Bun is given half the idle timeout: it pings after that, drops after twice", () => {
  assert.equal(bunIdleTimeout(60), 30);
  assert.equal(bunIdleTimeout(3), 2);
  assert.equal(bunIdleTimeout(1), 1);
  assert.equal(bunIdleTimeout(0), 0, "0 keeps heartbeats off");
});

Deno.test("Deno is given the idle timeout as it is: --idle-timeout 0 reaches upgradeWebSocket as 0, not as Deno's default", () => {
  const upgradeOptions = (args: string[], protocol?: string) =>
    denoUpgradeOptions(protocol, connectionLimits(options(args)).idleTimeout);
  // 0 must be passed, not left out: an absent idleTimeout is Deno's default.
  assert.deepEqual(upgradeOptions(["--idle-timeout", "0"]), {
    protocol: undefined,
    idleTimeout: 0,
  });
  assert.deepEqual(upgradeOptions([]), {
    protocol: undefined,
    idleTimeout: 60,
  });
  assert.deepEqual(upgradeOptions(["--idle-timeout", "960"], "chat"), {
    protocol: "chat",
    idleTimeout: 960,
  });
});
