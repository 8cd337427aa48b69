/** What the project says about errors it did not throw itself. */

/** An error's message, for errors a runtime or library throws. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a file could not be read, in the words a usage error uses. */
export function readFailureOf(error: unknown): string {
  switch ((error as { code?: string } | null)?.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return messageOf(error);
  }
}
