/**
 * `deno task install`: the `wsecho` command, installed with `deno install -g`
 * into a temporary DENO_INSTALL_ROOT, runs from another folder as a server
 * (--port and $PORT), as the console client, and answers --version; it has
 * only the permissions it needs; `deno uninstall -g` removes it.
 */
import { DENO } from "../helpers/targets.ts";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import config from "../../deno.json" with { type: "json" };
import { onFreePort } from "../helpers/net.ts";
import { launchServer, ROOT } from "../helpers/server.ts";

const decoder = new TextDecoder();

/** Runs `command` to the end with `env` on top of ours; returns its output. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string },
) {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

Deno.test("deno task install: a `wsecho` command that serves, echoes and uninstalls, from any folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "wsecho-install-" });
  const elsewhere = await Deno.makeTempDir({ prefix: "wsecho-cwd-" });
  try {
    // `deno` on PATH: the installed script runs `exec deno run ...`.
    const env = {
      DENO_INSTALL_ROOT: root,
      PATH: `${root}/bin:${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
    };
    const installed = await run(Deno.execPath(), ["task", "install"], {
      cwd: ROOT,
      env,
    });
    assert.equal(installed.code, 0, installed.stderr);
    const command = `${root}/bin/wsecho`;
    assert.ok(existsSync(command), `${command} exists`);

    // The narrowest permissions that work: no -A, no sys/run/write/ffi,
    // environment limited to the variables wsecho reads.
    const script = await Deno.readTextFile(command);
    for (const flag of ["--allow-net", "--allow-read"]) {
      assert.match(script, new RegExp(`${flag}\\b`));
    }
    assert.match(
      script,
      /--allow-env=PORT,WSECHO_WORKER,WSECHO_PRIMARY_PID,WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE /,
    );
    assert.match(script, /--unstable-no-legacy-abort/);
    assert.doesNotMatch(
      script,
      / -A | --allow-all|--allow-sys|--allow-run|--allow-write|--allow-ffi/,
    );

    const version = await run("wsecho", ["--version"], { cwd: elsewhere, env });
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout,
      new RegExp(`^wsecho ${config.version} \\(deno \\d+\\.\\d+\\.\\d+\\)\\n$`),
    );

    // --port 0: the kernel's port, read from the start-up line.
    await using server = await launchServer(
      DENO,
      "wsecho",
      ["--port", "0", "--host", "127.0.0.1", "--log-format", "json"],
      { cwd: elsewhere, env },
    );
    const port = server.port;
    const client = await run(
      "wsecho",
      ["client", `ws://127.0.0.1:${port}/`],
      {
        cwd: elsewhere,
        env,
        stdin: "hello from the installed client\nsecond line\n",
      },
    );
    assert.equal(client.code, 0, client.stderr);
    assert.equal(
      client.stdout,
      "hello from the installed client\nsecond line\n",
    );

    // $PORT, which the install's --allow-env lets it read.
    await onFreePort(async (byEnv) => {
      await using fromEnv = await launchServer(
        DENO,
        "wsecho",
        ["--host", "127.0.0.1", "--log-format", "json"],
        { cwd: elsewhere, env: { ...env, PORT: String(byEnv) } },
      );
      assert.equal(fromEnv.port, byEnv);
    });

    const removed = await run(
      Deno.execPath(),
      ["uninstall", "-g", "--root", root, "wsecho"],
      { cwd: elsewhere, env },
    );
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!existsSync(command), "uninstalled");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});
