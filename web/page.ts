/**
 * The browser side of the echo client page (GET /): web/index.html's
 * buttons and fields, the WebSocket, and the log. scripts/gen_page.ts
 * strips the types and inlines it into the page, wrapped in a function so
 * that its names stay out of the page's globals; it loads nothing else.
 *
 * Everything the page shows from a message or a URL goes through
 * `textContent`/text nodes, never `innerHTML`; the page's policy (PAGE_CSP
 * in lib/http/page.ts) lets no other script or style run.
 *
 * Element ids and the `data-dir`/`data-type`/`data-size`/`data-rtt`
 * attributes of log entries (and the `.body` cell) are a stable interface:
 * the browser tests drive the page through them.
 */
// The browser runs this as a classic script: strict, like the module that
// `deno check` sees.
"use strict";

/** Where a row of the log comes from. */
type Direction = "sent" | "received" | "info" | "error";
/** A row's type column: the message's frame type, or nothing. */
type RowType = "text" | "binary" | "";
/** What the composer sends: its radio buttons. */
type Kind = "text" | "hex" | "file";
/** Why a field's value cannot be used, in a sentence for the page. */
interface Invalid {
  readonly error: string;
}
/** A connection to make: a checked ws(s):// URL and the subprotocols offered. */
interface Target {
  readonly url: string;
  readonly protocols: readonly string[];
}
/** A message ready for Send. */
interface Draft {
  /** A file is read only when it is sent. */
  readonly data: string | Uint8Array<ArrayBuffer> | File;
  readonly size: number;
  /** The file's name, shown in the log before its bytes. */
  readonly from?: string;
}
/** A message sent and not yet echoed. */
interface Pending {
  readonly at: number;
  readonly data: string | Uint8Array<ArrayBuffer>;
}

/** The element of index.html with `id`; it must exist and be a `type`. */
function element<T extends HTMLElement>(
  id: string,
  type: { new (): T; prototype: T },
): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) {
    throw new Error("#" + id + " is missing or not a " + type.name);
  }
  return found;
}

/** The page's elements, looked up once (the script runs after them). */
const ui = {
  version: element("version", HTMLSpanElement),
  state: element("state", HTMLSpanElement),
  url: element("url", HTMLInputElement),
  protocols: element("protocols", HTMLInputElement),
  connect: element("connect", HTMLButtonElement),
  disconnect: element("disconnect", HTMLButtonElement),
  reconnect: element("reconnect", HTMLButtonElement),
  autoReconnect: element("auto-reconnect", HTMLInputElement),
  notice: element("notice", HTMLDivElement),
  details: element("details", HTMLDListElement),
  negotiated: element("negotiated", HTMLElement),
  extensions: element("extensions", HTMLElement),
  kindText: element("kind-text", HTMLInputElement),
  kindHex: element("kind-hex", HTMLInputElement),
  kindFile: element("kind-file", HTMLInputElement),
  panelText: element("panel-text", HTMLDivElement),
  panelHex: element("panel-hex", HTMLDivElement),
  panelFile: element("panel-file", HTMLDivElement),
  message: element("message", HTMLTextAreaElement),
  hex: element("hex", HTMLTextAreaElement),
  file: element("file", HTMLInputElement),
  fileInfo: element("file-info", HTMLSpanElement),
  size: element("size", HTMLSpanElement),
  inputError: element("input-error", HTMLSpanElement),
  send: element("send", HTMLButtonElement),
  sendKeys: element("send-keys", HTMLElement),
  stats: element("stats", HTMLSpanElement),
  copyStatus: element("copy-status", HTMLSpanElement),
  copy: element("copy", HTMLButtonElement),
  clear: element("clear", HTMLButtonElement),
  log: element("log", HTMLOListElement),
};

