/**
 * Where a usage error sends the reader: the command that prints the help,
 * in the form this process was started with. There is no `wsecho` command
 * unless one was built or installed, so `see 'wsecho --help'` would send
 * most people nowhere.
 *
 * Linux tells a process its own command line (/proc/self/cmdline): Bun
 * always, Deno with `--allow-all` only. It is repeated word for word, with
 * our arguments replaced by `--help` (`deno run -A main.ts --help`, `bun
 * main.ts --help`, `./dist/wsecho --help`). Where it cannot be read, the
 * runtime's plain command with the script as seen from the working
 * directory: `deno run main.ts --help` needs no permission at all.
 */
import process from "node:process";
import { isBun } from "../runtime/registry.ts";
import { commandLine } from "./command_line.ts";
import { NAME } from "./version.ts";

/** `(see 'deno run main.ts --help')`; `client` for the client's help. */
export function helpHint(command: "server" | "client" = "server"): string {
  const words = [
    ...startCommand(),
    ...(command === "client" ? ["client"] : []),
  ];
  return `(see '${[...words, "--help"].map(quoteWord).join(" ")}')`;
}

let started: string[] | undefined;

/** This process's command line up to (not including) our own arguments. */
function startCommand(): string[] {
  started ??= ownCommandLine() ?? plainCommand();
  return started;
}

/** The words before our arguments on our command line, if readable. */
function ownCommandLine(): string[] | undefined {
  const argv = commandLine();
  if (argv === undefined) return undefined;
  const args = process.argv.slice(2);
  const prefix = argv.length - args.length;
  if (prefix < 1 || args.some((arg, i) => argv[prefix + i] !== arg)) {
    return undefined;
  }
  return argv.slice(0, prefix);
}

/** The runtime's plain command for our script, or a compiled binary. */
function plainCommand(): string[] {
  const script = process.argv[1];
  if (isBun()) {
    // A compiled Bun binary runs an embedded script at a virtual path.
    return script === undefined || script.startsWith("/$bunfs/")
      ? [process.execPath]
      : ["bun", relativeToCwd(script)];
  }
  if (Deno.build.standalone) return [process.execPath ?? NAME];
  return ["deno", "run", relativeToCwd(scriptPath())];
}

function scriptPath(): string {
  const main = Deno.mainModule;
  return main.startsWith("file:")
    ? decodeURIComponent(new URL(main).pathname)
    : main;
}

/** `path` as typed from the working directory, if it is inside it. */
function relativeToCwd(path: string): string {
  let cwd: string | undefined;
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (
      isBun() || !deno ||
      deno.permissions.querySync({ name: "read" }).state === "granted"
    ) cwd = process.cwd();
  } catch { /* not permitted */ }
  return cwd && path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}

/** A word as a shell takes it, in double quotes where it must be. */
function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `"${word.replace(/["\\$`]/g, (c) => "\\" + c)}"`;
}
