/**
 * --idle-timeout over real sockets: a peer that never answers pings (a
 * half-open TCP connection looks the same) is dropped and forgotten; a peer
 * that answers stays; 0 turns heartbeats off.
 *
 * The runtimes time this differently (docs/security.md):
 * Deno pings after half the timeout and drops at the timeout; Bun counts
 * in 4-second steps, so with a 2-second timeout it pings at about 4 s and
 * drops at about 8 s.
 */
import assert from "node:assert/strict";
import {
  type RuntimeName,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import {
  closeCodeOf,
  type Frame,
  Opcode,
  RawClient,
} from "../helpers/raw_ws.ts";
import { waitForHealth } from "../helpers/ws.ts";

const IDLE_TIMEOUT = 2;

/**
 * When the dead peer must be gone, in ms after it connected, as the
 * server's own log lines time it (its --debug connect and disconnect
 * lines): the test's view of the drop can come late on a busy machine.
 */
const DROP_WINDOW: Record<RuntimeName, [number, number]> = {
  deno: [IDLE_TIMEOUT * 1000 - 500, IDLE_TIMEOUT * 1000 + 2000],
  bun: [6000, 11000],
};

/** How late, at most, the test may notice a drop the server made in time. */
const NOTICED_LATE_MS = 10_000;

/** Ms from the server's connect line for `client` to its disconnect line. */
async function connectedFor(
  server: ServerProcess,
  client: RawClient,
): Promise<number> {
  const remote = `127.0.0.1:${client.conn.localAddr.port}`;
  const at = async (what: string) => {
    const line = await server.stderr.waitFor((line) => {
      if (!line.startsWith("{")) return false;
      const record = JSON.parse(line);
      return record.message.includes(what) &&
        record.properties.remote === remote;
    });
    return Date.parse(JSON.parse(line)["@timestamp"]);
  };
  return await at("disconnected from") - await at("connected from");
}

/** Reads frames until TCP ends or `ms` passes; never answers anything. */
async function readUntilDropped(client: RawClient, ms: number) {
  const frames: Frame[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let received: Frame | undefined;
    try {
      received = await client.next(deadline - Date.now());
    } catch {
      break; // Still open at the deadline.
    }
    if (received === undefined) return { frames, dropped: true };
    frames.push(received);
  }
  return { frames, dropped: false };
}

/** Answers every ping with a pong until TCP ends; counts the pings. */
async function answerPings(client: RawClient): Promise<number> {
  let pings = 0;
  while (true) {
    let received: Frame | undefined;
    try {
      received = await client.next(30_000);
    } catch {
      return pings;
    }
    if (received === undefined) return pings;
    if (received.opcode === Opcode.ping) {
      pings++;
      await client.send({ opcode: Opcode.pong, payload: received.payload });
    }
  }
}

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --idle-timeout: a peer that never answers pings is dropped and forgotten; one that answers stays; with 0 nobody is pinged or dropped`, async () => {
    await using server = await startServer(target, {
      args: ["--idle-timeout", String(IDLE_TIMEOUT), "--debug"],
    });
    await using noHeartbeats = await startServer(target, {
      args: ["--idle-timeout", "0"],
    });

    using alive = await RawClient.connect(server.port);
    const answered = answerPings(alive);
    using dead = await RawClient.connect(server.port);
    using unwatched = await RawClient.connect(noHeartbeats.port);
    await waitForHealth(server.http, (h) => h.clients === 2);

    const [min, max] = DROP_WINDOW[target.runtime];
    // The peer of the server without heartbeats is watched as long as the
    // dead one, beside it: any timeout that would drop the dead peer in
    // that window would show on it too (0 read as a small timeout, say).
    const quietWatch = readUntilDropped(unwatched, max);
    const { frames, dropped } = await readUntilDropped(
      dead,
      max + NOTICED_LATE_MS,
    );
    assert.ok(
      dropped,
      `dead peer still connected after ${max + NOTICED_LATE_MS} ms`,
    );
    const droppedAfter = await connectedFor(server, dead);
    assert.ok(
      droppedAfter >= min && droppedAfter <= max,
      `dropped after ${droppedAfter} ms, not within ${min}-${max} ms`,
    );
    assert.ok(
      frames.some((f) => f.opcode === Opcode.ping),
      "the server pinged before giving up",
    );
    // Deno's engine says goodbye with 1001 before dropping TCP, and ours
    // does as Deno's (docs/engine.md, "Heartbeat"); Bun just drops it.
    const closes = frames.filter((f) => f.opcode === Opcode.close);
    assert.deepEqual(
      closes.map(closeCodeOf),
      target.runtime === "deno" ? [1001] : [],
    );
    await waitForHealth(server.http, (h) => h.clients === 1);

    // The peer that answers pings is still there, and still echoed.
    assert.equal(alive.ended, false);
    await alive.send({ opcode: Opcode.text, payload: "still alive" });
    await waitForHealth(
      server.http,
      (h) => (h.messagesOut as { text: number }).text === 1,
    );

    // With --idle-timeout 0 nobody is pinged or dropped, not even in the
    // time the dead peer above took to be dropped.
    assert.deepEqual(await quietWatch, { frames: [], dropped: false });
    assert.equal(
      (await waitForHealth(noHeartbeats.http, () => true)).clients,
      1,
    );

    alive.close();
    assert.ok(await answered >= 1, "the live peer was pinged too");
  });
}
