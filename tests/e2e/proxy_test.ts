/**
 * wsecho behind the reverse proxies users run, with the configurations we
 * ship in deploy/ (nginx, HAProxy, Caddy from Debian's packages), all on
 * loopback: echo through each proxy on both runtimes; routing around a
 * stopped or draining instance and back to a fresh one; a rolling restart
 * under load through HAProxy that loses nothing; and idle connections that
 * a proxy's idle timeout would cut, kept up by wsecho's pings.
 *
 * A proxy that is not installed is skipped, except in CI (CI set), where
 * .ci/run installs all three and a missing one fails.
 */
import assert from "node:assert/strict";
import { MIB } from "../../lib/core/payload.ts";
import {
  freshHealth,
  onPort,
  sampleHealth,
  silentClient,
} from "../helpers/net.ts";
import {
  PROXIES,
  type ProxyName,
  type ProxyProcess,
  proxySkip,
  startProxy,
} from "../helpers/proxies.ts";
import {
  closeCodeOf,
  closePayload,
  type Frame,
  Opcode,
  RawClient,
  sleep,
} from "../helpers/raw_ws.ts";
import {
  type RuntimeName,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { connect, pattern } from "../helpers/ws.ts";
import {
  builtinEngine,
  DENO,
  type Target,
  targetOf,
  TARGETS,
} from "../helpers/targets.ts";
import { skippable } from "../helpers/skip.ts";

/** Loopback only: the proxies reach the instances on 127.0.0.1. */
const LOOPBACK = ["--host", "127.0.0.1"];

function startInstance(
  server: Target | RuntimeName,
  args: string[] = [],
): Promise<ServerProcess> {
  const target = typeof server === "string" ? targetOf(server) : server;
  return startServer(target, { args: [...LOOPBACK, ...args] });
}

/**
 * A new instance on the port an old one used: a restart in place. The
 * proxy's configuration names that port, so it cannot come from the
 * kernel; while another test's socket holds it, the start is tried again.
 */
function restartInstance(
  server: Target | RuntimeName,
  port: number,
  args: string[] = [],
): Promise<ServerProcess> {
  return onPort(
    port,
    () => startInstance(server, [...args, "--port", String(port)]),
  );
}

/** The pids that answered `count` fresh `GET /healthz` through the proxy. */
async function pidsBehind(proxy: ProxyProcess, count: number) {
  const answers = await sampleHealth(proxy.http, count);
  return new Set(answers.map((health) => health.pid));
}

/** Opens a WebSocket through the proxy and echoes one text message. */
async function echoOnce(proxy: ProxyProcess, text: string): Promise<void> {
  await using client = await connect(proxy.url);
  assert.equal(await client.echo(text), text);
}

/** Polls `check` every 50 ms until it holds; fails after `ms`. */
async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

// Which runtime the routing tests use per proxy: both runtimes are
// covered across the proxies without running every pair.
const ROUTING_RUNTIME: Record<ProxyName, RuntimeName> = {
  nginx: "deno",
  haproxy: "bun",
  caddy: "deno",
};

for (const proxyName of PROXIES) {
  Deno.test({
    ...skippable(
      `${proxyName}: text and 1 MiB binary echo on every target, both instances behind it`,
      proxySkip(proxyName),
    ),
    async fn() {
      for (const target of TARGETS) {
        const runtime = target.name;
        await using a = await startInstance(target);
        await using b = await startInstance(target);
        await using proxy = await startProxy(proxyName, {
          backends: [a.port, b.port],
        });
        assert.deepEqual(
          await pidsBehind(proxy, 20),
          new Set([a.child.pid, b.child.pid]),
          `${runtime}: requests through ${proxyName} reach both instances`,
        );
        await using client = await connect(proxy.url);
        const text = `héllo through ${proxyName} to ${runtime} ✓`;
        assert.equal(await client.echo(text), text);
        const bytes = pattern(MIB, 7);
        const echoed = await client.echo(bytes);
        assert.ok(echoed instanceof Uint8Array, "binary comes back binary");
        assert.equal(echoed.byteLength, MIB);
        assert.ok(
          echoed.every((byte, i) => byte === bytes[i]),
          "1 MiB echoed byte for byte",
        );
      }
    },
  });

  Deno.test({
    ...skippable(
      `${proxyName} (${
        ROUTING_RUNTIME[proxyName]
      }): stops routing to a stopped instance, routes again to a fresh one`,
      proxySkip(proxyName),
    ),
    async fn() {
      const runtime = ROUTING_RUNTIME[proxyName];
      const a = await startInstance(runtime);
      await using b = await startInstance(runtime);
      await using proxy = await startProxy(proxyName, {
        backends: [a.port, b.port],
      });
      await a.stop();
      // At once, before any active check has run: a refused connect is
      // retried on the other instance, never shown to the client.
      for (let i = 0; i < 10; i++) await echoOnce(proxy, `after stop ${i}`);
      assert.deepEqual(await pidsBehind(proxy, 10), new Set([b.child.pid]));

      await using fresh = await restartInstance(runtime, a.port);
      await waitUntil(
        `${proxyName} routes to the restarted instance`,
        async () => (await freshHealth(proxy.http)).pid === fresh.child.pid,
      );
      // WebSockets reach it too: of 10 held at once, some land there.
      const held = await Promise.all(
        Array.from({ length: 10 }, () => connect(proxy.url)),
      );
      try {
        assert.ok(Number((await freshHealth(fresh.http)).clients) > 0);
      } finally {
        await Promise.all(held.map((client) => client.close()));
      }
    },
  });

  // Deno only: on Bun the drain ends as soon as the 1001 frames are sent
  // (uWebSockets runs the close handler at once, without waiting for the
  // client's answer), so a Bun instance drains for milliseconds before it
  // stops listening; the stopped-instance test above covers that.
  Deno.test({
    ...skippable(
      `${proxyName} (deno): upgrades go to the other instance while one drains`,
      proxySkip(proxyName),
    ),
    async fn() {
      const runtime: RuntimeName = "deno";
      // A silent client keeps `a` draining (it never answers the 1001)
      // for up to its 28.5 s drain wait: long enough to route around it
      // even on a busy machine (an 8.5 s drain ran out there, before
      // HAProxy's checks had seen the 503). The test's end stops `a` with
      // a second signal, at once.
      await using a = await startInstance(runtime, [
        "--shutdown-timeout",
        "30",
      ]);
      await using b = await startInstance(runtime);
      await using proxy = await startProxy(proxyName, {
        backends: [a.port, b.port],
      });
      const silent = await silentClient(a.port);
      try {
        a.child.kill("SIGTERM");
        await a.waitForLog("closing 1 client(s) with 1001");
        // 503 while draining, so that health checks take `a` out while it
        // still listens.
        using http = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
        const health = await fetch(`${a.http}/healthz`, { client: http });
        assert.equal(health.status, 503);
        assert.equal((await health.json()).status, "draining");
        if (proxyName === "haproxy") {
          // Its active check saw the 503 (Layer 7), not a refused connect.
          await waitUntil(
            "HAProxy marks wsecho1 DOWN",
            () =>
              proxy.output.split("\n").some((line) =>
                line.includes("wsecho1 is DOWN") && line.includes("503")
              ),
          );
        }
        // Caddy's active check takes `a` out the same way; nginx (no
        // active checks) after the first 503, retried on `b`. Either way,
        // plain requests end up all on `b`.
        await waitUntil(
          `${proxyName} routes around the draining instance`,
          async () => {
            const pids = await pidsBehind(proxy, 5);
            return pids.size === 1 && pids.has(b.child.pid);
          },
        );
        const onBefore = Number((await freshHealth(b.http)).connectionsTotal);
        let refused = 0;
        for (let i = 0; i < 10; i++) {
          await echoOnce(proxy, `while draining ${i}`).catch(() => refused++);
        }
        assert.equal(refused, 0, `upgrade(s) refused through ${proxyName}`);
        const onB = Number((await freshHealth(b.http)).connectionsTotal);
        assert.equal(onB - onBefore, 10, "every echo was served by b");
      } finally {
        silent.close();
      }
    },
  });
}

/** `GET /healthz` through the proxy from [::1], with a forged X-Forwarded-For. */
async function healthFromIpv6(proxy: ProxyProcess) {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(`http://[::1]:${proxy.port}/healthz`, {
    client,
    headers: { "x-forwarded-for": FORGED },
  });
  return await response.json();
}

/** What a client writes into X-Forwarded-For itself: never to be believed. */
const FORGED = "198.51.100.66";

for (const proxyName of PROXIES) {
  Deno.test({
    ...skippable(
      `${proxyName}: --trust-proxy 127.0.0.1 shows the client's address (/healthz, --debug connect line) on every target; without it the proxy's`,
      proxySkip(proxyName),
    ),
    async fn() {
      for (const target of TARGETS) {
        const runtime = target.name;
        // The proxy reaches both from 127.0.0.1; the client comes from
        // [::1], so the two addresses differ on one machine.
        await using trusting = await startInstance(target, [
          "--debug",
          "--trust-proxy",
          "127.0.0.1",
        ]);
        await using ignoring = await startInstance(target, ["--debug"]);
        await using proxy = await startProxy(proxyName, {
          backends: [trusting.port, ignoring.port],
          ipv6: true,
        });
        const clientSeenBy = new Map<number | undefined, unknown>();
        await waitUntil(`${runtime}: both instances answered`, async () => {
          const health = await healthFromIpv6(proxy);
          clientSeenBy.set(health.pid as number, health.client);
          return clientSeenBy.size === 2;
        });
        // nginx and HAProxy append the address they saw after the forged
        // one, Caddy replaces it: the right-most untrusted entry is [::1].
        assert.equal(clientSeenBy.get(trusting.child.pid), "::1", runtime);
        assert.equal(
          clientSeenBy.get(ignoring.child.pid),
          "127.0.0.1",
          `${runtime}: X-Forwarded-For ignored without --trust-proxy`,
        );

        // Held at once, least-connections spreads them over both.
        const held = [];
        try {
          for (let i = 0; i < 4; i++) {
            held.push(await connect(`ws://[::1]:${proxy.port}/`));
          }
          const connectedFrom = async (server: ServerProcess) =>
            (await server.waitForLog("connected from")).properties.remote;
          assert.equal(await connectedFrom(trusting), "::1", runtime);
          assert.match(
            String(await connectedFrom(ignoring)),
            /^127\.0\.0\.1:\d+$/,
            runtime,
          );
        } finally {
          await Promise.all(held.map((client) => client.close()));
        }
      }
    },
  });
}

/** Counts over all clients of the rolling restart. */
interface Counts {
  sent: number;
  echoed: number;
  /** Sent, then a 1001 close came instead of the echo. */
  unanswered: number;
  reconnects: number;
  /** Reconnect attempts the proxy could not serve. */
  failedConnects: number;
  /** Longest time from a client's 1001 close to its next echo, ms. */
  maxGapMs: number;
  totalGapMs: number;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * One client echoing continuously through the proxy, one message in
 * flight, alternating text and binary, on raw TCP: it judges the frames
 * that arrive, not a WebSocket library's reading of them. (Deno's
 * WebSocket reports code 0 for a 1001 it has received when the proxy
 * resets TCP just after: docs/deployment.md, "HAProxy 2.6 and a server's
 * FIN".) A 1001 close makes it answer, see TCP end, reconnect and carry
 * on; anything else (a wrong echo, an echo twice, TCP ending without a
 * close frame, another code) is recorded as an error.
 */
class EchoLoop {
  readonly errors: string[] = [];
  closes = 0;
  private seq = 0;
  private stopping = false;
  private downSince?: number;
  private done?: Promise<void>;

  constructor(
    readonly id: number,
    readonly port: number,
    readonly counts: Counts,
    /** The pause after each echo before the next message. */
    readonly pauseMs = 5,
  ) {}

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopping) {
      const client = await this.open();
      if (!client) return;
      if (!first) this.counts.reconnects++;
      first = false;
      try {
        await this.session(client);
      } finally {
        client.close();
      }
    }
  }

  private async open(): Promise<RawClient | undefined> {
    while (!this.stopping) {
      try {
        return await RawClient.connect(this.port);
      } catch {
        this.counts.failedConnects++;
        await sleep(50);
      }
    }
  }

  /** Echoes until the server closes (or the loop stops). */
  private async session(client: RawClient): Promise<void> {
    const fail = (what: string) =>
      this.errors.push(`client ${this.id}: ${what}`);
    while (true) {
      if (this.stopping) return await this.leave(client);
      const seq = this.seq++;
      const text = `client ${this.id} message ${seq}`;
      const opcode = seq % 2 ? Opcode.binary : Opcode.text;
      this.counts.sent++;
      await client.send({ opcode, payload: textEncoder.encode(text) })
        .catch(() => {}); // A reset shows up in the read below.
      let reply;
      do reply = await client.next(5000).catch(() => null); while (
        reply?.opcode === Opcode.ping || reply?.opcode === Opcode.pong
      );
      if (reply === null) return void fail(`no echo of ${seq} in 5 s`);
      if (reply === undefined) {
        return void fail(
          "TCP ended without a close frame",
        );
      }
      if (reply.opcode === Opcode.close) {
        this.counts.unanswered++;
        return await this.closedByServer(client, reply, fail);
      }
      const echoed = textDecoder.decode(reply.payload);
      if (reply.opcode !== opcode || echoed !== text) {
        return void fail(
          `got ${reply.opcode}:${echoed}, want ${opcode}:${text}`,
        );
      }
      this.counts.echoed++;
      this.endGap();
      await sleep(this.pauseMs);
    }
  }

  /** The server's close frame came: it must be 1001; answer it, see TCP end. */
  private async closedByServer(
    client: RawClient,
    close: Frame,
    fail: (what: string) => void,
  ): Promise<void> {
    this.closes++;
    this.downSince = Date.now();
    const code = closeCodeOf(close);
    if (code !== 1001) fail(`closed with ${code}`);
    await client.send({ opcode: Opcode.close, payload: closePayload(1001) })
      .catch(() => {});
    if (!await client.closedWithin(5000)) fail("TCP open 5 s after the close");
  }

  /** The test is over: close with 1000 and wait for the server's answer. */
  private async leave(client: RawClient): Promise<void> {
    await client.send({ opcode: Opcode.close, payload: closePayload(1000) })
      .catch(() => {});
    await client.closedWithin(2000);
  }

  private endGap(): void {
    if (this.downSince === undefined) return;
    const gap = Date.now() - this.downSince;
    this.counts.maxGapMs = Math.max(this.counts.maxGapMs, gap);
    this.counts.totalGapMs += gap;
    this.downSince = undefined;
  }
}

