/**
 * The loggers every module writes to: LogTape categories under `wsecho`.
 * Where the records go and how they look is set up once, by the app
 * (lib/app/logging.ts); this module only names the categories.
 */
import { getLogger, type Logger } from "@logtape/logtape";

/** The root category; every module logs under it. */
export const CATEGORY = "wsecho";

export function logger(...sub: string[]): Logger {
  return getLogger([CATEGORY, ...sub]);
}
