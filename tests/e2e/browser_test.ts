/**
 * The browser client page (GET /) in real headless Chromium, against the
 * server on each runtime: connect, send text and binary (as hex), see both
 * echoes logged with their types, disconnect.
 *
 * Without Chromium the tests show as ignored, with the reason in their
 * names; in CI (CI set) a missing Chromium is a failure instead, since
 * `.ci/run` installs it.
 */
import assert from "node:assert/strict";
import type { Page } from "../helpers/chromium.ts";
import { skippable } from "../helpers/skip.ts";
import { chromiumForTests } from "../helpers/chromium_for_tests.ts";
import { startServer } from "../helpers/server.ts";
import { TARGETS } from "../helpers/targets.ts";
import { waitForHealth } from "../helpers/ws.ts";

const chromium = chromiumForTests();

interface Entry {
  dir: string;
  type: string;
  text: string;
}

/** The page's log, as data: direction, type and the message cell. */
async function logEntries(page: Page): Promise<Entry[]> {
  return await page.evaluate<Entry[]>(`
    Array.from(document.querySelectorAll("#log li"), (li) => ({
      dir: li.dataset.dir,
      type: li.dataset.type,
      text: li.querySelector(".body").textContent,
    }))
  `);
}

/** Picks the message kind ("text", "hex"), types `text` and sends it. */
async function send(page: Page, kind: string, text: string): Promise<void> {
  const field = kind === "text" ? "message" : kind;
  await page.evaluate(`
    document.getElementById("kind-${kind}").click();
    document.getElementById("${field}").value = ${JSON.stringify(text)};
    document.getElementById("${field}").dispatchEvent(new Event("input"));
    document.getElementById("send").click();
  `);
}

const has = (dir: string, type: string) =>
  `document.querySelector('#log li[data-dir="${dir}"][data-type="${type}"]')`;

for (const target of TARGETS) {
  Deno.test({
    ...skippable(
      `[${target.name}] browser page in headless Chromium: connect, echo text and binary, disconnect`,
      chromium.skip,
    ),
    async fn() {
      await using server = await startServer(target);
      await using browser = await chromium.launch();
      const page = await browser.open(`${server.http}/`);

      await page.waitFor(
        `document.getElementById("state")?.textContent === "CLOSED"`,
      );
      assert.equal(
        await page.evaluate(`document.getElementById("url").value`),
        server.url,
      );

      await page.evaluate(`document.getElementById("connect").click()`);
      await page.waitFor(
        `document.getElementById("state").textContent === "OPEN"`,
      );

      await send(page, "text", "Hello from Chromium");
      await page.waitFor(has("received", "text"));
      // The UTF-8 bytes of "bytes ✓", as hex.
      const bytes = "62 79 74 65 73 20 e2 9c 93";
      await send(page, "hex", bytes);
      await page.waitFor(has("received", "binary"));

      const messages = (await logEntries(page)).filter((e) => e.dir !== "info");
      assert.deepEqual(messages, [
        { dir: "sent", type: "text", text: "Hello from Chromium" },
        { dir: "received", type: "text", text: "Hello from Chromium" },
        { dir: "sent", type: "binary", text: bytes },
        { dir: "received", type: "binary", text: bytes },
      ]);
      // The server saw one frame of each type: the hex went out as binary.
      const health = await waitForHealth(server.http, (h) => h.clients === 1);
      assert.deepEqual(health.messagesIn, { text: 1, binary: 1 });

      await page.evaluate(`document.getElementById("disconnect").click()`);
      await page.waitFor(
        `document.getElementById("state").textContent === "CLOSED"`,
      );
      const last = (await logEntries(page)).at(-1);
      assert.deepEqual(last, {
        dir: "info",
        type: "",
        text: "closed, code 1000 normal closure, reason “bye”",
      });
      await waitForHealth(server.http, (h) => h.clients === 0);
    },
  });
}
