/**
 * The benchmark's own load client, run on Bun: raw TCP sockets
 * (`Bun.connect`) speaking just enough RFC 6455 to pipeline echoes with
 * pre-built masked frames, checking every echoed byte as it streams in.
 * It speaks the same command line and JSON as the C load generator wsload,
 * so `deno task bench --load-cmd /path/to/wsload` can swap one for the other.
 *
 *   bun bench/load_client.ts echo    --url URL -c CONNS -s SIZE -p PIPELINE -d SECS [--binary|--text] [--warmup SECS] [--json]
 *   bun bench/load_client.ts connect --url URL -n TOTAL -c CONCURRENCY [-s SIZE] [--json]
 *   bun bench/load_client.ts idle    --url URL -n CONNS --hold SECS [--pid SERVERPID] [-c CONCURRENCY] [--json]
 *
 * With `--json` the last line printed is one JSON object (see bench/README.md).
 * Exit status: 0 clean, 1 if any error, failure or dropped connection, 2 usage.
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { Histogram } from "./histogram.ts";
import {
  checkHandshakeResponse,
  closeFrame,
  FrameReader,
  FrameRing,
  type FrameSink,
  handshakeRequest,
  headEnd,
  maskedFrame,
  OPCODE,
  payload,
  randomKey,
  sameBytes,
  VARIANTS,
} from "./ws_wire.ts";

// ---- The slice of Bun's TCP API used here (Bun's types are not in Deno's checker).

interface TcpSocket {
  data: Conn;
  write(bytes: Uint8Array | string): number;
  end(): void;
  terminate(): void;
}

interface SocketHandlers {
  open(socket: TcpSocket): void;
  data(socket: TcpSocket, chunk: Uint8Array): void;
  drain(socket: TcpSocket): void;
  end(socket: TcpSocket): void;
  close(socket: TcpSocket): void;
  error(socket: TcpSocket, error: Error): void;
  connectError(socket: TcpSocket, error: Error): void;
}

interface BunApi {
  connect(options: {
    hostname: string;
    port: number;
    data: Conn;
    socket: SocketHandlers;
  }): Promise<TcpSocket>;
}

const Bun = (globalThis as unknown as { Bun?: BunApi }).Bun;

// ---- Connections

/** One clock read per batch of received bytes; every echo in it shares it. */
let now = 0;

/** Where the server is. */
interface Target {
  hostname: string;
  port: number;
  hostHeader: string;
  path: string;
}

/**
 * A client connection: opening handshake, then frames. Writes that the
 * kernel does not take at once are kept and retried on `drain` (Bun's TCP
 * sockets do not buffer). Subclasses say what happens on each event.
 */
abstract class Conn implements FrameSink {
  socket: TcpSocket | undefined;
  upgraded = false;
  ended = false;
  protected readonly key = randomKey();
  protected readonly reader: FrameReader = new FrameReader(this);
  private head: Uint8Array | undefined;
  private unwritten: Uint8Array | undefined;

  constructor(protected readonly target: Target) {}

  connect(): void {
    Bun!.connect({
      hostname: this.target.hostname,
      port: this.target.port,
      data: this,
      socket: HANDLERS,
    }).catch((error) => this.failed("connect", error));
  }

  opened(socket: TcpSocket): void {
    this.socket = socket;
    const { hostHeader, path } = this.target;
    socket.write(handshakeRequest(hostHeader, path, this.key));
  }

  received(chunk: Uint8Array): void {
    now = performance.now();
    if (this.upgraded) {
      this.reader.feed(chunk);
    } else {
      const head = this.head ? concat(this.head, chunk) : chunk;
      const end = headEnd(head);
      if (end < 0) {
        this.head = head.slice();
        return;
      }
      this.head = undefined;
      const problem = checkHandshakeResponse(
        new TextDecoder("latin1").decode(head.subarray(0, end - 4)),
        this.key,
      );
      if (problem) return this.failed("handshake", new Error(problem));
      this.upgraded = true;
      this.onUpgraded();
      if (end < head.length) this.reader.feed(head.subarray(end));
    }
    this.afterReceive();
  }

