/**
 * The benchmark's load client: the C load generator in
 * `bench/wsload/wsload.c`, compiled with the machine's C compiler into a
 * cache folder the first time it is needed, and again whenever the source
 * (or the compiler command) changes. One C thread pinned to a core drives
 * every workload with room to spare (its own CPU is in the report), where
 * the TypeScript client it replaced saturated on pipelined 32 B text.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

export const WSLOAD_SOURCE = fileURLToPath(
  new URL("./wsload/wsload.c", import.meta.url),
);

/** The flags of the cached build; part of its name, so a change rebuilds. */
const CFLAGS = ["-O2", "-Wall", "-Wextra", "-Wno-sign-compare"];

/** Why the client could not be built, in one line a person can act on. */
export class WsloadBuildError extends Error {}

/** `$CC`, else `cc`: the compiler the build uses. */
function compiler(): string {
  return Deno.env.get("CC") || "cc";
}

/**
 * Whether the compiler can be found: `$CC` as a path, else `cc` on `PATH`.
 * Tests that need the load client skip outside CI when it cannot (the
 * README's test command must run on a machine with only Node.js and npm).
 */
export function hasCompiler(): boolean {
  const cc = compiler();
  const candidates = cc.includes("/")
    ? [cc]
    : (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) =>
      `${dir}/${cc}`
    );
  return candidates.some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/** `$XDG_CACHE_HOME/wsecho`, else `~/.cache/wsecho`, else the temp folder. */
function cacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  if (xdg) return `${xdg}/wsecho`;
  if (home) return `${home}/.cache/wsecho`;
  return `${Deno.env.get("TMPDIR") ?? "/tmp"}/wsecho-cache`;
}

/**
 * The path of the compiled client, building it first if this source and
 * compiler command have not been built yet (another `sourcePath` is for
 * the tests). Concurrent builds (two test
 * files at once) each write their own file and rename it into place, so a
 * reader never sees half a binary.
 */
export async function buildWsload(sourcePath = WSLOAD_SOURCE): Promise<string> {
  const source = await Deno.readFile(sourcePath);
  const cc = compiler();
  const hash = createHash("sha256").update(source)
    .update([cc, ...CFLAGS].join(" ")).digest("hex").slice(0, 16);
  const dir = cacheDir();
  const binary = `${dir}/wsload-${hash}`;
  try {
    if ((await Deno.stat(binary)).isFile) return binary;
  } catch { /* not built yet */ }
  await Deno.mkdir(dir, { recursive: true });
  const partial = `${binary}.${Deno.pid}.tmp`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cc, {
      args: [...CFLAGS, "-o", partial, sourcePath],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new WsloadBuildError(
      `no C compiler ('${cc}') to build the load client bench/wsload/wsload.c: install one (Debian/Ubuntu: apt-get install gcc) or set $CC`,
    );
  }
  if (!output.success) {
    const errors = new TextDecoder().decode(output.stderr).trim();
    throw new WsloadBuildError(
      `${cc} could not build the load client bench/wsload/wsload.c:\n${errors}`,
    );
  }
  await Deno.rename(partial, binary);
  return binary;
}

/** The compiler's first line of `--version`, for the report. */
export async function compilerVersion(): Promise<string> {
  try {
    const output = await new Deno.Command(compiler(), {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(output.stdout).split("\n")[0].trim();
  } catch {
    return compiler();
  }
}
