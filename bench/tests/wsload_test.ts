/**
 * The load client: wsload builds from the repository's source into its
 * cache (once per source), passes its own self-test, and against a real
 * server prints JSON whose counts are those asked for, with no errors.
 * Where no C compiler exists, the benchmark stops with one line saying so.
 */
import assert from "node:assert/strict";
import { parseLastJson } from "../load.ts";
import { startServer } from "../servers.ts";
import { buildWsload, hasCompiler, WSLOAD_SOURCE } from "../wsload.ts";
import { missingTool, skippable } from "../../tests/helpers/skip.ts";
import { ROOT } from "../../tools/server_process.ts";

const noCompiler = missingTool(
  hasCompiler(),
  "no C compiler (cc) to build the load client",
);

async function wsload(binary: string, args: string[]) {
  const output = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  return {
    code: output.code,
    stdout,
    json: parseLastJson(stdout.trim().split("\n")) ?? {},
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test({
  ...skippable(
    "wsload is built once per source and passes its self-test",
    noCompiler,
  ),
  async fn() {
    const binary = await buildWsload();
    const built = await Deno.stat(binary);
    assert.equal(
      await buildWsload(),
      binary,
      "the same source: the same build",
    );
    assert.deepEqual(
      (await Deno.stat(binary)).mtime,
      built.mtime,
      "not rebuilt",
    );

    const changed = await Deno.makeTempFile({ suffix: ".c" });
    try {
      await Deno.writeTextFile(
        changed,
        (await Deno.readTextFile(WSLOAD_SOURCE)) + "\n/* changed */\n",
      );
      const rebuilt = await buildWsload(changed);
      assert.notEqual(rebuilt, binary, "a changed source builds anew");
      await Deno.remove(rebuilt);
    } finally {
      await Deno.remove(changed);
    }

    const { code, stdout } = await wsload(binary, ["selftest"]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /selftest: ok/);
  },
});

Deno.test({
  ...skippable(
    "wsload's echo, connect and idle runs against wsecho count right",
    noCompiler,
  ),
  sanitizeResources: false,
  async fn() {
    const binary = await buildWsload();
    const server = await startServer({
      runtime: "deno",
      impl: "wsecho",
      engine: "wsecho",
      workers: 1,
    }, undefined);
    try {
      const url = server.url;
      const echo = await wsload(binary, [
        ...["echo", "--url", url, "-c", "4", "-s", "100", "-p", "3"],
        ...["-d", "1", "--warmup", "0.2", "--binary", "--json"],
      ]);
      assert.equal(echo.code, 0, echo.stdout + echo.stderr);
      assert.equal(echo.json.mode, "echo");
      assert.equal(echo.json.conns, 4);
      assert.equal(echo.json.size, 100);
      assert.equal(echo.json.binary, 1);
      const msgs = echo.json.msgs as number;
      assert.ok(msgs > 0, "echoes measured");
      const seconds = echo.json.duration_s as number;
      assert.ok(seconds >= 0.9 && seconds < 3, `${seconds} s`);
      const rate = echo.json.msgs_per_s as number;
      // duration_s is printed to the ms: the rate agrees within that.
      assert.ok(
        Math.abs(rate * seconds - msgs) <= msgs * 0.001 + 1,
        `${rate}/s × ${seconds} s ≠ ${msgs}`,
      );
      assert.ok(
        Math.abs((echo.json.mb_per_s as number) - rate * 100 / 1e6) < 0.01,
        "MB/s is the payload rate",
      );
      for (const key of ["errors", "conn_failures", "dropped", "stalled"]) {
        assert.equal(echo.json[key], 0, key);
      }
      const cpu = echo.json.client_cpu_pct as number;
      assert.ok(cpu > 0 && cpu <= 105, `client CPU ${cpu} %`);

      const connect = await wsload(binary, [
        ...["connect", "--url", url, "-n", "120", "-c", "10", "--json"],
      ]);
      assert.equal(connect.code, 0, connect.stdout + connect.stderr);
      assert.equal(connect.json.ok, 120);
      assert.equal(connect.json.failed, 0);
      assert.equal(connect.json.clean_closes, 120);

      const idle = await wsload(binary, [
        ...["idle", "--url", url, "-n", "30", "--hold", "0.3"],
        ...["--pid", String(server.pid), "--json"],
      ]);
      assert.equal(idle.code, 0, idle.stdout + idle.stderr);
      assert.equal(idle.json.opened, 30);
      assert.equal(idle.json.alive, 30);
      assert.ok((idle.json.rss_kib_before as number) > 0, "server RSS read");
    } finally {
      await server.stop();
    }
  },
});

Deno.test("without a C compiler the benchmark stops with one line saying so", async () => {
  const cache = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "bench/main.ts", "--quick"],
      cwd: ROOT,
      stdin: "null",
      env: { CC: "no-such-cc", XDG_CACHE_HOME: cache, NO_COLOR: "1" },
    }).output();
    const errors = new TextDecoder().decode(stderr).trim();
    assert.equal(code, 2, new TextDecoder().decode(stdout) + errors);
    assert.equal(
      errors,
      "bench: no C compiler ('no-such-cc') to build the load client bench/wsload/wsload.c: install one (Debian/Ubuntu: apt-get install gcc) or set $CC",
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