  /** Writes `bytes` now or as soon as the socket drains. */
  write(bytes: Uint8Array): void {
    if (this.unwritten) {
      this.unwritten = concat(this.unwritten, bytes);
      return;
    }
    const written = this.socket!.write(bytes);
    if (written < bytes.length) {
      this.unwritten = bytes.subarray(Math.max(0, written));
    }
  }

  /** Whether everything written so far went out. */
  get flushed(): boolean {
    return this.unwritten === undefined;
  }

  drained(): void {
    if (this.unwritten) {
      const rest = this.unwritten;
      this.unwritten = undefined;
      this.write(rest);
    }
    if (this.flushed) this.afterReceive();
  }

  control(opcode: number, data: Uint8Array): void {
    if (opcode === OPCODE.ping) this.write(maskedFrame(OPCODE.pong, data));
    if (opcode === OPCODE.close) this.onServerClose();
  }

  remoteEnded(): void {
    this.socket?.end();
  }

  closed(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClosed();
  }

  abstract failed(stage: "connect" | "handshake", error: Error): void;
  abstract payload(
    chunk: Uint8Array,
    start: number,
    end: number,
    offset: number,
  ): void;
  abstract message(opcode: number, length: number): void;
  abstract protocolError(reason: string): void;
  protected abstract onUpgraded(): void;
  protected abstract onServerClose(): void;
  protected abstract onClosed(): void;
  /** After a batch of received bytes, or a drain: a chance to send. */
  protected afterReceive(): void {}
}

const HANDLERS: SocketHandlers = {
  open: (socket) => socket.data.opened(socket),
  data: (socket, chunk) => socket.data.received(chunk),
  drain: (socket) => socket.data.drained(),
  end: (socket) => socket.data.remoteEnded(),
  close: (socket) => socket.data.closed(),
  error: (socket, error) => socket.data.failed("connect", error),
  connectError: (socket, error) => socket.data.failed("connect", error),
};

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

// ---- echo: CONNS connections, each keeping PIPELINE messages in flight.

interface EchoSettings {
  conns: number;
  size: number;
  pipeline: number;
  seconds: number;
  warmup: number;
  text: boolean;
}

/** Everything counted during one echo run. */
class EchoTally {
  measuring = false;
  sending = false;
  messages = 0;
  errors = 0;
  mismatch = 0;
  protocolErrors = 0;
  connFailures = 0;
  dropped = 0;
  readonly latency = new Histogram();
}

class EchoConn extends Conn {
  private sendVariant = 0;
  private receiveVariant = 0;
  /** Messages queued (stamped) but not yet handed to the socket. */
  private owed = 0;
  inFlight = 0;
  lastReceive = 0;
  private messageOk = true;
  /** Send times of the messages in flight, oldest first (a ring). */
  private readonly sentAt: Float64Array;
  private sentHead = 0;
  private sentTail = 0;
  readonly ready: Promise<boolean>;
  private settle!: (ok: boolean) => void;

  constructor(
    target: Target,
    private readonly ring: FrameRing,
    private readonly settings: EchoSettings,
    private readonly tally: EchoTally,
  ) {
    super(target);
    this.sentAt = new Float64Array(settings.pipeline);
    this.ready = new Promise((resolve) => this.settle = resolve);
  }

  /** Fills the pipeline. */
  start(): void {
    now = performance.now();
    for (let i = 0; i < this.settings.pipeline; i++) this.queue();
    this.afterReceive();
  }

  private queue(): void {
    this.sentAt[this.sentHead] = now;
    this.sentHead = (this.sentHead + 1) % this.settings.pipeline;
    this.owed++;
    this.inFlight++;
  }

  payload(chunk: Uint8Array, start: number, end: number, offset: number) {
    if (
      this.messageOk &&
      !sameBytes(
        chunk,
        start,
        end,
        this.ring.payloads[this.receiveVariant],
        offset,
      )
    ) {
      this.messageOk = false;
    }
  }