const CLIENTS = 50;

/**
 * Two instances of a target behind HAProxy (the shipped configuration),
 * with CLIENTS echo loops busy through it from the start.
 */
class BusyPair implements AsyncDisposable {
  readonly counts: Counts = {
    sent: 0,
    echoed: 0,
    unanswered: 0,
    reconnects: 0,
    failedConnects: 0,
    maxGapMs: 0,
    totalGapMs: 0,
  };
  readonly loops: EchoLoop[];
  /** How many clients each restarted instance logged closing with 1001. */
  readonly closing: number[] = [];

  private constructor(
    readonly target: Target,
    readonly servers: ServerProcess[],
    readonly proxy: ProxyProcess,
    pauseMs: number,
  ) {
    this.loops = Array.from(
      { length: CLIENTS },
      (_, id) => new EchoLoop(id, proxy.port, this.counts, pauseMs),
    );
  }

  /** `pauseMs`: each client's pause between an echo and its next message. */
  static async start(target: Target, pauseMs = 5): Promise<BusyPair> {
    const servers = [await startInstance(target)];
    servers.push(await startInstance(target));
    const proxy = await startProxy("haproxy", {
      backends: [servers[0].port, servers[1].port],
    });
    const pair = new BusyPair(target, servers, proxy, pauseMs);
    for (const loop of pair.loops) loop.start();
    await waitUntil(
      "every client echoes",
      () => pair.counts.echoed > CLIENTS * 3,
    );
    return pair;
  }

