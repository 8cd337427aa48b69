/**
 * Command-line parsing: argv (and a few environment variables) in, a typed
 * command out. Nothing here prints or exits; bad input becomes a
 * {@linkcode UsageError} that the app reports as one line with its exit
 * code. The only I/O is reading the `--cert`/`--key` (and the client's `--ca`) files (through an
 * injected reader), so that an unreadable one is bad input like any other.
 */
import {
  CLIENT_COMMAND,
  type ClientCommand,
  parseClientCommand,
} from "./client_args.ts";
import { parseServerCommand, type ServerCommand } from "./server_args.ts";
import { readTextFile, type TextFileReader } from "./tls_files.ts";
import type { EnvReader } from "./usage.ts";

export type Command = ServerCommand | ClientCommand;

export function parseCommand(
  args: string[],
  env: EnvReader,
  readFile: TextFileReader = readTextFile,
): Command {
  if (args[0] === CLIENT_COMMAND) {
    return parseClientCommand(args.slice(1), readFile);
  }
  return parseServerCommand(args, env, readFile);
}
