/**
 * Headless Chromium driven over the Chrome DevTools Protocol, with Deno's
 * own WebSocket client: no driver library, no browser download. Uses the
 * system's Chromium (Debian package `chromium`; `.ci/run` installs it).
 */
import { existsSync } from "node:fs";
import { LineCollector } from "./server.ts";

/** The flags the issue asks for, plus a debugging port chosen by Chromium. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--remote-debugging-port=0",
];

/** `$CHROMIUM`, else the first of the usual names found on PATH. */
export function findChromium(): string | undefined {
  const named = Deno.env.get("CHROMIUM");
  if (named) return named;
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    for (const dir of dirs) {
      if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return undefined;
}

interface Reply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
  /** Set on events instead of `id`. */
  method?: string;
  sessionId?: string;
}

/** One browser process and its DevTools connection. */
export class Chromium implements AsyncDisposable {
  private nextId = 0;
  private pending = new Map<number, (reply: Reply) => void>();
  private eventWaiters: Array<(event: Reply) => boolean> = [];

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
  ) {
    socket.onmessage = (event) => {
      const reply: Reply = JSON.parse(event.data);
      if (reply.id === undefined) {
        this.eventWaiters = this.eventWaiters.filter((waiter) =>
          !waiter(reply)
        );
        return;
      }
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    };
  }

  static async launch(executable: string): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "wsecho-chromium-" });
    const child = new Deno.Command(executable, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new LineCollector(child.stderr);
    try {
      const line = await stderr.waitFor(
        (l) => l.startsWith("DevTools listening on "),
        20_000,
      );
      const socket = new WebSocket(line.slice("DevTools listening on ".length));
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("cannot reach DevTools"));
      });
      return new Chromium(child, socket, profile);
    } catch (error) {
      child.kill("SIGKILL");
      await child.status;
      await Deno.remove(profile, { recursive: true });
      throw error;
    }
  }

  /** Sends a DevTools command; rejects with its error, or after 10 s. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    this.socket.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within 10 s`));
      }, 10_000);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
        else resolve(reply.result ?? {});
      });
    });
  }

  /** Resolves on the next event `method` of `sessionId`, within `ms`. */
  nextEvent(method: string, sessionId: string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${method} within ${ms} ms`)),
        ms,
      );
      this.eventWaiters.push((event) => {
        if (event.method !== method || event.sessionId !== sessionId) {
          return false;
        }
        clearTimeout(timer);
        resolve();
        return true;
      });
    });
  }

  /** Opens a new tab, loads `url` in it and waits for its load event. */
  async open(url: string): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const session = String(sessionId);
    await this.send("Page.enable", {}, session);
    const loaded = this.nextEvent("Page.loadEventFired", session);
    const { errorText } = await this.send("Page.navigate", { url }, session);
    if (errorText) throw new Error(`cannot load ${url}: ${errorText}`);
    await loaded;
    return new Page(this, session);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.send("Browser.close").catch(() => {});
    this.socket.close();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.child.status;
    clearTimeout(timer);
    await this.child.stderr.cancel().catch(() => {});
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

/** A tab: runs JavaScript in the page and waits for conditions there. */
export class Page {
  constructor(
    private readonly browser: Chromium,
    private readonly sessionId: string,
  ) {}

  /** Evaluates `expression` in the page; promises are awaited. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = await this.browser.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }, this.sessionId);
    const thrown = reply.exceptionDetails as
      | { exception?: { description?: string }; text: string }
      | undefined;
    if (thrown) {
      throw new Error(thrown.exception?.description ?? thrown.text);
    }
    return (reply.result as { value: T }).value;
  }

  /** Sets the viewport size (CSS pixels) and `prefers-color-scheme`. */
  async emulate(
    { width, height, colorScheme }: {
      width: number;
      height: number;
      colorScheme: "light" | "dark";
    },
  ): Promise<void> {
    await this.browser.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    }, this.sessionId);
    await this.browser.send("Emulation.setEmulatedMedia", {
      features: [{ name: "prefers-color-scheme", value: colorScheme }],
    }, this.sessionId);
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.browser.send("Page.captureScreenshot", {
      format: "png",
    }, this.sessionId);
    return Uint8Array.from(atob(String(data)), (c) => c.charCodeAt(0));
  }

  /**
   * Chooses `paths` in the `<input type=file>` that `selector` finds; the
   * page gets its `input` and `change` events as from a user's choice.
   */
  async setFiles(selector: string, paths: string[]): Promise<void> {
    const { root } = await this.browser.send(
      "DOM.getDocument",
      {},
      this.sessionId,
    );
    const { nodeId } = await this.browser.send("DOM.querySelector", {
      nodeId: (root as { nodeId: number }).nodeId,
      selector,
    }, this.sessionId);
    await this.browser.send("DOM.setFileInputFiles", {
      files: paths,
      nodeId,
    }, this.sessionId);
  }

  /** Presses and releases `key` ("Enter") as keyboard input, with Ctrl. */
  async key(key: string, { ctrl = false } = {}): Promise<void> {
    const codes: Record<string, number> = { Enter: 13 };
    for (const type of ["rawKeyDown", "keyUp"]) {
      await this.browser.send("Input.dispatchKeyEvent", {
        type,
        key,
        code: key,
        windowsVirtualKeyCode: codes[key],
        modifiers: ctrl ? 2 : 0,
      }, this.sessionId);
    }
  }

  /** Lets `origin` read and write the clipboard, with the tab focused. */
  async grantClipboard(origin: string): Promise<void> {
    await this.browser.send("Browser.grantPermissions", {
      origin,
      permissions: ["clipboardReadWrite", "clipboardSanitizedWrite"],
    });
    await this.browser.send("Emulation.setFocusEmulationEnabled", {
      enabled: true,
    }, this.sessionId);
  }

  /** Polls `condition` (an expression) in the page until it is truthy. */
  async waitFor(condition: string, ms = 5000): Promise<void> {
    await this.evaluate(`(async () => {
      const deadline = Date.now() + ${ms};
      while (!(${condition})) {
        if (Date.now() > deadline) {
          throw new Error("timed out waiting for: " + ${
      JSON.stringify(condition)
    });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })()`);
  }
}