  /** Close frames the clients received so far. */
  closes(): number {
    return this.loops.reduce((sum, loop) => sum + loop.closes, 0);
  }

  errors(): string[] {
    return this.loops.flatMap((loop) => loop.errors);
  }

  /**
   * SIGTERM to instance `index`, then a new one on its port once HAProxy
   * marked it down, until HAProxy has it up and traffic flows. Returns how
   * many clients it logged closing with 1001 and how many close frames
   * the clients saw meanwhile.
   */
  async restart(index: number): Promise<{ logged: number; seen: number }> {
    const name = `wsecho${index + 1}`;
    const old = this.servers[index];
    const closesBefore = this.closes();
    const said = (what: string) =>
      this.proxy.output.split(`${name} is ${what}`).length - 1;
    const [downs, ups] = [said("DOWN"), said("UP")];
    old.child.kill("SIGTERM");
    const record = await old.waitForLog("client(s) with 1001");
    const logged = Number(record.properties.clients);
    this.closing.push(logged);
    assert.equal((await old.status()).code, 0);
    await waitUntil(`${name} marked down`, () => said("DOWN") > downs);
    this.servers[index] = await restartInstance(this.target, old.port);
    await waitUntil(`${name} back up`, () => said("UP") > ups);
    await sleep(300);
    const seen = this.closes() - closesBefore;
    await waitUntil("traffic resumes", () => {
      const before = this.counts.echoed;
      return sleep(100).then(() => this.counts.echoed > before);
    });
    return { logged, seen };
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await this.proxy[Symbol.asyncDispose]();
    for (const server of this.servers) await server[Symbol.asyncDispose]();
  }
}

