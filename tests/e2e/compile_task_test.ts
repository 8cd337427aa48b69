/**
 * `deno task compile` (scripts/compile.ts) where Deno's `denort` base binary
 * is missing: one line saying what is missing and how to provide it
 * (`DENORT_BIN`), exit 1, not Deno's five-level error chain. Deno-only by
 * nature: `deno compile` is Deno's; Bun's `bun build --compile` needs no
 * download (tests/e2e/binaries_test.ts builds both).
 */
import assert from "node:assert/strict";
import { ROOT } from "../helpers/server.ts";

async function compileTask(env: Record<string, string>, output: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", "--output", output],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    // `deno task` echoes the task's command first; the rest is ours.
    lines: decoder.decode(stderr).split("\n").filter((line) =>
      line !== "" && !line.startsWith("Task compile ")
    ),
  };
}

const dir = await Deno.makeTempDir({ prefix: "wsecho-compile-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("[deno only: deno compile] DENORT_BIN naming no file: one line, exit 1", async () => {
  const missing = `${dir}/no-such-denort`;
  const { code, lines } = await compileTask(
    { DENORT_BIN: missing },
    `${dir}/a`,
  );
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    `compile: DENORT_BIN=${missing} is not a file: point it at the denort binary from denort-${Deno.build.target}.zip of Deno ${Deno.version.deno}`,
  ]);
});

Deno.test("[deno only: deno compile] no DENORT_BIN: builds, or says in one line that denort is missing and how to provide it", async () => {
  const output = `${dir}/b`;
  const { code, lines } = await compileTask({}, output);
  if (code === 0) {
    // dl.deno.land was reachable: the binary was built.
    assert.ok(Deno.statSync(output).isFile);
    return;
  }
  assert.equal(code, 1);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0],
    /^compile: deno compile needs Deno's denort base binary and could not download it \(.+\); get denort-\S+\.zip of Deno \S+ from https:\/\/dl\.deno\.land\/\S+, unzip it, and run: DENORT_BIN=\/path\/to\/denort deno task compile$/,
  );
  assert.doesNotMatch(lines[0], /<unknown>|Caused by|backtrace/);
});
