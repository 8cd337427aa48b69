/**
 * What both command lines share: the usage error that `main.ts` reports as
 * one line with its exit code, `node:util` `parseArgs` with its errors made
 * short, and the flags both commands take.
 *
 * `node:util` `parseArgs` is used because JSR's `@std/cli` cannot be reached
 * from our build machines, and it is built into both Deno and Bun.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { messageOf } from "../core/errors.ts";
import type { LogFormat } from "../config/options.ts";

/** Bad command-line input: the message is one line meant for a person. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = "UsageError";
  }
}

/** Reads an environment variable; injected so tests need no real environment. */
export type EnvReader = (name: string) => string | undefined;

/** `parseArgs` in strict mode; its errors become {@linkcode UsageError}s. */
export function parseOrExplain<T extends ParseArgsOptionsConfig>(
  args: string[],
  spec: T,
) {
  try {
    return parseArgs({
      args: attachNegativeNumbers(args, spec),
      options: spec,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(explainParseError(error));
  }
}

/** A negative number, e.g. `-1`, `-3`, `-1.5`, `-2MiB`. */
const NEGATIVE_NUMBER = /^-\d/;

/**
 * `--port -1` as `--port=-1`: `parseArgs` takes any word that starts with
 * `-` for an option, so a negative value would be reported as a missing
 * one. Joined to its option, it reaches the option's own check, which
 * says it is out of range. Short forms (`-p -1`) become the long form.
 */
function attachNegativeNumbers(
  args: string[],
  spec: ParseArgsOptionsConfig,
): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, option] of Object.entries(spec)) {
    if (option.type !== "string") continue;
    takesValue.set(`--${name}`, name);
    if (option.short) takesValue.set(`-${option.short}`, name);
  }
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = takesValue.get(args[i]);
    const next = args[i + 1];
    if (
      name !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next)
    ) {
      joined.push(`--${name}=${next}`);
      i++;
    } else if (args[i] === "--") {
      // Everything after `--` is a positional, as parseArgs sees it.
      joined.push(...args.slice(i));
      break;
    } else joined.push(args[i]);
  }
  return joined;
}

/** Turns Node's verbose parseArgs errors into one short line. */
function explainParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = messageOf(error);
  // Node names the option as '--name', '-p, --name <value>' or '-x'.
  const option = /--[\w-]+/.exec(message)?.[0] ??
    /'(-[^'\s]*)'/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${option}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing|ambiguous/.test(message)
        ? `option '${option}' needs a value`
        : `option '${option}' takes no value`;
    default:
      return message.split("\n")[0];
  }
}

/** `--log-format`, which both commands take. */
export function parseLogFormat(text: string): LogFormat {
  if (text === "pretty" || text === "json") return text;
  throw new UsageError(
    `--log-format must be 'pretty' or 'json', got '${text}'`,
  );
}