/**
 * Deno's builtin engine can lose the 1001 close frame: a client of the
 * stopped instance sees TCP end without it (docs/deployment.md, "HAProxy
 * 2.6 and a server's FIN"). The rolling restart therefore runs on Deno's
 * builtin engine only on request; the KNOWN DENO DEFECT test below checks
 * that the defect is still there.
 */
const DENO_LOSES_CLOSE_FRAMES =
  "Deno's engine can drop TCP without its 1001 close frame (KNOWN DENO DEFECT test below); WSECHO_ROLLING_RESTART=1 runs it";

function rollingRestartSkip(target: Target): string | undefined {
  return proxySkip("haproxy") ??
    (builtinEngine(target) === "deno" &&
        Deno.env.get("WSECHO_ROLLING_RESTART") !== "1"
      ? DENO_LOSES_CLOSE_FRAMES
      : undefined);
}

// Every client of the stopped instance must get the 1001 frame before TCP
// ends. TCP then often ends in a reset through HAProxy 2.6: the builtin
// engines end TCP before the client's close has come back (Bun at once,
// Deno when a message arrives after its close frame) and HAProxy closes
// the whole tunnel on the server's FIN (docs/deployment.md). On Deno's
// builtin engine a close can also go unsent: a message Deno has already
// read when close() is called makes it drop TCP before its deferred close
// frame is written (seen with tcpdump: FIN, no close frame, up to 9 of
// 50). That is Deno's defect, not the proxy's; the test runs there only on
// request (WSECHO_ROLLING_RESTART=1) until Deno is fixed.
for (const target of TARGETS) {
  Deno.test({
    ...skippable(
      `haproxy (${target.name}): a rolling restart of both instances under ${CLIENTS} busy clients loses nothing`,
      rollingRestartSkip(target),
    ),
    async fn() {
      const started = Date.now();
      await using pair = await BusyPair.start(target);
      const { counts, closing } = pair;
      for (const server of pair.servers) {
        assert.ok(Number((await freshHealth(server.http)).clients) > 0);
      }
      for (const index of [0, 1]) {
        const { logged, seen } = await pair.restart(index);
        // Only the stopped instance's clients saw a close; the others
        // saw nothing at all.
        assert.equal(seen, logged, `closes while wsecho${index + 1} restarted`);
      }
      await pair.stop();
      const elapsed = Date.now() - started;
      console.log(
        `rolling restart (${target.name}, HAProxy, ${CLIENTS} clients, ${elapsed} ms): ` +
          `sent ${counts.sent}, echoed ${counts.echoed}, ` +
          `unanswered before a 1001 ${counts.unanswered}, ` +
          `closed with 1001 ${
            closing.join(" + ")
          }, reconnects ${counts.reconnects}, ` +
          `failed reconnect attempts ${counts.failedConnects}, ` +
          `time without service per reconnect: max ${counts.maxGapMs} ms, ` +
          `mean ${
            Math.round(counts.totalGapMs / Math.max(1, counts.reconnects))
          } ms`,
      );
      assert.deepEqual(pair.errors(), []);
      assert.ok(closing.every((n) => n > 0), "both instances had clients");
      assert.equal(counts.reconnects, closing[0] + closing[1]);
      assert.equal(counts.sent, counts.echoed + counts.unanswered);
      assert.ok(counts.unanswered <= counts.reconnects);
      assert.equal(counts.failedConnects, 0, "no reconnect was refused");
    },
  });
}