  message(opcode: number, length: number): void {
    const { settings, tally } = this;
    const ok = this.messageOk && length === settings.size &&
      opcode === (settings.text ? OPCODE.text : OPCODE.binary);
    this.messageOk = true;
    if (this.inFlight === 0) {
      tally.errors++; // An echo of nothing we sent.
      return;
    }
    const sentAt = this.sentAt[this.sentTail];
    this.sentTail = (this.sentTail + 1) % settings.pipeline;
    this.inFlight--;
    this.receiveVariant = (this.receiveVariant + 1) % VARIANTS;
    this.lastReceive = now;
    if (!ok) {
      tally.mismatch++;
      tally.errors++;
    } else if (tally.measuring) {
      tally.messages++;
      tally.latency.record((now - sentAt) * 1000);
    }
    if (tally.sending) this.queue();
  }

  protected override afterReceive(): void {
    if (this.owed === 0 || !this.flushed) return;
    const batch = this.ring.slice(this.sendVariant, this.owed);
    this.sendVariant = (this.sendVariant + this.owed) % VARIANTS;
    this.owed = 0;
    this.write(batch);
  }

  protocolError(): void {
    this.tally.protocolErrors++;
    this.tally.errors++;
    this.socket?.terminate();
  }

  failed(): void {
    if (!this.upgraded) {
      this.tally.connFailures++;
      this.settle(false);
    }
    this.socket?.terminate();
  }

  protected onUpgraded(): void {
    this.settle(true);
  }

  protected onServerClose(): void {}

  protected onClosed(): void {
    if (this.upgraded && this.tally.sending) this.tally.dropped++;
    this.settle(false);
  }
}

async function runEcho(target: Target, settings: EchoSettings) {
  const tally = new EchoTally();
  const ring = new FrameRing(settings.size, settings.text, settings.pipeline);
  const conns = await openAll(
    settings.conns,
    100,
    () => new EchoConn(target, ring, settings, tally),
  );
  const live = conns.filter((conn) => conn.upgraded);
  tally.sending = true;
  for (const conn of live) conn.start();
  await sleep(settings.warmup * 1000);
  tally.latency.reset();
  tally.messages = 0;
  tally.measuring = true;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await sleep(settings.seconds * 1000);
  tally.measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  tally.sending = false;
  const end = performance.now();
  const stalled =
    live.filter((conn) =>
      !conn.ended && conn.inFlight > 0 && end - conn.lastReceive > 1000
    ).length;
  const rate = tally.messages / elapsed;
  const { latency } = tally;
  return {
    result: {
      mode: "echo",
      url: target.hostHeader,
      conns: settings.conns,
      size: settings.size,
      pipeline: settings.pipeline,
      binary: settings.text ? 0 : 1,
      duration_s: round(elapsed, 3),
      warmup_s: settings.warmup,
      msgs: tally.messages,
      msgs_per_s: round(rate, 1),
      mb_per_s: round(rate * settings.size / 1e6, 3),
      lat_us: {
        p50: round(latency.quantile(0.5), 1),
        p90: round(latency.quantile(0.9), 1),
        p99: round(latency.quantile(0.99), 1),
        p999: round(latency.quantile(0.999), 1),
        max: round(latency.max, 1),
        mean: round(latency.mean, 1),
      },
      errors: tally.errors,
      mismatch: tally.mismatch,
      protocol_errors: tally.protocolErrors,
      conn_failures: tally.connFailures,
      dropped: tally.dropped,
      stalled,
      client_cpu_pct: round(cpuPercent(cpu, elapsed), 1),
    },
    clean: tally.errors + tally.connFailures + tally.dropped === 0,
  };
}

// ---- connect: TOTAL full cycles (connect, handshake, one echo, close).

class CycleTally {
  ok = 0;
  connectFailures = 0;
  handshakeFailures = 0;
  mismatch = 0;
  protocolErrors = 0;
  timeouts = 0;
  cleanCloses = 0;
  uncleanCloses = 0;
  readonly latency = new Histogram();
}

