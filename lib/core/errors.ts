/** What the project says about errors it did not throw itself. */

/** An error's message, for errors a runtime or library throws. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
