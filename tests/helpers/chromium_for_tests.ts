/**
 * Whether the browser tests can run here, and the Chromium they run on.
 * Without Chromium the tests show as ignored, with the reason in their
 * names; in CI (CI set) a missing Chromium is a failure instead, since
 * `.ci/run` installs it.
 */
import assert from "node:assert/strict";
import { Chromium, findChromium } from "./chromium.ts";

export interface ChromiumForTests {
  /** For `Deno.test`'s `ignore`: no Chromium here, and not in CI. */
  ignore: boolean;
  /** Appended to each test's name: why it is ignored, or nothing. */
  nameSuffix: string;
  /** Starts a headless Chromium; fails when there is none (in CI). */
  launch(): Promise<Chromium>;
}

export function chromiumForTests(): ChromiumForTests {
  const chromium = findChromium();
  const inCi = Boolean(Deno.env.get("CI"));
  const ignore = chromium === undefined && !inCi;
  return {
    ignore,
    nameSuffix: ignore
      ? " — SKIPPED: chromium not found (apt-get install chromium, or set CHROMIUM)"
      : "",
    launch() {
      assert.ok(chromium, "CI must have chromium: .ci/run installs it");
      return Chromium.launch(chromium);
    },
  };
}
