/**
 * Skipped tests that say why. The reason goes into the test's name, after
 * ` — SKIPPED: `, so Deno's list of ignored tests (and the list `.ci/run`
 * prints at the end) is a list of reasons.
 */

/** A test's name and `ignore`, the name saying why when it is ignored. */
export function skippable(
  name: string,
  reason: string | undefined,
): { name: string; ignore: boolean } {
  return reason === undefined
    ? { name, ignore: false }
    : { name: `${name} — SKIPPED: ${reason}`, ignore: true };
}

/**
 * Why a test that needs a tool `.ci/run` installs skips here: `missing`,
 * or undefined when the tool is there. In CI (`CI` set) never: there a
 * missing tool is a broken install, and the test must fail rather than
 * hide it.
 */
export function missingTool(
  present: boolean,
  missing: string,
): string | undefined {
  return present || Deno.env.get("CI") ? undefined : missing;
}
