/**
 * --max-message and --max-buffered over real sockets on both runtimes:
 * what is still echoed at the limit, the close code past it, and that the
 * server stays bounded and keeps serving everyone else.
 */
import assert from "node:assert/strict";
import {
  helpHint,
  type LogRecordJson,
  runCli,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { builtinEngine, type Target, TARGETS } from "../helpers/targets.ts";
import {
  closeCodeOf,
  closePayload,
  frame,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import { connect, pattern, waitForHealth } from "../helpers/ws.ts";

const MAX_MESSAGE = 1000;
const MIB = 1024 * 1024;
/** Deno's own message cap, fixed (docs/runtimes.md, "Deno's message cap"). */
const DENO_CAP = 64 * MIB;

/** A masked frame's header announcing `length` bytes of payload. */
function frameHeader(
  opcode: number,
  length: number,
  maskKey: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(14);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | 127;
  new DataView(out.buffer).setBigUint64(2, BigInt(length));
  out.set(maskKey, 10);
  return out;
}

/** Resident memory of the server process, in bytes (Linux). */
function rss(server: ServerProcess): number {
  const status = Deno.readTextFileSync(`/proc/${server.child.pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * Reads past any echoes to the server's close frame. Resolves to its code
 * and the bytes echoed before it; the code is undefined if TCP ended first.
 */
async function readToClose(
  client: RawClient,
): Promise<{ closeCode?: number; echoedBytes: number }> {
  let echoedBytes = 0;
  while (true) {
    const received = await client.next(10_000);
    if (received === undefined) return { echoedBytes };
    if (received.opcode === Opcode.close) {
      return { closeCode: closeCodeOf(received), echoedBytes };
    }
    echoedBytes += received.payload.length;
  }
}

/** Waits until `count` log records match `test`, and returns them. */
async function waitForRecords(
  server: ServerProcess,
  test: (record: LogRecordJson) => boolean,
  count: number,
  ms = 5000,
): Promise<LogRecordJson[]> {
  const deadline = Date.now() + ms;
  while (true) {
    const found = server.records().filter(test);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Bun closes with 1009 natively, giving its own reason. */
function tooBigReason(target: Target): string {
  return target.runtime === "bun"
    ? "Received too big message"
    : `message exceeds ${MAX_MESSAGE} bytes`;
}

/** `--idle-timeout` of the engine's backpressure test, in seconds. */
const STALL_TIMEOUT = 4;

/**
 * Sends up to 64 MiB of 64 KiB echo requests from a client that does not
 * read, for at most `seconds`: "failed" when a write fails (the server
 * dropped the connection), "stalled" when one stands still for `stallMs`
 * (the server stopped reading), else "done".
 */
async function flood(
  client: RawClient,
  { stallMs, seconds }: { stallMs: number; seconds: number },
): Promise<{ sent: number; outcome: "stalled" | "failed" | "done" }> {
  const chunk = frame({ opcode: Opcode.binary, payload: pattern(64 * 1024) });
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  while (sent < 64 * MIB && Date.now() < deadline) {
    const outcome = await Promise.race([
      client.write(chunk).then(() => undefined, () => "failed" as const),
      new Promise<"stalled">((resolve) =>
        setTimeout(() => resolve("stalled"), stallMs)
      ),
    ]);
    if (outcome !== undefined) return { sent, outcome };
    sent += 64 * 1024;
  }
  return { sent, outcome: "done" };
}

/**
 * Our engine's flow control (docs/engine.md, "Flow control") is real
 * backpressure rather than a buffer cap: a client that sends but never
 * reads stops being read once the kernel takes no more of its echoes, so
 * its sends stall, server memory stays bounded, and everyone else is
 * served. A client whose write makes no progress for --idle-timeout
 * seconds is then dropped, with 1008 logged.
 */
async function engineBackpressure(target: Target): Promise<void> {
  await using server = await startServer(target, {
    args: [
      "--max-buffered",
      String(MIB),
      "--idle-timeout",
      String(STALL_TIMEOUT),
    ],
  });
  await using steady = await connect(server.url);
  assert.equal(await steady.echo("warm-up"), "warm-up");
  const rssBefore = rss(server);

  using flooder = await RawClient.connect(server.port);
  flooder.pauseReading();
  // Echo requests until a write stalls for a second: the server stopped
  // reading, the kernel buffers between us are full. An engine that kept
  // reading (and queueing echoes) would take all 64 MiB in these 10 s.
  const { sent, outcome } = await flood(flooder, {
    stallMs: 1000,
    seconds: 10,
  });
  const stalledAt = Date.now();
  assert.equal(outcome, "stalled", `the flood ${outcome} after ${sent} bytes`);
  // What is in flight is what the kernel buffers of both ends hold
  // (about 9 MiB measured on loopback), not what was offered.
  assert.ok(sent < 32 * MIB, `${sent} bytes taken before the sends stalled`);

  // Meanwhile: others are echoed, memory stays bounded, and the flooder
  // is held, not yet dropped (its write has stood still for less than
  // --idle-timeout).
  assert.equal(
    await steady.echo("others keep working"),
    "others keep working",
  );
  // RSS also grows with garbage not yet collected (about 1.5x the bytes
  // echoed, measured with a client that reads), hence the same bound as
  // for the builtin engines; what is held is bounded by the stall above.
  const growth = rss(server) - rssBefore;
  assert.ok(
    growth < 32 * MIB,
    `server grew by ${growth} bytes while a client sent ${sent} and read nothing`,
  );
  const refusals = (r: LogRecordJson) => r.logger === "wsecho.limits";
  assert.deepEqual(server.records().filter(refusals), []);
  assert.equal(
    (await waitForHealth(server.http, () => true)).clients,
    2,
  );

  // No write progress for --idle-timeout seconds: dropped, 1008 logged.
  const [refusal] = await waitForRecords(
    server,
    refusals,
    1,
    STALL_TIMEOUT * 1000 + 3000,
  );
  assert.ok(refusal, `not dropped ${STALL_TIMEOUT + 3} s after stalling`);
  assert.equal(refusal.properties.code, 1008);
  assert.equal(
    refusal.properties.reason,
    `not reading: no write progress for ${STALL_TIMEOUT} s`,
  );
  // The server's write stood still from shortly before our sends
  // stalled (the buffers between fill in milliseconds), and we saw the
  // stall a second late: the drop comes about --idle-timeout - 1 s
  // later (3.1-3.2 s measured), neither at once nor much after.
  const droppedAfter = Date.parse(refusal["@timestamp"]) - stalledAt;
  assert.ok(
    droppedAfter >= (STALL_TIMEOUT - 2) * 1000 &&
      droppedAfter <= STALL_TIMEOUT * 1000 + 500,
    `dropped ${droppedAfter} ms after the sends stalled`,
  );
  await waitForHealth(server.http, (h) => h.clients === 1);
  const metrics = await (await fetch(`${server.http}/metrics`)).text();
  assert.match(metrics, /^wsecho_closes_total\{code="1008"\} 1$/m);

  // What the flooder finds once it reads: the echoes the kernel held,
  // then the end, without a close frame (none could get through the
  // write that stood still).
  flooder.resumeReading();
  const { closeCode, echoedBytes } = await readToClose(flooder);
  assert.equal(closeCode, undefined);
  assert.ok(echoedBytes < sent, `${echoedBytes} of ${sent} bytes echoed`);
  assert.equal(await steady.echo("after"), "after");
}

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --max-message: messages up to the limit are echoed, larger ones close with 1009`, async (t) => {
    await using server = await startServer(target, {
      args: ["--max-message", String(MAX_MESSAGE)],
    });
    await using steady = await connect(server.url);

    await t.step(
      "exactly the limit is echoed: binary, ASCII and 2-byte text",
      async () => {
        const bytes = pattern(MAX_MESSAGE);
        assert.deepEqual(await steady.echo(bytes), bytes);
        const ascii = "a".repeat(MAX_MESSAGE);
        assert.equal(await steady.echo(ascii), ascii);
        const twoByte = "é".repeat(MAX_MESSAGE / 2); // 1000 bytes of UTF-8
        assert.equal(await steady.echo(twoByte), twoByte);
      },
    );

    const tooBig: Array<[string, string | Uint8Array]> = [
      ["binary, one byte over", pattern(MAX_MESSAGE + 1)],
      ["ASCII text, one byte over", "a".repeat(MAX_MESSAGE + 1)],
      // 501 UTF-16 units but 1002 bytes: the limit counts bytes.
      ["2-byte text, 501 characters", "é".repeat(501)],
      ["4-byte text, 251 characters", "🦕".repeat(251)],
    ];
    for (const [label, message] of tooBig) {
      await t.step(`${label} → 1009`, async () => {
        await using client = await connect(server.url);
        client.send(message);
        const closed = await client.closed;
        assert.equal(closed.code, 1009);
        assert.equal(closed.reason, tooBigReason(target));
      });
    }

    await t.step(
      "fragments that are small alone but too big together → 1009",
      async () => {
        using client = await RawClient.connect(server.port);
        const half = new Uint8Array(600);
        await client.send({ opcode: Opcode.binary, fin: false, payload: half });
        await client.send({ opcode: Opcode.continuation, payload: half });
        assert.deepEqual(await readToClose(client), {
          closeCode: 1009,
          echoedBytes: 0,
        });
        await client.send({
          opcode: Opcode.close,
          payload: closePayload(1009),
        });
        assert.ok(await client.closedWithin(2000), "server must close TCP");
      },
    );

    await t.step(
      "each refusal is logged with its code; others keep working",
      async () => {
        // Logged by our glue on Deno, from Bun's close callback on Bun.
        const refusals = await waitForRecords(
          server,
          (r) => r.logger === "wsecho.limits" && r.properties.code === 1009,
          tooBig.length + 1,
        );
        assert.equal(refusals.length, tooBig.length + 1);
        assert.equal(
          refusals[0].properties.reason,
          `message exceeds ${MAX_MESSAGE} bytes`,
        );
        assert.equal(await steady.echo("still here"), "still here");
        await waitForHealth(server.http, (h) => h.clients === 1);
      },
    );
  });

  const floodOutcome = ({
    "deno-wsecho":
      "stops being read (its sends stall, memory stays bounded, others are served) and is dropped with 1008 after --idle-timeout without write progress",
    // KNOWN DENO BEHAVIOUR: see the end of the test.
    deno:
      "is dropped with 1008 logged but no close frame arriving (Deno resets TCP), memory stays bounded",
    bun: "is closed with 1008, memory stays bounded",
  } as Record<string, string>)[target.name];
  Deno.test(`[${target.name}] --max-buffered: a client that sends but never reads ${floodOutcome}`, async () => {
    if (target.engine === "wsecho") return await engineBackpressure(target);
    const maxBuffered = MIB;
    await using server = await startServer(target, {
      args: ["--max-buffered", String(maxBuffered)],
    });
    await using steady = await connect(server.url);
    assert.equal(await steady.echo("warm-up"), "warm-up");
    // Bun's send() returns 0 for these as for a dropped message: they must
    // not be taken for one.
    assert.equal(await steady.echo(""), "");
    assert.deepEqual(await steady.echo(new Uint8Array(0)), new Uint8Array(0));
    const rssBefore = rss(server);

    using flooder = await RawClient.connect(server.port);
    flooder.pauseReading();
    // Stop when the server refuses more (a write fails: it dropped the
    // connection), stops reading (a write stalls for 2 s: TCP backpressure;
    // generous for a busy machine), or after a few seconds.
    const { sent } = await flood(flooder, { stallMs: 2000, seconds: 5 });
    // The bound below means something only if the server was offered more
    // than it may keep: a server without the limit reads all of it and grows
    // by more than it was sent (Deno ~1.8x, Bun ~1.1x, measured at 64 MiB
    // with the limit switched off in the glue, which fails the bound). So
    // the flood must have been taken whole, or have ended because the limit
    // struck: Deno stops reading or drops TCP at the limit (after 5-9 MiB,
    // measured), while Bun keeps reading and discarding, so it takes all.
    // A flood that merely stalled on a busy machine proves nothing.
    const limitStruck = (await waitForRecords(
      server,
      (r) => r.logger === "wsecho.limits" && r.properties.code === 1008,
      1,
    )).length === 1;
    assert.ok(
      limitStruck || sent >= 48 * MIB,
      `only ${sent} bytes sent and no refusal: the limit was not put to the test`,
    );
    // Others are still served while the flooder is stuck.
    assert.equal(
      await steady.echo("others keep working"),
      "others keep working",
    );
    const growth = rss(server) - rssBefore;
    assert.ok(
      growth < 32 * MIB,
      `server grew by ${growth} bytes while a client sent ${sent} and read nothing`,
    );

    // What the flooder finds once it reads: some echoes (at most the cap
    // plus what the kernel buffers held), then the end.
    flooder.resumeReading();
    const { closeCode, echoedBytes } = await readToClose(flooder);
    assert.ok(echoedBytes < sent, `${echoedBytes} of ${sent} bytes echoed`);
    if (target.runtime === "bun") {
      assert.equal(closeCode, 1008);
    } else {
      // KNOWN DENO BEHAVIOUR: Deno drops TCP right after our close frame
      // while the client's unread requests are pending, so the kernel
      // resets the connection and the 1008 frame never arrives.
      assert.equal(closeCode, undefined);
    }
    const [refusal] = await waitForRecords(
      server,
      (r) => r.logger === "wsecho.limits",
      1,
    );
    assert.equal(refusal.properties.code, 1008);
    assert.equal(
      refusal.properties.reason,
      `not reading: over ${maxBuffered} bytes queued`,
    );
    flooder.close();
    await waitForHealth(server.http, (h) => h.clients === 1);
    assert.equal(await steady.echo("after"), "after");
  });

  const denoCap = builtinEngine(target) === "deno";
  Deno.test(
    `[${target.name}] --max-message 64MiB: a 64 MiB message is within the limit` +
      (denoCap
        ? " (KNOWN DENO DEFECT: a start-up warning, and a frame announcing 64 MiB is dropped at its header, no 1009)"
        : ", echoed, no warning"),
    async () => {
      await using server = await startServer(target, {
        // Room to queue the echo, which this client does not read.
        args: ["--max-message", "64MiB", "--max-buffered", "1GiB"],
      });
      const warnings = server.records().filter((r) =>
        r.logger === "wsecho.limits" && r.level === "WARNING"
      );
      using client = await RawClient.connect(server.port);
      client.pauseReading();
      // An all-zero masking key, so that the payload goes as it is, in
      // 64 KiB writes rather than one 64 MiB buffer.
      await client.write(
        frameHeader(Opcode.binary, DENO_CAP, new Uint8Array(4)),
      );
      if (denoCap) {
        assert.deepEqual(warnings.map((r) => r.message), [
          `--max-message ${DENO_CAP}: Deno drops connections that send a frame of 64 MiB or more, whatever this limit`,
        ]);
        // Deno's fixed cap: the header alone ends the connection, with no
        // close frame; one byte less is waited for as usual.
        client.resumeReading();
        assert.deepEqual(await client.ending(2000), {
          tcpClosed: true,
          dataFrames: [],
        });
        using under = await RawClient.connect(server.port);
        await under.write(
          frameHeader(Opcode.binary, DENO_CAP - 1, new Uint8Array(4)),
        );
        assert.equal(await under.closedWithin(1000), false);
        return;
      }
      assert.deepEqual(warnings, []);
      const zeros = new Uint8Array(64 * 1024);
      for (let sent = 0; sent < DENO_CAP; sent += zeros.length) {
        await client.write(zeros);
      }
      const health = await waitForHealth(
        server.http,
        (h) => (h.messagesOut as { binary: number }).binary === 1,
      );
      assert.deepEqual(health.bytesIn, { text: 0, binary: DENO_CAP });
      assert.equal(health.clients, 1);
    },
  );

  // Just under Deno's cap: no warning on any target.
  Deno.test(`[${target.name}] --max-message just under 64MiB: no start-up warning`, async () => {
    await using server = await startServer(target, {
      args: ["--max-message", String(DENO_CAP - 1)],
    });
    assert.deepEqual(
      server.records().filter((r) => r.level === "WARNING"),
      [],
    );
  });

  Deno.test(`[${target.name}] limit flags reject bad values with exit code 2`, async (t) => {
    const cases: Array<[string[], string]> = [
      [
        ["--max-message", "0"],
        "--max-message 0 is out of range (1-1GiB)",
      ],
      [
        ["--max-message", "2GiB"],
        "--max-message 2GiB is out of range (1-1GiB)",
      ],
      [
        ["--max-buffered", "lots"],
        "--max-buffered must be a byte count from 1 to 1GiB (e.g. 65536, 64KiB, 16MiB), got 'lots'",
      ],
      [
        ["--max-buffered", "4MB"],
        "--max-buffered 4MB: sizes take binary units (MiB, 1048576 bytes), not MB; write 4MiB",
      ],
      [
        ["--idle-timeout=-1"],
        "--idle-timeout -1 is out of range (0-960 seconds)",
      ],
      [
        ["--idle-timeout", "961"],
        "--idle-timeout 961 is out of range (0-960 seconds)",
      ],
      [
        ["--shutdown-timeout", "1.5"],
        "--shutdown-timeout takes whole seconds (e.g. 2), got '1.5'",
      ],
      [["--max-message"], "option '--max-message' needs a value"],
      [
        ["--permessage-deflate=yes"],
        "option '--permessage-deflate' takes no value",
      ],
    ];
    for (const [args, message] of cases) {
      await t.step(args.join(" "), async () => {
        const result = await runCli(target, args);
        assert.equal(result.code, 2);
        // The last line: `deno run` prints a warning of its own first.
        const lines = result.stderr.trimEnd().split("\n");
        assert.equal(
          lines.at(-1),
          `wsecho: ${message} ${helpHint(target.runtime)}`,
        );
      });
    }
  });
}