const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"] as const;
// RFC 7230 token: what a browser accepts as a subprotocol name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Shown as <U+XXXX>: controls other than line break and tab, and format and
// bidi characters (U+202E...), which would hide or reorder the log's text.
const INVISIBLE = /([^\P{Cc}\n\t]|\p{Cf}|[\u2028\u2029])/u;
const HEX_SHOWN = 128; // bytes of a binary message shown as hex
const TEXT_SHOWN = 4000; // characters of a text message shown
const MAX_ENTRIES = 2000; // log rows kept, so the page can stay open
const CLOSE_CODES: Readonly<Record<number, string>> = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no code given",
  1006: "dropped without a close frame",
  1007: "invalid data",
  1008: "policy violation",
  1009: "message too big",
  1010: "extension required",
  1011: "server error",
  1012: "service restart",
  1013: "try again later",
  1015: "TLS handshake failed",
};
const encoder = new TextEncoder();

let socket: WebSocket | null = null;
let target: Target | null = null; // the last attempt
let opened = false; // whether the current socket ever opened
let userClosed = false; // Disconnect was pressed: no auto-reconnect
let pending: Pending[] = []; // sends not yet echoed, oldest first
let retryTimer = 0;
let retryAttempts = 0;
const stats = { sent: 0, received: 0, rttSum: 0, rttCount: 0, rttLast: 0 };

