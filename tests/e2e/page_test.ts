/**
 * The browser page (GET /) as a tool, in real headless Chromium against the
 * server on each runtime: URLs checked before any connection, a refused
 * connection explained, http:// converted, reconnect; a negotiated
 * subprotocol shown; text, hex and file messages echoed with exact bytes,
 * sizes and round-trip times; message text shown as text, never as markup;
 * Ctrl+Enter; Copy; screenshots in light and dark.
 *
 * Screenshots go to the test's temporary folder, and one copy each to
 * /tmp/wsecho-page-light.png and /tmp/wsecho-page-dark.png to look at.
 *
 * Without Chromium the tests show as ignored, with the reason in their
 * names; in CI (CI set) a missing Chromium is a failure instead.
 */
import assert from "node:assert/strict";
import type { Page } from "../helpers/chromium.ts";
import { skippable } from "../helpers/skip.ts";
import { chromiumForTests } from "../helpers/chromium_for_tests.ts";
import { startServer } from "../helpers/server.ts";
import { waitForHealth } from "../helpers/ws.ts";
import { TARGETS } from "../helpers/targets.ts";

const chromium = chromiumForTests();

interface Row {
  dir: string;
  type: string;
  size: string | null;
  rtt: string | null;
  rttText: string;
  body: string;
  mismatch: string | null;
}

/** The log's rows, as data. */
async function rows(page: Page): Promise<Row[]> {
  return await page.evaluate<Row[]>(`
    Array.from(document.querySelectorAll("#log li"), (li) => ({
      dir: li.dataset.dir,
      type: li.dataset.type,
      size: li.dataset.size ?? null,
      rtt: li.dataset.rtt ?? null,
      rttText: li.querySelector(".rtt").textContent,
      body: li.querySelector(".body").textContent,
      mismatch: li.dataset.mismatch ?? null,
    }))
  `);
}

const js = JSON.stringify;
const text = (page: Page, id: string) =>
  page.evaluate<string>(`document.getElementById(${js(id)}).textContent`);
const click = (page: Page, id: string) =>
  page.evaluate(`document.getElementById(${js(id)}).click()`);
const fill = (page: Page, id: string, value: string) =>
  page.evaluate(`{
    const field = document.getElementById(${js(id)});
    field.value = ${js(value)};
    field.dispatchEvent(new Event("input"));
  }`);
const rowCount = (page: Page) =>
  page.evaluate<number>(`document.getElementById("log").childElementCount`);
const state = (name: string) =>
  `document.getElementById("state").textContent === ${js(name)}`;

/** Sends what the composer holds and waits for its echo row. */
async function sendAndWait(page: Page): Promise<void> {
  const before = await rowCount(page);
  await click(page, "send");
  await page.waitFor(
    `document.getElementById("log").childElementCount >= ${before + 2}`,
  );
}

const hexOf = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

