/**
 * The container images (Dockerfile, deploy/container/Dockerfile.bun),
 * tested without a container runtime, since base images cannot be pulled
 * here: each Dockerfile is read and carried out on the host
 * (tests/helpers/dockerfile.ts): its build stage's RUN and COPY lines, then
 * the final stage's ENTRYPOINT + CMD with its ENV, as the unprivileged user
 * `nobody`, with the runtime versions the images pin. The server must
 * echo, honour PORT, pass the HEALTHCHECK command, and exit 0 on
 * STOPSIGNAL; the files themselves must be multi-stage, pinned, non-root,
 * with the narrowest Deno permissions.
 */
import { targetOf } from "../helpers/targets.ts";
import assert from "node:assert/strict";
import { MIB } from "../../lib/core/payload.ts";
import { type BaseImage, emulateImage } from "../helpers/dockerfile.ts";
import { onFreePort } from "../helpers/net.ts";
import {
  bunPath,
  launchServer,
  ROOT,
  type RuntimeName,
} from "../helpers/server.ts";
import { connect, pattern } from "../helpers/ws.ts";

/** Runs as `nobody` when we may switch users (root), else as ourselves. */
function asNobody(command: string[]): string[] {
  return Deno.uid() === 0
    ? [
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "--",
      ...command,
    ]
    : command;
}

async function exitCode(command: string[], env: Record<string, string>) {
  const { code } = await new Deno.Command(command[0], {
    args: command.slice(1),
    env,
    stdout: "null",
    stderr: "null",
  }).output();
  return code;
}

/** The uid a process runs as, from /proc. */
async function uidOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

async function bunVersion(): Promise<string> {
  const { stdout } = await new Deno.Command(bunPath(), { args: ["--version"] })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

interface ImageCase {
  dockerfile: string;
  runtime: RuntimeName;
  /** The pinned base image of the build stage, e.g. "denoland/deno". */
  runtimeImage: string;
  localVersion: () => Promise<string>;
  bases: Record<string, BaseImage>;
}

const IMAGES: ImageCase[] = [
  {
    dockerfile: "Dockerfile",
    runtime: "deno",
    runtimeImage: "denoland/deno",
    localVersion: () => Promise.resolve(Deno.version.deno),
    // The official image: deno on PATH, DENO_DIR=/deno-dir/.
    bases: {
      "denoland/deno": {
        env: { DENO_DIR: "/deno-dir/" },
        commands: { deno: Deno.execPath() },
      },
    },
  },
  {
    dockerfile: "deploy/container/Dockerfile.bun",
    runtime: "bun",
    runtimeImage: "oven/bun",
    localVersion: bunVersion,
    bases: { "oven/bun": { commands: { bun: bunPath() } } },
  },
];

for (const image of IMAGES) {
  Deno.test(`${image.dockerfile}: what the image runs echoes as nobody, honours PORT, is healthy, stops with 0 on SIGTERM`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "wsecho-image-" });
    // Readable by `nobody`, like an image's layers.
    await Deno.chmod(dir, 0o755);
    try {
      const built = await emulateImage(image.dockerfile, image.bases, dir);
      const { stages } = built;

      // The file: multi-stage, pinned runtime, non-root, the contract.
      assert.ok(stages.length >= 2, "multi-stage");
      const pinned = stages[0].from;
      assert.equal(
        pinned,
        `${image.runtimeImage}:${await image.localVersion()}`,
        "the build stage pins the runtime version the tests use",
      );
      assert.ok(built.user, "USER is set");
      assert.doesNotMatch(built.user!, /^(root|0)(:|$)/, "not root");
      assert.deepEqual(built.expose, ["1234"]);
      assert.equal(built.stopSignal, "SIGTERM");
      assert.equal(built.env.PORT, "1234");
      assert.ok(built.healthcheck, "HEALTHCHECK");
      if (image.runtime === "deno") {
        const flags = built.entrypoint.filter((arg) => arg.startsWith("-"));
        assert.deepEqual(flags, [
          "--cached-only",
          "--unstable-no-legacy-abort",
          "--allow-net",
          "--allow-env=PORT,WSECHO_WORKER,WSECHO_PRIMARY_PID",
        ]);
      }

      // What it runs, as nobody, with PORT from the environment.
      let port = 0;
      const envOn = (port: number) => ({ ...built.env, PORT: String(port) });
      await using server = await onFreePort((chosen) => {
        port = chosen;
        return launchServer(
          targetOf(image.runtime),
          asNobody(built.command)[0],
          asNobody(built.command).slice(1),
          { env: envOn(chosen), cwd: built.cwd },
        );
      });
      assert.equal(server.port, port, "PORT honoured");
      const env = envOn(port);
      if (Deno.uid() === 0) {
        const nobody = Number(
          new TextDecoder().decode(
            (await new Deno.Command("id", { args: ["-u", "nobody"] }).output())
              .stdout,
          ),
        );
        // setpriv execs the server: the child is the server itself.
        assert.equal(await uidOf(server.child.pid), nobody);
      }
      {
        await using client = await connect(`ws://127.0.0.1:${port}/`);
        assert.equal(await client.echo("from the image ✓"), "from the image ✓");
        const bytes = pattern(MIB, 3);
        const echoed = await client.echo(bytes) as Uint8Array;
        assert.ok(echoed.every((byte, i) => byte === bytes[i]));
      }
      assert.equal(await exitCode(built.healthcheck!, env), 0, "healthy");

      const stopped = await server.stop(built.stopSignal as Deno.Signal);
      assert.equal(stopped.code, 0, server.stderr.text);
      assert.notEqual(
        await exitCode(built.healthcheck!, env),
        0,
        "unhealthy once stopped",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the build context leaves out what the images do not need", async () => {
  const ignored = (await Deno.readTextFile(ROOT + ".dockerignore")).split("\n");
  for (const entry of ["node_modules", "tools/bun/node_modules", ".git"]) {
    assert.ok(ignored.includes(entry), entry);
  }
});