function pageSocketUrl(): string {
  const url = new URL(".", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The URL to connect to, or why not: ws(s):// only, http(s):// converted. */
function checkUrl(raw: string): Invalid | { url: string; note: string } {
  const text = raw.trim();
  if (text === "") {
    return { error: "Enter a server URL, such as " + pageSocketUrl() };
  }
  let url: URL | null = null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      url = new URL(text);
    } catch {
      url = null;
    }
  }
  if (url === null) {
    // "http//host", "localhost:1234", "ws:/host": a scheme missing or mistyped.
    const rest = text.replace(/^(?:(https?|wss?):?)?\/*/i, "");
    const secure = /^(https|wss)/i.test(text);
    return {
      error: "Not a WebSocket URL: \u201c" + text +
        "\u201d. It must start with ws:// or wss://" +
        (rest
          ? " (did you mean " + (secure ? "wss://" : "ws://") + rest + "?)"
          : "."),
    };
  }
  let note = "";
  if (url.protocol === "http:" || url.protocol === "https:") {
    const from = url.protocol;
    url.protocol = from === "http:" ? "ws:" : "wss:";
    note = from + "// changed to " + url.protocol + "//";
  } else if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    return {
      error: url.protocol +
        "// is not a WebSocket scheme: use ws:// or wss://.",
    };
  }
  if (!url.hostname) return { error: "The URL has no host." };
  if (url.hash) {
    return {
      error: "A WebSocket URL cannot have a #fragment: remove \u201c" +
        url.hash + "\u201d.",
    };
  }
  return { url: url.href, note };
}

/** "chat, superchat" -> ["chat", "superchat"], or why not. */
function checkProtocols(raw: string): Invalid | { protocols: string[] } {
  const names = raw.split(",").map((name) => name.trim()).filter(Boolean);
  const bad = names.find((name) => !TOKEN.test(name));
  if (bad !== undefined) {
    return {
      error: "\u201c" + bad +
        "\u201d is not a subprotocol name (letters, digits and !#$%&'*+-.^_|~ only, no spaces).",
    };
  }
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    return { error: "Subprotocol \u201c" + twice + "\u201d is listed twice." };
  }
  return { protocols: names };
}

/** Hex digits, optionally separated by spaces, commas, colons or 0x. */
function parseHex(text: string): Invalid | { bytes: Uint8Array<ArrayBuffer> } {
  const digits = text.split(/[\s,:;]+/).filter(Boolean).map((t) =>
    t.replace(/^0x/i, "")
  ).join("");
  const bad = digits.match(/[^0-9a-f]/i);
  if (bad) return { error: "Not a hex digit: \u201c" + bad[0] + "\u201d" };
  if (digits.length % 2 === 1) {
    return { error: "Odd number of hex digits (" + digits.length + ")" };
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return { bytes };
}

function hex(bytes: Uint8Array, limit: number): string {
  const shown = Array.from(
    bytes.subarray(0, limit),
    (b) => b.toString(16).padStart(2, "0"),
  );
  return shown.join(" ");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function formatSize(n: number): string {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

function bytesLabel(n: number): string {
  return n === 1
    ? "1 byte"
    : n + " bytes" + (n >= 1024 ? " (" + formatSize(n) + ")" : "");
}

function formatMs(ms: number): string {
  if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
  return ms.toFixed(ms < 10 ? 2 : 1) + " ms";
}

function clock(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" +
    two(d.getSeconds()) + "." +
    String(d.getMilliseconds()).padStart(3, "0");
}

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** Text as text nodes, with invisible characters shown by their code point. */
function textBody(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  if (text === "") {
    fragment.append(span("more", "empty"));
    return fragment;
  }
  const shown = text.length > TEXT_SHOWN ? text.slice(0, TEXT_SHOWN) : text;
  for (const [i, part] of shown.split(INVISIBLE).entries()) {
    if (i % 2 === 0) {
      if (part) fragment.append(part);
    } else {
      // An odd part is what INVISIBLE matched: one code point.
      const code = part.codePointAt(0)!.toString(16).toUpperCase().padStart(
        4,
        "0",
      );
      fragment.append(span("esc", "<U+" + code + ">"));
    }
  }
  if (shown !== text) {
    fragment.append(
      span("more", "\u2026 +" + (text.length - TEXT_SHOWN) + " characters"),
    );
  }
  return fragment;
}

function binaryBody(bytes: Uint8Array, from?: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  if (from) fragment.append(span("from", from), " ");
  if (bytes.length === 0) fragment.append(span("more", "empty"));
  fragment.append(hex(bytes, HEX_SHOWN));
  if (bytes.length > HEX_SHOWN) {
    fragment.append(
      " ",
      span("more", "\u2026 +" + (bytes.length - HEX_SHOWN) + " bytes"),
    );
  }
  return fragment;
}

const DIR_LABELS: Readonly<Record<Direction, string>> = {
  sent: "\u2191 sent",
  received: "\u2193 received",
  info: "\u2022 info",
  error: "\u00d7 error",
};

/** Appends one row; body is a string or nodes, always inserted as text. */
function log(
  dir: Direction,
  type: RowType,
  body: string | Node,
  m: { size?: number; rtt?: number; mismatch?: boolean } = {},
): void {
  const item = document.createElement("li");
  item.dataset.dir = dir;
  item.dataset.type = type;
  const size = span("size", "");
  if (m.size !== undefined) {
    item.dataset.size = String(m.size);
    size.textContent = formatSize(m.size);
    size.title = bytesLabel(m.size);
  }
  const rtt = span("rtt", "");
  if (m.rtt !== undefined) {
    item.dataset.rtt = m.rtt.toFixed(3);
    rtt.textContent = formatMs(m.rtt);
    rtt.title = "round-trip time: sent to echoed";
  }
  const content = span("body", "");
  content.append(body);
  if (m.mismatch) {
    item.dataset.mismatch = "true";
    content.append(span("flag", "differs from what was sent"));
  }
  item.append(
    span("time", clock()),
    span("dir", DIR_LABELS[dir]),
    span("type", type),
    size,
    rtt,
    content,
  );
  const list = ui.log;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(item);
  while (list.childElementCount > MAX_ENTRIES) {
    list.firstElementChild?.remove();
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** The notice under the connection buttons: a sentence and optional list. */
function notice(
  level: "info" | "error" | "",
  text: string,
  items: readonly string[] = [],
): void {
  const box = ui.notice;
  box.replaceChildren();
  if (!text) {
    box.hidden = true;
    return;
  }
  box.dataset.kind = level;
  const p = document.createElement("p");
  p.textContent = text;
  box.append(p);
  if (items.length) {
    const list = document.createElement("ul");
    for (const entry of items) {
      const li = document.createElement("li");
      li.textContent = entry;
      list.append(li);
    }
    box.append(list);
  }
  box.hidden = false;
}

function failureCauses(url: string, protocols: readonly string[]): string[] {
  const u = new URL(url);
  const hostPort = u.host || u.hostname;
  const causes = [
    "No server listening on " + hostPort + ": is it running, and on this port?",
    u.protocol === "wss:"
      ? "TLS: the server may not speak TLS (try ws://), or this browser does not trust its certificate yet (open https://" +
        hostPort + "/ in a tab and accept it)."
      : "TLS: the server may expect TLS (try wss://).",
    "The server refused the handshake: an Origin it does not allow (wsecho --origin), all client slots taken (--max-clients), or it is shutting down.",
  ];
  if (protocols.length) {
    causes.push(
      "No subprotocol in common: you asked for " + protocols.join(", ") +
        " and the server must pick one (wsecho --protocol NAME), or leave the field empty.",
    );
  }
  causes.push("A proxy in between that does not pass WebSocket upgrades.");
  return causes;
}

function closeText(event: CloseEvent): string {
  const meaning = CLOSE_CODES[event.code];
  return "closed, code " + event.code + (meaning ? " " + meaning : "") +
    (event.reason ? ", reason \u201c" + event.reason + "\u201d" : "");
}

function connect(): void {
  const url = checkUrl(ui.url.value);
  const offer = checkProtocols(ui.protocols.value);
  ui.url.setAttribute("aria-invalid", String("error" in url));
  ui.protocols.setAttribute("aria-invalid", String("error" in offer));
  if ("error" in url) return refuse(url.error, ui.url);
  if ("error" in offer) return refuse(offer.error, ui.protocols);
  if (url.note) {
    ui.url.value = url.url;
    log("info", "", url.note);
  }
  open({ url: url.url, protocols: offer.protocols }, url.note);
}

/** Nothing is sent: a bad URL or subprotocol never reaches the network. */
function refuse(error: string, field: HTMLInputElement): void {
  notice("error", error);
  log("error", "", "not connecting: " + error);
  field.focus();
}

function open(next: Target, note: string): void {
  cancelRetry();
  drop();
  let ws: WebSocket;
  try {
    ws = new WebSocket(next.url, [...next.protocols]);
  } catch (error) {
    const reason = error instanceof Error && error.message
      ? error.message
      : String(error);
    notice("error", "Cannot connect: " + reason);
    log("error", "", "cannot connect: " + reason);
    showState();
    return;
  }
  socket = ws;
  target = next;
  opened = false;
  userClosed = false;
  pending = [];
  ws.binaryType = "arraybuffer";
  notice(
    "info",
    (note ? note + ". " : "") + "Connecting to " + next.url + "\u2026",
  );
  ws.onopen = () => {
    if (ws !== socket) return;
    opened = true;
    retryAttempts = 0;
    ui.negotiated.textContent = ws.protocol || "none";
    ui.extensions.textContent = ws.extensions || "none";
    notice("", "");
    log(
      "info",
      "",
      "connected to " + ws.url +
        (ws.protocol ? ", subprotocol " + ws.protocol : "") +
        (ws.extensions ? ", extensions " + ws.extensions : ""),
    );
    showState();
  };
  ws.onmessage = (event) => received(event.data);
  ws.onclose = (event) => {
    if (ws !== socket) return;
    pending = [];
    showStats();
    if (opened) {
      log("info", "", closeText(event));
      notice(
        event.code === 1000 ? "" : "error",
        event.code === 1000 ? "" : "Connection " + closeText(event) + ".",
      );
    } else if (!userClosed) {
      const text = "Could not connect to " + next.url +
        ". A browser does not tell a page why (not even the HTTP status); the usual causes:";
      const causes = failureCauses(next.url, next.protocols);
      notice(
        "error",
        text,
        causes.concat(
          "The browser\u2019s developer console (F12) shows the exact error.",
        ),
      );
      log(
        "error",
        "",
        "could not connect to " + next.url + " (code " + event.code + ")",
      );
    } else {
      log("info", "", "connection attempt cancelled");
    }
    showState();
    if (!userClosed && ui.autoReconnect.checked) scheduleRetry();
  };
  showState();
}

/** Forgets the current socket (closing it) without logging its close. */
function drop(): void {
  if (!socket) return;
  const old = socket;
  socket = null;
  if (old.readyState < 2) {
    old.close(1000, "reconnecting");
    log("info", "", "closed the previous connection to reconnect");
  }
}

function scheduleRetry(): void {
  const seconds = Math.min(30, 2 ** retryAttempts);
  retryAttempts++;
  const text = "Reconnecting in " + seconds + " s (attempt " + retryAttempts +
    ")\u2026";
  if (ui.notice.hidden) {
    notice("info", text);
  } else {
    // Under the reason it failed, which stays in view.
    const line = document.createElement("p");
    line.textContent = text;
    ui.notice.append(line);
  }
  retryTimer = setTimeout(() => {
    retryTimer = 0;
    if (target) open(target, "");
  }, seconds * 1000);
  showState();
}

function cancelRetry(): void {
  if (!retryTimer) return;
  clearTimeout(retryTimer);
  retryTimer = 0;
  notice("", "");
}

function disconnect(): void {
  if (retryTimer) {
    cancelRetry();
    retryAttempts = 0;
    log("info", "", "automatic reconnect cancelled");
  }
  if (socket && socket.readyState < 2) {
    userClosed = true;
    if (socket.readyState === 0) socket.close();
    else socket.close(1000, "bye");
  }
  showState();
}

function reconnect(): void {
  retryAttempts = 0;
  connect();
}

function kind(): Kind {
  if (ui.kindHex.checked) return "hex";
  if (ui.kindFile.checked) return "file";
  return "text";
}

/** What Send would send now, or why it cannot. */
function draft(): Draft | Invalid {
  const k = kind();
  if (k === "text") {
    const text = ui.message.value;
    return { data: text, size: encoder.encode(text).length };
  }
  if (k === "hex") {
    const parsed = parseHex(ui.hex.value);
    if ("error" in parsed) return parsed;
    return { data: parsed.bytes, size: parsed.bytes.length };
  }
  const file = ui.file.files?.[0];
  if (!file) return { error: "Choose a file to send." };
  return { data: file, size: file.size, from: file.name };
}

function showDraft(): void {
  const d = draft();
  const error = "error" in d ? d.error : "";
  ui.size.textContent = "error" in d ? "" : bytesLabel(d.size);
  ui.inputError.textContent = error && kind() !== "file" ? error : "";
  ui.hex.setAttribute(
    "aria-invalid",
    String(kind() === "hex" && Boolean(error)),
  );
  ui.send.disabled = !(socket && socket.readyState === 1) || Boolean(error);
}

async function send(): Promise<void> {
  const d = draft();
  if ("error" in d || !socket || socket.readyState !== 1) return;
  const ws = socket;
  const data = d.data instanceof File
    ? new Uint8Array(await d.data.arrayBuffer())
    : d.data;
  if (ws !== socket || ws.readyState !== 1) return;
  ws.send(data);
  pending.push({ at: performance.now(), data });
  stats.sent++;
  if (typeof data === "string") {
    log("sent", "text", textBody(data), { size: d.size });
  } else {
    log("sent", "binary", binaryBody(data, d.from), { size: d.size });
  }
  showStats();
}

function received(data: string | ArrayBuffer): void {
  const now = performance.now();
  const echo = pending.shift();
  const rtt = echo ? now - echo.at : undefined;
  if (rtt !== undefined) {
    stats.rttLast = rtt;
    stats.rttSum += rtt;
    stats.rttCount++;
  }
  stats.received++;
  if (typeof data === "string") {
    const same = echo !== undefined && echo.data === data;
    log("received", "text", textBody(data), {
      size: encoder.encode(data).length,
      rtt,
      mismatch: echo !== undefined && !same,
    });
  } else {
    const bytes = new Uint8Array(data);
    const same = echo !== undefined && echo.data instanceof Uint8Array &&
      sameBytes(echo.data, bytes);
    log("received", "binary", binaryBody(bytes, ""), {
      size: bytes.length,
      rtt,
      mismatch: echo !== undefined && !same,
    });
  }
  showStats();
}

function showStats(): void {
  const parts = [stats.sent + " sent", stats.received + " received"];
  if (pending.length) parts.push(pending.length + " awaiting echo");
  if (stats.rttCount) {
    parts.push(
      "RTT " + formatMs(stats.rttLast) + " (avg " +
        formatMs(stats.rttSum / stats.rttCount) + ")",
    );
  }
  ui.stats.textContent = stats.sent || stats.received
    ? parts.join(" \u00b7 ")
    : "";
}

function showState(): void {
  const state = socket ? socket.readyState : 3;
  const name = STATES[state];
  ui.state.textContent = name;
  ui.state.dataset.state = name.toLowerCase();
  ui.connect.disabled = state === 0 || state === 1;
  ui.disconnect.disabled = !(state === 0 || state === 1 || retryTimer);
  ui.reconnect.disabled = state === 0;
  ui.details.hidden = state !== 1;
  showDraft();
}

/** The log as plain text, one row a line: what Copy puts on the clipboard. */
function logText(): string {
  // Rows hold spans only (message text goes in as text), so every li is a row.
  return Array.from(ui.log.querySelectorAll("li"), (li) => {
    const cell = (name: string) =>
      li.querySelector("." + name)?.textContent ?? "";
    return [
      cell("time"),
      (li.dataset.dir ?? "").padEnd(8),
      (li.dataset.type ?? "").padEnd(6),
      cell("size").padStart(9),
      cell("rtt").padStart(9),
      cell("body"),
    ].join("  ");
  }).join("\n");
}

async function copyLog(): Promise<void> {
  const text = logText();
  const done = (message: string) => {
    ui.copyStatus.textContent = message;
    setTimeout(() => {
      ui.copyStatus.textContent = "";
    }, 2500);
  };
  if (!text) return done("Nothing to copy");
  const lines = ui.log.childElementCount +
    (ui.log.childElementCount === 1 ? " row" : " rows");
  try {
    await navigator.clipboard.writeText(text);
    return done("Copied " + lines);
  } catch {
    // No async clipboard (plain http:// other than localhost) or no
    // permission: copy the selection of a hidden textarea instead.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.readOnly = true;
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  ui.copy.focus();
  done(
    copied ? "Copied " + lines : "Copy failed: select the log and copy by hand",
  );
}

function clearLog(): void {
  ui.log.replaceChildren();
  Object.assign(stats, {
    sent: 0,
    received: 0,
    rttSum: 0,
    rttCount: 0,
    rttLast: 0,
  });
  showStats();
}

function showKind(): void {
  const k = kind();
  ui.panelText.hidden = k !== "text";
  ui.panelHex.hidden = k !== "hex";
  ui.panelFile.hidden = k !== "file";
  showDraft();
}

ui.url.value = pageSocketUrl();
const mac = /Mac|iPhone|iPad/.test(navigator.platform);
ui.sendKeys.textContent = mac ? "\u2318\u21b5" : "Ctrl+\u21b5";
ui.send.title = "Send (" + (mac ? "Cmd" : "Ctrl") + "+Enter)";
ui.connect.onclick = connect;
ui.disconnect.onclick = disconnect;
ui.reconnect.onclick = reconnect;
ui.send.onclick = send;
ui.clear.onclick = clearLog;
ui.copy.onclick = copyLog;
for (const radio of [ui.kindText, ui.kindHex, ui.kindFile]) {
  radio.onchange = showKind;
}
for (const field of [ui.message, ui.hex]) field.oninput = showDraft;
ui.file.onchange = () => {
  const file = ui.file.files?.[0];
  ui.fileInfo.textContent = file
    ? file.name + " \u00b7 " + bytesLabel(file.size)
    : "No file chosen";
  showDraft();
};
for (const field of [ui.url, ui.protocols]) {
  field.onkeydown = (event) => {
    // Ctrl/Cmd+Enter is Send's shortcut, handled on the document.
    if (
      event.key === "Enter" && !event.isComposing && !event.ctrlKey &&
      !event.metaKey
    ) {
      event.preventDefault();
      if (socket && socket.readyState === 1) reconnect();
      else if (!ui.connect.disabled) connect();
    }
  };
  field.oninput = () => field.setAttribute("aria-invalid", "false");
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (!ui.send.disabled) send();
  }
});
/** What the page reads of /healthz. */
interface Health {
  version?: string;
  runtime?: string;
  runtimeVersion?: string;
}
fetch("healthz", { cache: "no-store" })
  .then((response) => response.ok ? response.json() : null)
  .then((health: Health | null) => {
    if (health && health.version) {
      ui.version.textContent = "wsecho " + health.version +
        (health.runtime
          ? " \u00b7 " + health.runtime + " " + (health.runtimeVersion || "")
          : "");
    }
  })
  .catch(() => {});
showKind();
showState();
