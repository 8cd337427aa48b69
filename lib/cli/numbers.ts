/**
 * The numbers of the command line (ports, counts, seconds, byte sizes),
 * with errors that say what to write: a value out of range says the range,
 * and a spelling that is close (`10MB`, `30s`, `1.5MiB`) says what we take
 * instead. Nothing here knows the flags; callers pass the bounds.
 */
import { formatBytes, GIB, KIB, MIB } from "../core/payload.ts";
import { UsageError } from "./usage.ts";

/**
 * How a value is named in an error: `--port -1` for a flag, `PORT=-1` for
 * an environment variable.
 */
function shown(source: string, text: string): string {
  return source.startsWith("-") ? `${source} ${text}` : `${source}=${text}`;
}

const INTEGER = /^-?\d+$/;

/**
 * A whole number from `min` to `max` (`Number.MAX_SAFE_INTEGER`: no bound worth naming). Words
 * that are no whole number get `notANumber`; whole numbers outside the
 * bounds, negative ones included, are out of range.
 */
export function parseWhole(
  text: string,
  source: string,
  { min, max, unit = "" }: { min: number; max: number; unit?: string },
  notANumber: string,
): number {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) throw new UsageError(notANumber);
  const value = Number(trimmed);
  if (!(value >= min && value <= max)) {
    const range = max >= Number.MAX_SAFE_INTEGER
      ? `${min} or more`
      : `${min}-${max}`;
    throw new UsageError(
      `${shown(source, trimmed)} is out of range (${range}${unit})`,
    );
  }
  return value;
}

/** A decimal port 0-65535; 0 asks the OS for a free port. */
export function parsePort(text: string, source: string): number {
  return parseWhole(
    text,
    source,
    { min: 0, max: 65535 },
    `${source} must be a whole number from 0 to 65535, got '${text}'`,
  );
}

/** A whole number from 0 up, e.g. for limits where 0 means "no limit". */
export function parseCount(text: string, source: string): number {
  return parseWhole(
    text,
    source,
    { min: 0, max: Number.MAX_SAFE_INTEGER },
    `${source} must be a whole number from 0 up, got '${text}'`,
  );
}

/** Seconds in other units, as people write them: what each one is worth. */
const TIME_UNITS = new Map<string, number>([
  ["s", 1],
  ["sec", 1],
  ["secs", 1],
  ["second", 1],
  ["seconds", 1],
  ["m", 60],
  ["min", 60],
  ["mins", 60],
  ["minute", 60],
  ["minutes", 60],
  ["h", 3600],
  ["hour", 3600],
  ["hours", 3600],
]);

/**
 * Whole seconds from 0 to `max`. `30s`, `2m` or `1h` say what to write
 * (the flags take a plain number of seconds), and so does `1.5`.
 */
export function parseSeconds(text: string, flag: string, max: number): number {
  const trimmed = text.trim();
  const general =
    `${flag} must be whole seconds from 0 to ${max}, got '${text}'`;
  const spelled = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(trimmed);
  const factor = spelled && TIME_UNITS.get(spelled[2].toLowerCase());
  if (spelled && factor) {
    const seconds = Number(spelled[1]) * factor;
    throw new UsageError(
      Number.isInteger(seconds)
        ? `${flag} takes a plain number of seconds: write ${seconds}, not '${text}'`
        : `${flag} takes whole seconds, got '${text}'`,
    );
  }
  if (/^\d+\.\d+$/.test(trimmed)) {
    throw new UsageError(
      `${flag} takes whole seconds (e.g. ${
        Math.max(1, Math.round(Number(trimmed)))
      }), got '${text}'`,
    );
  }
  return parseWhole(trimmed, flag, { min: 0, max, unit: " seconds" }, general);
}

/** The units a byte size takes, in lower case. */
const BYTE_UNITS = new Map<string, number>([
  ["", 1],
  ["k", KIB],
  ["kib", KIB],
  ["m", MIB],
  ["mib", MIB],
  ["g", GIB],
  ["gib", GIB],
]);

/** Binary units by their first letter, for spellings we do not take. */
const UNIT_BY_LETTER = new Map<string, [name: string, size: number]>([
  ["k", ["KiB", KIB]],
  ["m", ["MiB", MIB]],
  ["g", ["GiB", GIB]],
  ["t", ["TiB", 1024 * GIB]],
]);

/**
 * A byte count: a whole number with an optional binary unit, e.g. `65536`,
 * `64KiB`, `16MiB`, `16m`, from 1 to `max`. Decimal units are refused,
 * since `MB` may mean 1000² or 1024² bytes, and the error says which
 * spelling to use; so do `100B`, `1.5MiB` and `-1`.
 */
export function parseByteSize(
  text: string,
  flag: string,
  max: number,
): number {
  const trimmed = text.trim();
  const range = `(1-${formatBytes(max)})`;
  const general = `${flag} must be a byte count from 1 to ${
    formatBytes(max)
  } (e.g. 65536, 64KiB, 16MiB), got '${text}'`;
  const match = /^(-?)(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(trimmed);
  if (!match) throw new UsageError(general);
  const [, minus, digits, unitText] = match;
  const unit = unitText.toLowerCase();
  let size = BYTE_UNITS.get(unit);
  if (size === undefined) {
    const suggestion = suggestUnit(digits, unit);
    if (suggestion === undefined) throw new UsageError(general);
    if (suggestion.write === undefined) {
      size = suggestion.size; // e.g. 2TiB: out of range, said below
    } else {
      throw new UsageError(
        `${flag} ${trimmed}: ${suggestion.why}; write ${suggestion.write}`,
      );
    }
  }
  const bytes = Number(digits) * size;
  if (minus || !(bytes >= 1 && bytes <= max)) {
    throw new UsageError(`${flag} ${trimmed} is out of range ${range}`);
  }
  if (!Number.isInteger(bytes)) {
    throw new UsageError(
      `${flag} ${trimmed}: a size is whole bytes; write ${Math.round(bytes)}`,
    );
  }
  if (!Number.isInteger(Number(digits))) {
    // 1.5MiB is a whole number of bytes; the flag takes it in whole units.
    throw new UsageError(
      `${flag} ${trimmed}: write a whole number: ${formatBytes(bytes)}`,
    );
  }
  return bytes;
}

/**
 * What to write instead of a unit we do not take: the binary unit of the
 * same letter (`MB`, `mb`, `Mi`, `megabytes` → `MiB`), or no unit for
 * bytes (`B`, `bytes`). `write` is absent where the unit is right but the
 * size is too big anyway (`TiB`).
 */
function suggestUnit(
  digits: string,
  unit: string,
): { why: string; write?: string; size: number } | undefined {
  if (unit === "b" || unit === "byte" || unit === "bytes") {
    return { why: "a plain number is bytes", write: digits, size: 1 };
  }
  const binary = UNIT_BY_LETTER.get(unit[0]);
  if (
    binary === undefined || !/^[kmgt]([bi]|ib|bytes?|[a-z]*bytes?)?$/.test(unit)
  ) {
    return undefined;
  }
  const [name, size] = binary;
  if (unit[0] === "t") return { why: "", size };
  const decimal = unit.endsWith("b") && !unit.endsWith("ib");
  return {
    why: decimal
      ? `sizes take binary units (${name}, ${size} bytes), not ${
        unit.slice(0, 1).toUpperCase()
      }B`
      : `the unit is ${name}`,
    write: `${digits}${name}`,
    size,
  };
}
