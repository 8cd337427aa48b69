/**
 * Whether the browser tests can run here, and the Chromium they run on.
 * Without Chromium the tests show as ignored, with the reason in their
 * names; in CI (CI set) a missing Chromium is a failure instead, since
 * `.ci/run` installs it.
 */
import assert from "node:assert/strict";
import { Chromium, findChromium } from "./chromium.ts";
import { missingTool } from "./skip.ts";

export interface ChromiumForTests {
  /** Why the browser tests skip: no Chromium here, and not in CI. */
  skip: string | undefined;
  /** Starts a headless Chromium; fails when there is none (in CI). */
  launch(): Promise<Chromium>;
}

export function chromiumForTests(): ChromiumForTests {
  const chromium = findChromium();
  return {
    skip: missingTool(
      chromium !== undefined,
      "chromium not found (apt-get install chromium, or set CHROMIUM)",
    ),
    launch() {
      assert.ok(chromium, "CI must have chromium: .ci/run installs it");
      return Chromium.launch(chromium);
    },
  };
}
