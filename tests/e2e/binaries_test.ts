/**
 * Standalone binaries: `deno task compile` (deno compile) and
 * `deno task compile:bun` (bun build --compile), built with the very
 * commands of those tasks into a temporary directory, then run from another
 * directory (so nothing can be read from the checkout) through the same
 * end-to-end checks: echo, /healthz, the embedded page, SIGTERM.
 *
 * `deno compile` needs Deno's `denort` base binary, which it downloads
 * unless DENORT_BIN names one; where neither works, the Deno test shows as
 * ignored with the reason in its name.
 */
import assert from "node:assert/strict";
import config from "../../deno.json" with { type: "json" };
import { PAGE_HTML } from "../../lib/http/page.ts";
import {
  bunPath,
  launchServer,
  ROOT,
  type RuntimeName,
} from "../helpers/server.ts";
import { BUN, DENO } from "../helpers/targets.ts";
import { skippable } from "../helpers/skip.ts";
import { connect, pattern } from "../helpers/ws.ts";

const tasks: Record<string, string> = config.tasks;

/** The task's build command, writing to `output` instead of `dist/`. */
function buildCommand(task: string, flag: string, output: string): string[] {
  // "deno task setup && tools/bun/node_modules/.bin/bun build …": the build is last.
  const words = tasks[task].split("&&").at(-1)!.trim().split(/\s+/);
  const at = words.indexOf(flag);
  assert.ok(at > 0, `task ${task} has no ${flag}`);
  words[at + 1] = output;
  return words;
}

async function run(words: string[], cwd = ROOT) {
  const [command, ...args] = words;
  const resolved = command === "deno"
    ? Deno.execPath()
    : command.endsWith("/bun")
    ? bunPath()
    : command;
  const { code, stdout, stderr } = await new Deno.Command(resolved, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Builds once per test run; later callers share the result. */
function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => result ??= work();
}

const outDir = await Deno.makeTempDir({ prefix: "wsecho-binaries-" });
/** Where the binaries run: not the checkout, so they cannot read its files. */
const runDir = await Deno.makeTempDir({ prefix: "wsecho-run-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(outDir, { recursive: true });
  Deno.removeSync(runDir, { recursive: true });
});

const builders: Record<RuntimeName, () => Promise<string>> = {
  bun: once(async () => {
    const output = `${outDir}/wsecho-bun`;
    const build = await run(buildCommand("compile:bun", "--outfile", output));
    assert.equal(build.code, 0, `bun build failed:\n${build.stderr}`);
    return output;
  }),
  deno: once(async () => {
    const output = `${outDir}/wsecho`;
    const build = await run(buildCommand("compile", "--output", output));
    assert.equal(build.code, 0, `deno compile failed:\n${build.stderr}`);
    return output;
  }),
};

/**
 * Whether `deno compile` can get a base binary here: a one-line program is
 * compiled first, so a failure means "no denort", not a bug of ours.
 */
async function denortProblem(): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "wsecho-denort-" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, "console.log('ok');\n");
    const { code, stderr } = await run(
      ["deno", "compile", "--output", `${dir}/probe`, `${dir}/probe.ts`],
      dir,
    );
    if (code === 0) return undefined;
    // The innermost "N: cause" line of the error chain says why, briefly.
    const causes = stderr.split("\n")
      .map((line) => /^\s+\d+: (.*)$/.exec(line)?.[1])
      .filter((cause) => cause && !cause.startsWith("<"));
    const why = causes.at(-1) ?? "see `deno compile` output";
    return `no denort base binary (DENORT_BIN unset, download failed: ${why})`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const denortMissing = await denortProblem();

for (const runtime of ["bun", "deno"] as const) {
  const skip = runtime === "deno" ? denortMissing : undefined;
  const label = runtime === "deno" ? "deno compile" : "bun build --compile";

  Deno.test({
    ...skippable(
      `[${runtime}] ${label} binary: --version, bad options exit 2`,
      skip,
    ),
    async fn() {
      const binary = await builders[runtime]();
      const version = await run([binary, "--version"], runDir);
      assert.equal(version.code, 0, version.stderr);
      assert.match(
        version.stdout,
        new RegExp(`^wsecho ${config.version} \\(${runtime} [\\d.]+\\)\\n$`),
      );
      // The first argument is the first option, not eaten as a script path.
      const bad = await run([binary, "--port", "70000"], runDir);
      assert.equal(bad.code, 2);
      assert.equal(
        bad.stderr,
        `wsecho: --port 70000 is out of range (0-65535) (see '${binary} --help')\n`,
      );
    },
  });

  Deno.test({
    ...skippable(
      `[${runtime}] ${label} binary: echoes, /healthz, embedded page, exit 0 on SIGTERM`,
      skip,
    ),
    async fn() {
      const binary = await builders[runtime]();
      await using server = await launchServer(
        runtime === "deno" ? DENO : BUN,
        binary,
        ["--port", "0", "--log-format", "json"],
        { cwd: runDir },
      );
      {
        await using client = await connect(server.url);
        assert.equal(await client.echo("Hello, world!"), "Hello, world!");
        const bytes = pattern(70_000, 7);
        assert.deepEqual(await client.echo(bytes), bytes);
      }

      const health = await (await fetch(`${server.http}/healthz`)).json();
      assert.equal(health.status, "ok");
      assert.equal(health.runtime, runtime);
      assert.deepEqual(health.messagesIn, { text: 1, binary: 1 });
      assert.deepEqual(health.bytesOut, { text: 13, binary: 70_000 });

      const page = await fetch(`${server.http}/`);
      assert.equal(page.status, 200);
      assert.equal(
        page.headers.get("content-type"),
        "text/html; charset=utf-8",
      );
      assert.equal(await page.text(), PAGE_HTML);

      const status = await server.stop("SIGTERM");
      assert.equal(status.code, 0);
      await server.waitForLog("stopped", 0);
    },
  });
}