/**
 * Restarts the KNOWN DENO DEFECT test below may take to see a close frame
 * lost. On a busy 2-core machine it took 1, 2, 4, 5, 7, 10 and 13 restarts
 * in seven runs (about 1 in 6 restarts loses one; ~2.5 s a restart): 40
 * leave about 1 in 1,500 runs that miss it while Deno still has the
 * defect. The long wait is spent only once Deno is fixed.
 */
const DEFECT_RESTARTS = 40;

Deno.test({
  ...skippable(
    `haproxy (deno): KNOWN DENO DEFECT: in a rolling restart some clients see TCP end without the 1001 close frame (fails once Deno is fixed: then run the rolling restart on [deno] always)`,
    proxySkip("haproxy"),
  ),
  async fn() {
    // No pause between messages: one is more often read and not yet
    // answered when the shutdown's close() comes, which is the defect's case.
    await using pair = await BusyPair.start(DENO, 0);
    const lost = () =>
      pair.errors().filter((error) =>
        error.endsWith("TCP ended without a close frame")
      );
    let restarts = 0;
    while (restarts < DEFECT_RESTARTS && lost().length === 0) {
      await pair.restart(restarts++ % 2);
    }
    await pair.stop();
    assert.ok(
      lost().length > 0,
      `no close frame lost in ${restarts} restarts: if Deno is fixed, drop ` +
        `DENO_LOSES_CLOSE_FRAMES and this test (docs/deployment.md too)`,
    );
    console.log(
      `KNOWN DENO DEFECT: ${lost().length} of ${
        pair.closing.reduce((a, b) => a + b)
      } clients lost their close frame in ${restarts} restart(s)`,
    );
    // That is all that went wrong.
    assert.deepEqual(
      pair.errors().filter((error) => !lost().includes(error)),
      [],
    );
  },
});