for (const target of TARGETS) {
  const runtime = target.runtime;
  Deno.test({
    ...skippable(
      `[${target.name}] page: a bad URL is refused before any connection, a refused one explained, http:// converted, reconnect`,
      chromium.skip,
    ),
    async fn() {
      await using server = await startServer(target);
      await using browser = await chromium.launch();
      const page = await browser.open(`${server.http}/`);
      await page.waitFor(`document.getElementById("url").value !== ""`);
      assert.equal(
        await page.evaluate(`document.getElementById("url").value`),
        server.url,
      );

      // `http//bad` once became ws://HOST/http//bad: now nothing is sent.
      for (
        const [url, says] of [
          ["http//bad", "Not a WebSocket URL: “http//bad”"],
          ["localhost:1234", "did you mean ws://localhost:1234?"],
          ["ftp://127.0.0.1/", "ftp:// is not a WebSocket scheme"],
          [`${server.url}#top`, "cannot have a #fragment"],
        ]
      ) {
        await fill(page, "url", url);
        await click(page, "connect");
        const notice = await text(page, "notice");
        assert.ok(notice.includes(says), `${url}: ${notice}`);
        assert.equal(await text(page, "state"), "CLOSED");
        const last = (await rows(page)).at(-1)!;
        assert.equal(last.dir, "error");
        assert.ok(last.body.startsWith("not connecting: "), last.body);
        assert.equal(
          await page.evaluate(
            `document.getElementById("url").getAttribute("aria-invalid")`,
          ),
          "true",
        );
      }
      await fill(page, "url", server.url);
      await fill(page, "protocols", "a b");
      await click(page, "connect");
      assert.match(await text(page, "notice"), /“a b” is not a subprotocol/);
      await fill(page, "protocols", "");
      // Give a stray attempt time to arrive before looking for it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      let health = await waitForHealth(server.http, () => true);
      assert.equal(health.connectionsTotal, 0);
      assert.deepEqual(
        Object.values(health.refusedUpgrades as Record<string, number>),
        Object.values(health.refusedUpgrades as Record<string, number>).map(
          () => 0,
        ),
      );

      // Nothing listens on port 1: the page lists the likely causes.
      await fill(page, "url", "ws://127.0.0.1:1/");
      await click(page, "connect");
      await page.waitFor(
        `document.getElementById("notice").textContent.includes("Could not connect")`,
      );
      const causes = await page.evaluate<string[]>(
        `Array.from(document.querySelectorAll("#notice li"), (li) => li.textContent)`,
      );
      assert.ok(causes.some((c) => c.startsWith("No server listening on")));
      assert.ok(causes.some((c) => c.includes("--origin")));
      assert.ok(causes.some((c) => c.startsWith("TLS")));
      assert.equal(await text(page, "state"), "CLOSED");

      // An http:// URL is turned into ws://, and the page says so.
      await fill(page, "url", `${server.http}/`);
      await click(page, "connect");
      await page.waitFor(state("OPEN"));
      assert.equal(
        await page.evaluate(`document.getElementById("url").value`),
        server.url,
      );
      const log = await rows(page);
      assert.ok(log.some((r) => r.body === "http:// changed to ws://"));
      assert.equal(log.at(-1)!.body, `connected to ${server.url}`);
      assert.equal(await text(page, "negotiated"), "none");
      health = await waitForHealth(server.http, (h) => h.clients === 1);
      assert.equal(health.connectionsTotal, 1);

      // Reconnect closes the open connection and opens a new one.
      await click(page, "reconnect");
      await page.waitFor(state("OPEN"));
      await waitForHealth(
        server.http,
        (h) => h.connectionsTotal === 2 && h.clients === 1,
      );
      await click(page, "disconnect");
      await page.waitFor(state("CLOSED"));
      assert.equal(
        (await rows(page)).at(-1)!.body,
        "closed, code 1000 normal closure, reason “bye”",
      );
      await waitForHealth(server.http, (h) => h.clients === 0);
    },
  });

  Deno.test({
    ...skippable(
      `[${target.name}] page: subprotocol chat negotiated; text, hex and file echoes with exact bytes, sizes and RTT; Ctrl+Enter; Copy; screenshots`,
      chromium.skip,
    ),
    async fn() {
      await using server = await startServer(target, {
        args: ["--protocol", "chat"],
      });
      const response = await fetch(`${server.http}/`);
      await response.body?.cancel();
      const policy = response.headers.get("content-security-policy") ?? "";
      assert.match(policy, /script-src 'sha256-[^']+'/);

      await using browser = await chromium.launch();
      const page = await browser.open(`${server.http}/`);
      await page.emulate({ width: 1280, height: 820, colorScheme: "light" });
      // Script and style ran under that policy: the URL is filled in, the
      // layout is the grid, and /healthz gave the version.
      await page.waitFor(
        `document.getElementById("version").textContent.startsWith("wsecho ")`,
      );
      assert.equal(
        await page.evaluate(
          `getComputedStyle(document.querySelector("main")).display`,
        ),
        "grid",
      );
      assert.match(
        await text(page, "version"),
        new RegExp(`^wsecho \\d+\\.\\d+\\.\\d+ · ${runtime} `),
      );
      assert.deepEqual(
        await page.evaluate(
          `Array.from(document.querySelectorAll(".meta a"), (a) => a.href)`,
        ),
        [`${server.http}/healthz`, `${server.http}/metrics`],
      );

      await fill(page, "protocols", "superchat, chat");
      await click(page, "connect");
      await page.waitFor(state("OPEN"));
      assert.equal(await text(page, "negotiated"), "chat");
      assert.match((await rows(page)).at(-1)!.body, /, subprotocol chat/);

      // Multi-line text, with markup and a bidi override in it.
      const message = "Hello, world!\n<b>bold?</b> ✓\u202e";
      const size = new TextEncoder().encode(message).length;
      await fill(page, "message", message);
      assert.equal(await text(page, "size"), `${size} bytes`);
      await sendAndWait(page);
      let [sent, echo] = (await rows(page)).slice(-2);
      const shown = "Hello, world!\n<b>bold?</b> ✓<U+202E>";
      assert.deepEqual(
        { ...sent, rttText: "" },
        {
          dir: "sent",
          type: "text",
          size: String(size),
          rtt: null,
          rttText: "",
          body: shown,
          mismatch: null,
        },
      );
      assert.equal(echo.dir, "received");
      assert.equal(echo.type, "text");
      assert.equal(echo.size, String(size));
      assert.equal(echo.body, shown);
      assert.equal(echo.mismatch, null);
      assert.ok(Number(echo.rtt) >= 0, `rtt ${echo.rtt}`);
      assert.match(echo.rttText, /^\d+\.\d+ m?s$/);
      assert.equal(
        await page.evaluate(`document.querySelectorAll("#log b").length`),
        0,
        "message text is never parsed as HTML",
      );

      // Hex: exact bytes out and back.
      await click(page, "kind-hex");
      await fill(page, "hex", "00 ff 10 7f\n80 fe 0x41");
      assert.equal(await text(page, "size"), "7 bytes");
      await sendAndWait(page);
      [sent, echo] = (await rows(page)).slice(-2);
      assert.equal(sent.body, "00 ff 10 7f 80 fe 41");
      assert.deepEqual(
        [echo.dir, echo.type, echo.size, echo.body, echo.mismatch],
        ["received", "binary", "7", "00 ff 10 7f 80 fe 41", null],
      );
      assert.ok(Number(echo.rtt) >= 0);
      await fill(page, "hex", "0g");
      assert.equal(await text(page, "input-error"), "Not a hex digit: “g”");
      assert.equal(
        await page.evaluate(`document.getElementById("send").disabled`),
        true,
      );

      // A file, as one binary message; its hex is capped at 128 bytes.
      const dir = await Deno.makeTempDir({ prefix: "wsecho-page-" });
      try {
        const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
        await Deno.writeFile(`${dir}/sample.bin`, bytes);
        await click(page, "kind-file");
        await page.setFiles("#file", [`${dir}/sample.bin`]);
        assert.equal(await text(page, "file-info"), "sample.bin · 300 bytes");
        await sendAndWait(page);
        [sent, echo] = (await rows(page)).slice(-2);
        const capped = `${hexOf(bytes.subarray(0, 128))} … +172 bytes`;
        assert.equal(sent.body, `sample.bin ${capped}`);
        assert.deepEqual(
          [echo.type, echo.size, echo.body, echo.mismatch],
          ["binary", "300", capped, null],
        );
        const health = await waitForHealth(server.http, () => true);
        assert.deepEqual(health.messagesIn, { text: 1, binary: 2 });
        assert.deepEqual(health.bytesIn, { text: size, binary: 307 });

        // Ctrl+Enter sends from the keyboard.
        await click(page, "kind-text");
        await fill(page, "message", "typed");
        await page.evaluate(`document.getElementById("message").focus()`);
        const before = await rowCount(page);
        await page.key("Enter", { ctrl: true });
        await page.waitFor(
          `document.getElementById("log").childElementCount === ${before + 2}`,
        );
        assert.deepEqual(
          (await rows(page)).slice(-2).map((r) => [r.dir, r.body]),
          [["sent", "typed"], ["received", "typed"]],
        );
        assert.match(
          await text(page, "stats"),
          /^4 sent · 4 received · RTT \d+\.\d+ m?s \(avg \d+\.\d+ m?s\)$/,
        );

        // Copy puts the log on the clipboard as text, one row a line.
        await page.grantClipboard(server.http);
        await click(page, "copy");
        await page.waitFor(
          `document.getElementById("copy-status").textContent.startsWith("Copied")`,
        );
        const copied = await page.evaluate<string>(
          `navigator.clipboard.readText()`,
        );
        assert.match(
          copied,
          /^\d\d:\d\d:\d\d\.\d{3} {2}received {2}binary {6}300 B {2}/m,
        );
        assert.ok(copied.includes("<b>bold?</b>"), copied);

        // Without navigator.clipboard (plain http:// on another host), the
        // fallback copies a selection: the same text arrives.
        await page.evaluate(`(async () => {
          window.realClipboard = navigator.clipboard;
          await realClipboard.writeText("");
          Object.defineProperty(navigator, "clipboard", { value: undefined });
          document.getElementById("copy-status").textContent = "";
          document.getElementById("copy").click();
        })()`);
        await page.waitFor(
          `document.getElementById("copy-status").textContent.startsWith("Copied")`,
        );
        assert.equal(
          await page.evaluate<string>(`realClipboard.readText()`),
          copied,
        );

        // Screenshots, light then dark, of a log that shows each kind.
        await click(page, "clear");
        await fill(page, "message", '{"type":"ping","id":1}\nsecond line');
        await sendAndWait(page);
        await click(page, "kind-hex");
        await fill(page, "hex", "de ad be ef 00 ff");
        await sendAndWait(page);
        await page.evaluate(`document.activeElement.blur()`);
        for (const scheme of ["light", "dark"] as const) {
          await page.emulate({ width: 1280, height: 820, colorScheme: scheme });
          const png = await page.screenshot();
          assert.deepEqual(
            [...png.subarray(0, 8)],
            [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          );
          await Deno.writeFile(`${dir}/page-${runtime}-${scheme}.png`, png);
          await Deno.writeFile(`/tmp/wsecho-page-${scheme}.png`, png);
        }
        assert.notEqual(
          await page.evaluate(
            `getComputedStyle(document.body).backgroundColor`,
          ),
          "rgb(244, 245, 248)",
          "dark scheme applied",
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