class CycleConn extends Conn {
  private readonly started = performance.now();
  private echoed = false;
  private echoOk = true;
  private closeReceived = false;
  private failure: keyof CycleTally | undefined;
  readonly done: Promise<void>;
  private finish!: () => void;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    target: Target,
    private readonly message0: Uint8Array,
    private readonly frame0: Uint8Array,
    private readonly tally: CycleTally,
  ) {
    super(target);
    this.done = new Promise((resolve) => this.finish = resolve);
    this.timer = setTimeout(() => {
      this.failure ??= "timeouts";
      this.socket?.terminate();
      this.closed();
    }, 10_000);
  }

  protected onUpgraded(): void {
    this.write(this.frame0);
  }

  payload(chunk: Uint8Array, start: number, end: number, offset: number) {
    if (!sameBytes(chunk, start, end, this.message0, offset)) {
      this.echoOk = false;
    }
  }

  message(opcode: number, length: number): void {
    if (this.echoed) return;
    this.echoed = true;
    if (
      !this.echoOk || opcode !== OPCODE.text || length !== this.message0.length
    ) {
      this.failure ??= "mismatch";
    }
    this.write(closeFrame(1000));
  }

  protocolError(): void {
    this.failure ??= "protocolErrors";
    this.socket?.terminate();
  }

  failed(stage: "connect" | "handshake"): void {
    this.failure ??= stage === "connect" && !this.upgraded
      ? "connectFailures"
      : "handshakeFailures";
    this.socket?.terminate();
    this.closed();
  }

  protected onServerClose(): void {
    this.closeReceived = true;
  }

  protected onClosed(): void {
    clearTimeout(this.timer);
    const { tally } = this;
    if (this.echoed && this.closeReceived) tally.cleanCloses++;
    else if (this.upgraded) tally.uncleanCloses++;
    if (this.failure === undefined && !this.echoed) {
      this.failure = "handshakeFailures";
    }
    if (this.failure === undefined) {
      tally.ok++;
      tally.latency.record((performance.now() - this.started) * 1000);
    } else {
      (tally[this.failure] as number)++;
    }
    this.finish();
  }
}

