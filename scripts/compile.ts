/**
 * `deno task compile`: `deno compile` of main.ts with the permissions of
 * `deno task start`, and one line instead of a five-level error chain when
 * Deno's `denort` base binary is missing. `deno compile` downloads it from
 * dl.deno.land unless `DENORT_BIN` points at a copy; where that cannot be
 * reached, what a person needs to know is what to download and where to
 * point `DENORT_BIN`.
 *
 *   deno task compile                      → dist/wsecho
 *   deno task compile --output PATH
 */
import { parseArgs } from "node:util";

const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys",
];

/** Exit code for "could not build"; 2 is for a bad command line. */
const FAILED = 1;

function fail(message: string, code = FAILED): never {
  console.error(`compile: ${message}`);
  Deno.exit(code);
}

let output: string;
try {
  output = parseArgs({
    args: Deno.args,
    options: { output: { type: "string", default: "dist/wsecho" } },
  }).values.output;
} catch (error) {
  fail(
    `${
      (error as Error).message.split("\n")[0]
    } (usage: deno task compile [--output PATH])`,
    2,
  );
}

const denortZip = `denort-${Deno.build.target}.zip`;
const denortBin = Deno.env.get("DENORT_BIN");
if (denortBin !== undefined) {
  try {
    if (!Deno.statSync(denortBin).isFile) throw new Error("not a file");
  } catch {
    fail(
      `DENORT_BIN=${denortBin} is not a file: point it at the denort binary from ${denortZip} of Deno ${Deno.version.deno}`,
    );
  }
}

const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
  args: [
    "compile",
    "--unstable-no-legacy-abort",
    ...PERMISSIONS,
    "--output",
    output,
    new URL("../main.ts", import.meta.url).pathname,
  ],
  stdout: "piped",
  stderr: "piped",
}).output();
const errors = new TextDecoder().decode(stderr);
await Deno.stdout.write(stdout);
if (code === 0) {
  await Deno.stderr.write(stderr);
  Deno.exit(0);
}
if (/base binary/i.test(errors) && denortBin === undefined) {
  // The innermost "N: cause" of Deno's error chain says why, briefly.
  const causes = errors.split("\n")
    .map((line) => /^\s+\d+: (.*)$/.exec(line)?.[1])
    .filter((cause): cause is string =>
      cause !== undefined && !cause.startsWith("<") // backtrace frames
    );
  const why = causes.at(-1) ?? "download failed";
  fail(
    `deno compile needs Deno's denort base binary and could not download it (${why}); ` +
      `get ${denortZip} of Deno ${Deno.version.deno} from https://dl.deno.land/release/v${Deno.version.deno}/${denortZip}, unzip it, and run: DENORT_BIN=/path/to/denort deno task compile`,
  );
}
await Deno.stderr.write(stderr);
Deno.exit(code);
