/**
 * `--workers N`: Bun serves one port from N processes (SO_REUSEPORT, Linux);
 * Deno refuses the flag and points to `deno serve --parallel`.
 */
import assert from "node:assert/strict";
import { sampleHealth } from "../helpers/net.ts";
import {
  helpHint,
  runCli,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { BUN, DENO, TARGETS } from "../helpers/targets.ts";
import { connect } from "../helpers/ws.ts";

/** A primary and its one worker, started with `--workers 2` on Bun. */
class TwoProcesses implements AsyncDisposable {
  constructor(
    readonly server: ServerProcess,
    readonly primary: number,
    readonly worker: number,
  ) {}

  /**
   * Stops the primary; kills both should anything hang, since a worker
   * left behind would hold the output pipes (and the test) open.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const timer = setTimeout(() => {
      for (const pid of [this.primary, this.worker]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }, 8000);
    await this.server.stop();
    clearTimeout(timer);
  }
}

/** `--workers 2` on Bun, once both processes listen. */
async function startTwoProcesses(args: string[] = []): Promise<TwoProcesses> {
  const server = await startServer(BUN, { args: ["--workers", "2", ...args] });
  const worker = await server.stderr.waitFor((line) =>
    line.startsWith("{") && JSON.parse(line).properties.worker === 1
  );
  const pid = JSON.parse(worker).properties.pid as number;
  return new TwoProcesses(server, server.child.pid, pid);
}

/** Waits until process `pid` has ended (a zombie not yet reaped counts). */
async function gone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

function running(pid: number): boolean {
  try {
    // The state follows the parenthesised command name: "Z" is a zombie.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * stderr without Deno's own hint about our `fetch` export: it appears where
 * main.ts cannot tell `deno run` from `deno serve` (Deno 2.9 needs
 * --allow-all to read /proc/self/cmdline), and it is not ours to word.
 */
function ownStderr(stderr: string): string {
  return stderr.replace(
    /^warning: Detected export default \{ fetch \}.*\n/m,
    "",
  );
}

function stoppedCount(server: ServerProcess): number {
  return server.records().filter((r) => r.message === "stopped").length;
}

Deno.test("[bun] --workers 2: both processes accept connections and echo; /healthz tells them apart by pid", async () => {
  // --debug: each echo is logged by the process that made it, with its
  // worker number, so the test knows which process echoed each client.
  await using processes = await startTwoProcesses(["--debug"]);
  const { server, primary, worker } = processes;
  assert.notEqual(primary, worker);
  const pids = new Set(
    (await sampleHealth(server.http, 24)).map((health) => health.pid),
  );
  assert.deepEqual([...pids].sort(), [primary, worker].sort());

  // The kernel spreads connections by a hash of their addresses: new
  // clients until each process has echoed one (1 in 2^39 to miss one).
  const echoedBy = new Set<string>();
  for (let n = 0; n < 40 && echoedBy.size < 2; n++) {
    await using client = await connect(server.url);
    assert.equal(await client.echo(`client ${n}`), `client ${n}`);
    const echoed = await server.stderr.waitFor((line) =>
      line.startsWith("{") &&
      JSON.parse(line).properties.preview === `"client ${n}"`
    );
    echoedBy.add(JSON.parse(echoed).worker);
  }
  assert.deepEqual([...echoedBy].sort(), ["0", "1"]);
});

Deno.test("[bun] --workers 2: every line says which worker wrote it; the start-up lines say how many serve in all", async () => {
  await using processes = await startTwoProcesses();
  const { server, primary, worker } = processes;
  {
    await using client = await connect(server.url);
    assert.equal(await client.echo("who"), "who");
  }
  const lines = server.stderr.lines.filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  assert.ok(lines.length >= 3, JSON.stringify(lines));
  for (const line of lines) {
    assert.ok(line.worker === "0" || line.worker === "1", JSON.stringify(line));
  }
  const starts = lines.filter((line) => line.message.includes("listening on"));
  assert.deepEqual(
    starts.map((line) => [line.worker, line.properties.pid]).sort(),
    [["0", primary], ["1", worker]],
  );
  for (const start of starts) {
    assert.equal(
      start.message,
      `wsecho ${start.properties.version} listening on ws://0.0.0.0:${server.port}/ ` +
        `(bun ${start.properties.runtimeVersion}, engine builtin, 2 workers in all); ` +
        `page at http://localhost:${server.port}/`,
    );
    assert.equal(start.properties.workers, 2);
  }
});

Deno.test("[bun] --workers 2: SIGTERM reaches every process, all clients get 1001, exit 0", async () => {
  await using processes = await startTwoProcesses();
  const { server, worker } = processes;
  const clients = await Promise.all(
    Array.from({ length: 10 }, () => connect(server.url)),
  );
  const status = await server.stop("SIGTERM");
  assert.equal(status.code, 0);
  for (const client of clients) {
    const closed = await client.closed;
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, "server shutting down");
  }
  assert.equal(stoppedCount(server), 2, "both processes drained");
  assert.ok(await gone(worker), `worker ${worker} still running`);
});

Deno.test("[bun] --workers 2: a worker that dies stops the whole group with exit 1", async () => {
  await using processes = await startTwoProcesses();
  const { server, worker } = processes;
  Deno.kill(worker, "SIGKILL");
  const status = await server.status();
  assert.equal(status.code, 1);
  const error = server.records().find((r) => r.level === "ERROR");
  assert.match(error?.message ?? "", /worker 1 .* ended on its own/);
});

Deno.test("[bun] --workers 2: a worker whose primary is killed stops by itself", async () => {
  await using processes = await startTwoProcesses();
  const { server, primary, worker } = processes;
  Deno.kill(primary, "SIGKILL");
  // Not server.status(): that also waits for the output pipes, which the
  // worker holds open for as long as it runs.
  await server.child.status;
  assert.ok(await gone(worker), `orphaned worker ${worker} kept running`);
});

Deno.test("[deno] --workers 2 is refused with exit 2, pointing to deno serve --parallel", async () => {
  const run = await runCli(DENO, ["--workers", "2", "--port", "0"]);
  assert.equal(run.code, 2);
  assert.equal(
    ownStderr(run.stderr),
    "wsecho: --workers is for Bun; on Deno run 'deno serve --parallel main.ts' " +
      `(DENO_JOBS=N sets the number of workers) ${helpHint("deno")}\n`,
  );
});

for (const target of TARGETS) {
  Deno.test(`[${target.name}] --workers rejects counts outside 1-128 with exit 2`, async () => {
    const cases: Array<[string, string]> = [
      ["0", "--workers 0 is out of range (1-128)"],
      ["129", "--workers 129 is out of range (1-128)"],
      ["-1", "--workers -1 is out of range (1-128)"],
      ["two", "--workers must be a whole number from 1 to 128, got 'two'"],
      ["1.5", "--workers must be a whole number from 1 to 128, got '1.5'"],
    ];
    for (const [value, message] of cases) {
      for (const args of [[`--workers=${value}`], ["-w", value]]) {
        const run = await runCli(target, args);
        assert.equal(run.code, 2, args.join(" "));
        assert.equal(
          ownStderr(run.stderr),
          `wsecho: ${message} ${helpHint(target.runtime)}\n`,
        );
      }
    }
  });
}
