/**
 * Rounds and alternation: for each runtime its sides (bare, wsecho on each
 * engine) stay up while the load alternates between them round after
 * round, the idle ones paused; handshakes alternate slice by slice within
 * a round; memory takes a fresh server per round; the peers follow in
 * their own rounds. Each measurement lands in `Results`.
 */
import {
  combineSlices,
  type LoadCommand,
  type LoadRun,
  runLoad,
} from "./load.ts";
import { budgetMs, log, measure, type Results } from "./measure.ts";
import {
  describe,
  type Engine,
  engineOf,
  peerLabel,
  PEERS,
  type PeerSpec,
  peerUnavailableReason,
  type RunningServer,
  type RuntimeName,
  type ServerSpec,
  startPeer,
  startServer,
  unsupportedReason,
} from "./servers.ts";
import { cpusFor, type Settings, wanted } from "./settings.ts";
import { sidesOf } from "./sides.ts";
import {
  scaleOutWorkload,
  warmupArgs,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

type Cpus = ReturnType<typeof cpusFor>;

export class Rounds {
  constructor(
    readonly settings: Settings,
    readonly load: LoadCommand,
    readonly results: Results,
  ) {}

  /** Every wanted workload of `runtime`, bare against wsecho on `engines`. */
  async runtime(
    runtime: RuntimeName,
    engines: readonly Engine[],
  ): Promise<void> {
    if (engines.length === 0) return;
    const sides = sidesOf(runtime, engines);
    const throughput = WORKLOADS.filter((w) =>
      w.mode !== "idle" && wanted(this.settings, w)
    );
    if (throughput.length > 0) {
      await this.sharedServers(sides, throughput, 1);
    }

    const idle = WORKLOADS.find((w) => w.mode === "idle")!;
    if (wanted(this.settings, idle)) await this.memory(sides, idle);

    const { workers } = this.settings;
    if (workers > 1) await this.scaleOut(runtime, sides, workers);
  }

  /** The scale-out workload on the sides that can run `workers` workers. */
  private async scaleOut(
    runtime: RuntimeName,
    sides: readonly ServerSpec[],
    workers: number,
  ): Promise<void> {
    const scaleOut = scaleOutWorkload(workers);
    if (!wanted(this.settings, scaleOut)) return;
    const scaled: ServerSpec[] = [];
    for (const side of sides) {
      const spec = { ...side, workers };
      const reason = await unsupportedReason(spec);
      if (!reason) {
        scaled.push(spec);
        continue;
      }
      const engine = engineOf(spec);
      log(`skip ${scaleOut.id} for ${describe(spec)}: ${reason}`);
      this.results.skipped.push({
        type: "skipped",
        runtime,
        ...(engine === "wsecho" ? { engine } : {}),
        workload: scaleOut.id,
        title: scaleOut.title,
        reason,
      });
    }
    if (scaled.some((spec) => spec.impl === "wsecho")) {
      await this.sharedServers(scaled, [scaleOut], workers);
    }
  }

  /**
   * The peers, one after the other, on the same workloads, CPUs and load
   * client; each stays up for its throughput workloads, and memory takes a
   * fresh process per round. A peer that is not installed is noted.
   */
  async peers(): Promise<void> {
    const cpus = cpusFor(this.settings, 1);
    const workloads = WORKLOADS.filter((w) => wanted(this.settings, w));
    for (const peer of PEERS) {
      const reason = await peerUnavailableReason(peer);
      if (reason) {
        log(`peer ${peer} skipped: ${reason}`);
        this.results.notes.push(`peer ${peer} skipped: ${reason}`);
        continue;
      }
      const label = await peerLabel(peer);
      const keep = (workload: Workload, round: number, run: LoadRun) =>
        this.results.addPeerRun(peer, label, workload, round, run);
      const throughput = workloads.filter((w) => w.mode !== "idle");
      if (throughput.length > 0) {
        const server = await startPeer(peer, cpus.server);
        try {
          for (const workload of throughput) {
            for (let round = 1; round <= this.settings.rounds; round++) {
              keep(workload, round, await this.peerRun(server, workload, cpus));
            }
          }
        } finally {
          await server.stop();
        }
      }
      for (const workload of workloads.filter((w) => w.mode === "idle")) {
        for (let round = 1; round <= this.settings.rounds; round++) {
          const server = await startPeer(peer, cpus.server);
          try {
            await this.settle();
            keep(workload, round, await this.peerRun(server, workload, cpus));
          } finally {
            await server.stop();
          }
        }
      }
    }
  }

  /** One peer run; handshakes in slices, as for the runtimes. */
  private async peerRun(
    server: RunningServer<PeerSpec>,
    workload: Workload,
    cpus: Cpus,
  ): Promise<LoadRun> {
    if (workload.mode === "connect") {
      const [run] = await this.slicedHandshakes(
        workload,
        1,
        () => Promise.resolve(server),
        cpus.client,
      );
      return run;
    }
    return await this.measure(server, workload, cpus.client);
  }

  private async measure(
    server: { url: string; pid: number },
    workload: Workload,
    clientCpus: string | undefined,
  ): Promise<LoadRun> {
    return await measure(
      this.load,
      this.settings.scale,
      server,
      workload,
      clientCpus,
    );
  }

  /** Lets a fresh server's start-up work (JIT, first GC) settle first. */
  private async settle(): Promise<void> {
    await new Promise((done) =>
      setTimeout(done, this.settings.quick ? 100 : 500)
    );
  }

  /**
   * Both servers stay up while the load alternates between them, round
   * after round, workload after workload; the one not measured is paused.
   */
  private async sharedServers(
    sides: readonly ServerSpec[],
    workloads: Workload[],
    workers: number,
  ): Promise<void> {
    const cpus = cpusFor(this.settings, workers);
    // One per side, in the order of `sides`: bare, wsecho, wsecho's engine.
    const servers: RunningServer[] = [];
    try {
      for (const spec of sides) {
        servers.push(await startServer({ ...spec, workers }, cpus.server));
      }
      for (const workload of workloads) {
        for (let round = 1; round <= this.settings.rounds; round++) {
          if (workload.mode === "connect") {
            await this.handshakeRound(servers, workload, round, cpus);
            continue;
          }
          for (let side = 0; side < servers.length; side++) {
            const server = await this.focus(servers, side, cpus.server);
            const run = await this.measure(server, workload, cpus.client);
            this.results.addRun(server.spec, workload, round, run);
          }
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }

  /**
   * Makes side `side`'s server the one that runs: restarts it if it died,
   * pauses the others and continues it.
   */
  private async focus(
    servers: RunningServer[],
    side: number,
    cpus: string | undefined,
  ): Promise<RunningServer> {
    let server = servers[side];
    if (!server.alive) {
      log(`${describe(server.spec)} died; restarting it`);
      this.results.notes.push(
        `${describe(server.spec)} exited during the run and was restarted`,
      );
      server = await startServer(server.spec, cpus);
      servers[side] = server;
    }
    for (const other of servers) {
      if (other !== server) other.pause();
    }
    server.resume();
    return server;
  }

  /** One round of handshakes, the sides taking turns slice by slice. */
  private async handshakeRound(
    servers: RunningServer[],
    workload: Workload,
    round: number,
    cpus: Cpus,
  ): Promise<void> {
    const specs = servers.map((server) => server.spec);
    const runs = await this.slicedHandshakes(
      workload,
      servers.length,
      (side) => this.focus(servers, side, cpus.server),
      cpus.client,
    );
    specs.forEach((spec, side) =>
      this.results.addRun(spec, workload, round, runs[side])
    );
  }

  /**
   * A round of handshakes against `sides` servers: each warms up, then they
   * take turns slice by slice, so that the machine's drift over the round
   * falls on all alike (see `FULL_SCALE`). `focus` makes a side's server
   * the one that runs. Returns each side's slices as one run.
   */
  private async slicedHandshakes(
    workload: Workload,
    sides: number,
    focus: (side: number) => Promise<{ url: string; pid: number }>,
    clientCpus: string | undefined,
  ): Promise<LoadRun[]> {
    const { scale } = this.settings;
    for (let side = 0; side < sides; side++) {
      const server = await focus(side);
      const warmup = warmupArgs(workload, scale, server.url);
      if (warmup) {
        await runLoad(
          this.load,
          warmup,
          clientCpus,
          server.pid,
          budgetMs(scale),
        );
      }
    }
    const slices: LoadRun[][] = Array.from({ length: sides }, () => []);
    for (let slice = 0; slice < scale.handshakeSlices; slice++) {
      for (let side = 0; side < sides; side++) {
        const server = await focus(side);
        slices[side].push(await this.measure(server, workload, clientCpus));
      }
    }
    return slices.map(combineSlices);
  }

  /** Memory needs a fresh server each time, so that RSS starts clean. */
  private async memory(
    sides: readonly ServerSpec[],
    workload: Workload,
  ): Promise<void> {
    const cpus = cpusFor(this.settings, 1);
    for (let round = 1; round <= this.settings.rounds; round++) {
      for (const spec of sides) {
        const server = await startServer({ ...spec, workers: 1 }, cpus.server);
        try {
          await this.settle();
          const run = await this.measure(server, workload, cpus.client);
          this.results.addRun(server.spec, workload, round, run);
        } finally {
          await server.stop();
        }
      }
    }
  }
}