/**
 * The proxy's idle limit for the idle tests: above Bun's ping interval
 * (Bun counts in 4-second steps, so it pings every 4 s even at
 * --idle-timeout 2; Deno pings after half the timeout, every 1 s).
 */
const PROXY_IDLE_S = 6;

/** Proxies with an idle limit on upgraded connections (Caddy has none). */
const IDLE_PROXIES = ["haproxy", "nginx"] as const;
const idleSkip = IDLE_PROXIES.map(proxySkip).filter(Boolean);

Deno.test({
  ...skippable(
    `${
      IDLE_PROXIES.join(", ")
    }: idle connections outlive a ${PROXY_IDLE_S} s proxy timeout with our pings, and are dropped without`,
    idleSkip.length > 0 ? idleSkip.join(", ") : undefined,
  ),
  async fn() {
    // Every case waits at the same time: proxy × target × pings. They
    // start one after the other: a dozen servers and proxies starting at
    // once took over 10 s on a busy 2-core machine.
    const cases = IDLE_PROXIES.flatMap((proxyName) =>
      TARGETS.flatMap((target) =>
        [true, false].map((pings) => ({ proxyName, target, pings }))
      )
    );
    let previousStarted = Promise.resolve();
    await Promise.all(cases.map(async ({ proxyName, target, pings }) => {
      const turn = previousStarted;
      let started = () => {};
      previousStarted = new Promise((resolve) => started = resolve);
      const label = `${proxyName}, ${target.name} ${
        pings ? "with" : "without"
      } pings`;
      await turn;
      // A case that fails to start lets the next one start all the same.
      using _turnDone = { [Symbol.dispose]: started };
      await using server = await startInstance(target, [
        "--idle-timeout",
        pings ? "2" : "0",
      ]);
      await using proxy = await startProxy(proxyName, {
        backends: [server.port, server.port],
        idleTimeout: `${PROXY_IDLE_S}s`,
      });
      await using client = await connect(proxy.url);
      started();
      const opened = Date.now();
      let closedAfter: number | undefined;
      client.closed.then(() => closedAfter = Date.now() - opened);
      await sleep(PROXY_IDLE_S * 1000 + 2500);
      if (pings) {
        assert.equal(closedAfter, undefined, `${label}: still open`);
        assert.equal(await client.echo("still here"), "still here");
      } else {
        assert.ok(
          closedAfter !== undefined &&
            closedAfter >= PROXY_IDLE_S * 1000 - 500,
          `${label}: dropped by the proxy after ${closedAfter} ms`,
        );
        assert.equal((await client.closed).wasClean, false, label);
      }
    }));
  },
});