async function runConnect(
  target: Target,
  total: number,
  concurrency: number,
  size: number,
) {
  const tally = new CycleTally();
  const message0 = payload(size, 0, true);
  const frame0 = maskedFrame(OPCODE.text, message0);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let begun = 0;
  const worker = async () => {
    while (begun < total) {
      begun++;
      const conn = new CycleConn(target, message0, frame0, tally);
      conn.connect();
      await conn.done;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, worker),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const failed = total - tally.ok;
  return {
    result: {
      mode: "connect",
      url: target.hostHeader,
      total,
      concurrency,
      duration_s: round(elapsed, 3),
      handshakes_per_s: round(tally.ok / elapsed, 1),
      ok: tally.ok,
      failed,
      connect_failures: tally.connectFailures,
      handshake_failures: tally.handshakeFailures,
      mismatch: tally.mismatch,
      protocol_errors: tally.protocolErrors,
      timeouts: tally.timeouts,
      clean_closes: tally.cleanCloses,
      unclean_closes: tally.uncleanCloses,
      lat_us: {
        p50: round(tally.latency.quantile(0.5), 1),
        p99: round(tally.latency.quantile(0.99), 1),
        max: round(tally.latency.max, 1),
      },
      client_cpu_pct: round(cpuPercent(cpu, elapsed), 1),
    },
    clean: failed === 0,
  };
}

// ---- idle: CONNS open connections held for a while; the server's memory.

class IdleConn extends Conn {
  readonly ready: Promise<boolean>;
  private settle!: (ok: boolean) => void;
  failures = { connect: 0, handshake: 0 };

  constructor(target: Target) {
    super(target);
    this.ready = new Promise((resolve) => this.settle = resolve);
  }

  payload(): void {}
  message(): void {}
  protocolError(): void {
    this.socket?.terminate();
  }
  failed(stage: "connect" | "handshake"): void {
    if (!this.upgraded) this.failures[stage]++;
    this.socket?.terminate();
    this.settle(false);
  }
  protected onUpgraded(): void {
    this.settle(true);
  }
  protected onServerClose(): void {}
  protected onClosed(): void {
    this.settle(false);
  }
}

async function runIdle(
  target: Target,
  count: number,
  holdSeconds: number,
  concurrency: number,
  pid: number | undefined,
) {
  const rssBefore = pid ? rssKiB(pid) : 0;
  const started = performance.now();
  const conns = await openAll(count, concurrency, () => new IdleConn(target));
  const setup = (performance.now() - started) / 1000;
  const opened = conns.filter((conn) => conn.upgraded).length;
  await sleep(200);
  const rssOpen = pid ? rssKiB(pid) : 0;
  await sleep(Math.max(0, holdSeconds * 1000 - 200));
  const rssAfter = pid ? rssKiB(pid) : 0;
  const alive = conns.filter((conn) => conn.upgraded && !conn.ended).length;
  const perConn = (rss: number) =>
    pid && opened ? round((rss - rssBefore) / opened, 3) : null;
  return {
    result: {
      mode: "idle",
      url: target.hostHeader,
      requested: count,
      opened,
      alive,
      setup_s: round(setup, 3),
      hold_s: holdSeconds,
      connect_failures: sum(conns.map((conn) => conn.failures.connect)),
      handshake_failures: sum(conns.map((conn) => conn.failures.handshake)),
      dropped: opened - alive,
      pid: pid ?? null,
      rss_kib_before: rssBefore,
      rss_kib_open: rssOpen,
      rss_kib_after: rssAfter,
      kib_per_conn_open: perConn(rssOpen),
      kib_per_conn: perConn(rssAfter),
    },
    clean: opened === count && alive === opened,
  };
}

// ---- Helpers

/** Opens `count` connections, at most `concurrency` handshakes at a time. */
async function openAll<C extends Conn & { ready: Promise<boolean> }>(
  count: number,
  concurrency: number,
  make: () => C,
): Promise<C[]> {
  const conns: C[] = [];
  const worker = async () => {
    while (conns.length < count) {
      const conn = make();
      conns.push(conn);
      conn.connect();
      await conn.ready;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, worker),
  );
  return conns;
}

/** The resident memory of process `pid`, from /proc (Linux). */
function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

function cpuPercent(cpu: { user: number; system: number }, seconds: number) {
  return (cpu.user + cpu.system) / 1e4 / seconds;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

// ---- Command line

const USAGE =
  `usage: bun bench/load_client.ts echo|connect|idle --url ws://HOST:PORT/ [options]
  echo:    -c CONNS -s SIZE -p PIPELINE -d SECS [--binary|--text] [--warmup SECS]
  connect: -n TOTAL -c CONCURRENCY [-s SIZE]
  idle:    -n CONNS --hold SECS [--pid SERVERPID] [-c CONCURRENCY]
  all:     [--json]  (last line: one JSON object)
`;

function targetOf(url: string): Target {
  const parsed = new URL(url);
  if (parsed.protocol !== "ws:") throw new Error("only ws:// URLs");
  return {
    hostname: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: Number(parsed.port || 80),
    hostHeader: parsed.host,
    path: parsed.pathname + parsed.search,
  };
}

async function main(argv: string[]): Promise<number> {
  if (!Bun) {
    process.stderr.write(
      "load_client.ts runs on Bun: bun bench/load_client.ts …\n",
    );
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      c: { type: "string", short: "c" },
      n: { type: "string", short: "n" },
      s: { type: "string", short: "s", default: "32" },
      p: { type: "string", short: "p", default: "1" },
      d: { type: "string", short: "d", default: "10" },
      warmup: { type: "string", default: "2" },
      hold: { type: "string", default: "5" },
      pid: { type: "string" },
      binary: { type: "boolean", default: false },
      text: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const mode = positionals[0];
  if (!values.url || !["echo", "connect", "idle"].includes(mode)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const target = targetOf(values.url);
  const { result, clean } = mode === "echo"
    ? await runEcho(target, {
      conns: Number(values.c ?? 100),
      size: Number(values.s),
      pipeline: Number(values.p),
      seconds: Number(values.d),
      warmup: Number(values.warmup),
      text: !values.binary,
    })
    : mode === "connect"
    ? await runConnect(
      target,
      Number(values.n ?? 1000),
      Number(values.c ?? 50),
      Number(values.s),
    )
    : await runIdle(
      target,
      Number(values.n ?? 1000),
      Number(values.hold),
      Number(values.c ?? 100),
      values.pid ? Number(values.pid) : undefined,
    );
  const json = JSON.stringify({ client: "wsecho-bench-ts", ...result });
  process.stdout.write(values.json ? json + "\n" : summary(result) + "\n");
  return clean ? 0 : 1;
}

function summary(result: Record<string, unknown>): string {
  return Object.entries(result).map(([key, value]) =>
    `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`
  ).join(" ");
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  // Open sockets would keep the process alive; the run is over.
  process.exit(code);
}
