/**
 * The browser echo client served at `GET /`: a small tool to keep open while
 * testing a WebSocket server. It is a string, not a file, so standalone
 * binaries embed it and nothing is read from disk at run time; it loads
 * nothing from the network (script, style and logo are inline), so it works
 * offline. The server version comes from `/healthz` at load time, which keeps
 * this string constant (the binaries test compares it byte for byte).
 *
 * Everything the page shows from a message or a URL goes through
 * `textContent`/text nodes, never `innerHTML`; `PAGE_CSP` forbids any script
 * or style but these two, by hash.
 *
 * Element ids and the `data-dir`/`data-type`/`data-size`/`data-rtt`
 * attributes of log entries (and the `.body` cell) are a stable interface:
 * the browser tests drive the page through them.
 */
import { createHash } from "node:crypto";

// String.raw keeps the backslashes of the regular expressions below; the
// script therefore uses no backticks and no "${" (they would end or splice
// this template).
const STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f4f5f8; --panel: #ffffff; --text: #1b2230; --muted: #5d6878;
  --border: #dde1e8; --field: #fbfbfd; --accent: #2457d6; --accent-text: #fff;
  --accent-soft: #e7eefc; --sent: #2457d6; --received: #13803f;
  --error: #b42318; --error-soft: #fdecea; --info: #5d6878;
  --row: #f7f8fa; --focus: #2457d6;
  --mono: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --panel: #161a21; --text: #e4e8ee; --muted: #96a0ae;
    --border: #2a313c; --field: #10141a; --accent: #5b8cff; --accent-text: #0b1020;
    --accent-soft: #1c2740; --sent: #7aa5ff; --received: #4fd37e;
    --error: #ff7b72; --error-soft: #3a1d1d; --info: #96a0ae;
    --row: #1b2028; --focus: #8fb0ff;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; }
body {
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: var(--text);
  min-height: 100vh; display: flex; flex-direction: column;
}
a { color: var(--accent); }
.top {
  display: flex; align-items: center; gap: 1rem; flex-wrap: wrap;
  padding: .7rem 1.25rem; border-bottom: 1px solid var(--border);
  background: var(--panel);
}
.brand { display: flex; align-items: center; gap: .6rem; margin-right: auto; }
.brand svg { width: 1.7rem; height: 1.7rem; flex: none; }
h1 { font-size: 1.05rem; margin: 0; font-weight: 650; letter-spacing: -.01em; }
h1 span { color: var(--muted); font-weight: 450; margin-left: .35rem; }
.meta { display: flex; align-items: center; gap: .9rem; font-size: .85rem; color: var(--muted); }
.meta a { text-decoration: none; font-family: var(--mono); font-size: .8rem; }
.meta a:hover { text-decoration: underline; }
#version { font-family: var(--mono); font-size: .8rem; white-space: nowrap; }
main {
  flex: 1; min-height: 0; width: 100%; max-width: 1400px; margin: 0 auto;
  padding: 1rem 1.25rem 1.25rem; display: grid; gap: 1rem;
  grid-template-columns: minmax(300px, 400px) minmax(0, 1fr);
  grid-template-rows: auto 1fr;
}
.card {
  background: var(--panel); border: 1px solid var(--border); border-radius: 10px;
  padding: 1rem; display: flex; flex-direction: column; gap: .6rem; min-width: 0;
  box-shadow: 0 1px 2px #0000000d;
}
.log-card { grid-column: 2; grid-row: 1 / span 2; min-height: 24rem; }
.composer { align-self: start; }
@media (min-width: 861px) {
  /* The composer fills the column: a taller textarea on taller windows. */
  .composer { align-self: stretch; }
  .composer > .field { flex: 1; }
  .composer textarea { flex: 1; }
}
.card-head { display: flex; align-items: center; gap: .6rem; min-height: 2rem; flex-wrap: wrap; }
h2 { font-size: .8rem; margin: 0; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 650; }
.card-head .actions { margin-left: auto; }
label, legend { font-size: .85rem; font-weight: 550; }
.hint { color: var(--muted); font-weight: 400; }
.field { display: flex; flex-direction: column; gap: .25rem; }
input[type=text], textarea {
  font: inherit; color: inherit; background: var(--field); width: 100%;
  border: 1px solid var(--border); border-radius: 7px; padding: .45rem .6rem;
}
input[type=text] { font-family: var(--mono); font-size: .85rem; }
textarea { font-family: var(--mono); font-size: .85rem; resize: vertical; min-height: 7rem; }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--error); }
button {
  font: inherit; font-size: .875rem; font-weight: 550; color: var(--text);
  background: var(--panel); border: 1px solid var(--border); border-radius: 7px;
  padding: .4rem .85rem; cursor: pointer; display: inline-flex; align-items: center; gap: .45rem;
}
button:hover:not(:disabled) { background: var(--row); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.primary:hover:not(:disabled) { background: var(--accent); filter: brightness(1.08); }
button:disabled { opacity: .45; cursor: default; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
input[type=text]:focus-visible, textarea:focus-visible { outline-offset: 0; border-color: var(--focus); }
kbd {
  font: 500 .72rem var(--mono); padding: .05rem .3rem; border-radius: 4px;
  border: 1px solid currentColor; opacity: .75;
}
.actions { display: flex; gap: .45rem; flex-wrap: wrap; align-items: center; }
.check { display: flex; align-items: center; gap: .45rem; font-weight: 400; color: var(--muted); }
.check input { accent-color: var(--accent); margin: 0; }
.pill {
  margin-left: auto; font: 600 .72rem var(--mono); letter-spacing: .04em;
  padding: .2rem .55rem; border-radius: 99px; background: var(--row); color: var(--muted);
  display: inline-flex; align-items: center; gap: .4rem;
}
.pill::before { content: ""; width: .5rem; height: .5rem; border-radius: 50%; background: currentColor; }
.pill[data-state=open] { color: var(--received); }
.pill[data-state=connecting], .pill[data-state=closing] { color: #c98a00; }
.notice { font-size: .85rem; border-radius: 7px; padding: .55rem .7rem; background: var(--accent-soft); }
.notice[data-kind=error] { background: var(--error-soft); color: var(--error); }
.notice p { margin: 0; }
.notice p + p, .notice ul + p { margin-top: .4rem; }
.notice ul { margin: .35rem 0 0; padding-left: 1.1rem; }
.notice li + li { margin-top: .2rem; }
.details { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: .15rem .8rem; font-size: .85rem; }
.details dt { color: var(--muted); }
.details dd { margin: 0; font-family: var(--mono); font-size: .8rem; overflow-wrap: anywhere; }
.segmented { display: inline-flex; margin: 0 0 0 auto; padding: 2px; border: 1px solid var(--border); border-radius: 8px; background: var(--row); }
.segmented input { position: absolute; opacity: 0; pointer-events: none; }
.segmented label { padding: .2rem .75rem; border-radius: 6px; cursor: pointer; font-weight: 550; color: var(--muted); }
.segmented input:checked + label { background: var(--panel); color: var(--text); box-shadow: 0 1px 2px #0000001f; }
.segmented input:focus-visible + label { outline: 2px solid var(--focus); outline-offset: 1px; }
.file-pick {
  display: flex; flex-direction: column; align-items: center; justify-content: center; gap: .3rem;
  min-height: 7rem; border: 1.5px dashed var(--border); border-radius: 7px; padding: 1rem;
  background: var(--field); color: var(--muted); font-weight: 400; text-align: center;
}
.file-pick input { font: inherit; font-size: .8rem; max-width: 100%; }
.composer-foot { display: flex; align-items: center; gap: .6rem; }
.composer-foot button { margin-left: auto; }
#size { font: .8rem var(--mono); color: var(--muted); }
.error-text { color: var(--error); font-size: .82rem; }
#stats { font: .78rem var(--mono); color: var(--muted); }
#copy-status { font-size: .8rem; }
.log-head, #log li {
  display: grid; gap: .75rem; align-items: baseline;
  grid-template-columns: 6.6rem 5.4rem 3.2rem 4.2rem 4.6rem minmax(0, 1fr);
}
.log-head {
  font-size: .72rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  padding: 0 .6rem .35rem; border-bottom: 1px solid var(--border);
}
.log-head .num, #log .size, #log .rtt { text-align: right; }
#log {
  flex: 1; min-height: 12rem; overflow: auto; margin: -.35rem 0 0; padding: 0; list-style: none;
  font: .8rem/1.5 var(--mono);
  scrollbar-width: thin; scrollbar-color: var(--border) transparent;
}
#log:empty::before {
  content: "No messages yet. Connect, then send something: the echo shows up here with its size and round-trip time.";
  display: block; padding: 2rem 1rem; text-align: center; color: var(--muted); font-family: system-ui, sans-serif;
}
#log li { padding: .3rem .6rem; border-radius: 6px; }
#log li:nth-child(even) { background: var(--row); }
#log .time, #log .size, #log .rtt, #log .type { color: var(--muted); white-space: nowrap; }
#log .dir { font-weight: 650; white-space: nowrap; }
#log li[data-dir=sent] .dir { color: var(--sent); }
#log li[data-dir=received] .dir { color: var(--received); }
#log li[data-dir=info] .dir { color: var(--info); }
#log li[data-dir=error] .dir, #log li[data-dir=error] .body { color: var(--error); }
#log li[data-dir=info] .body { color: var(--muted); }
#log .body { white-space: pre-wrap; overflow-wrap: anywhere; }
#log .esc, #log .more, #log .from {
  color: var(--muted); font-size: .72rem; border: 1px solid var(--border); border-radius: 4px; padding: 0 .2rem; margin: 0 .1rem;
}
#log .flag { color: var(--error); font-weight: 650; margin-left: .5rem; }
.offscreen { position: fixed; top: -100vh; left: 0; opacity: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (min-width: 861px) {
  body { height: 100vh; }
}
@media (max-width: 860px) {
  main { grid-template-columns: minmax(0, 1fr); grid-template-rows: none; padding: .75rem; gap: .75rem; }
  .card { padding: .8rem; }
  .log-card { grid-column: auto; grid-row: auto; height: 75vh; }
  .log-head { display: none; }
  /* Too narrow for columns: the details on one line, the message below. */
  #log li { display: flex; flex-wrap: wrap; gap: .1rem .7rem; }
  #log .body { flex-basis: 100%; }
  #log .size:empty, #log .rtt:empty, #log .type:empty { display: none; }
  #log { margin-top: 0; }
}
`;

const SCRIPT = String.raw`
"use strict";
const $ = (id) => document.getElementById(id);
const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
// RFC 7230 token: what a browser accepts as a subprotocol name.
const TOKEN = /^[!#$%&'*+\-.^_\x60|~0-9A-Za-z]+$/;
// Shown as <U+XXXX>: controls other than line break and tab, and format and
// bidi characters (U+202E...), which would hide or reorder the log's text.
const INVISIBLE = /([^\P{Cc}\n\t]|\p{Cf}|[\u2028\u2029])/u;
const HEX_SHOWN = 128;      // bytes of a binary message shown as hex
const TEXT_SHOWN = 4000;    // characters of a text message shown
const MAX_ENTRIES = 2000;   // log rows kept, so the page can stay open
const CLOSE_CODES = {
  1000: "normal closure", 1001: "going away", 1002: "protocol error",
  1003: "unsupported data", 1005: "no code given", 1006: "dropped without a close frame",
  1007: "invalid data", 1008: "policy violation", 1009: "message too big",
  1010: "extension required", 1011: "server error", 1012: "service restart",
  1013: "try again later", 1015: "TLS handshake failed",
};
const encoder = new TextEncoder();

let socket = null;
let target = null;          // { url, protocols } of the last attempt
let opened = false;         // whether the current socket ever opened
let userClosed = false;     // Disconnect was pressed: no auto-reconnect
let pending = [];           // sends not yet echoed, oldest first
let retryTimer = 0;
let retryAttempts = 0;
const stats = { sent: 0, received: 0, rttSum: 0, rttCount: 0, rttLast: 0 };

function pageSocketUrl() {
  const url = new URL(".", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The URL to connect to, or why not: ws(s):// only, http(s):// converted. */
function checkUrl(raw) {
  const text = raw.trim();
  if (text === "") return { error: "Enter a server URL, such as " + pageSocketUrl() };
  let url = null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try { url = new URL(text); } catch { url = null; }
  }
  if (url === null) {
    // "http//host", "localhost:1234", "ws:/host": a scheme missing or mistyped.
    const rest = text.replace(/^(?:(https?|wss?):?)?\/*/i, "");
    const secure = /^(https|wss)/i.test(text);
    return {
      error: "Not a WebSocket URL: \u201c" + text + "\u201d. It must start with ws:// or wss://" +
        (rest ? " (did you mean " + (secure ? "wss://" : "ws://") + rest + "?)" : "."),
    };
  }
  let note = "";
  if (url.protocol === "http:" || url.protocol === "https:") {
    const from = url.protocol;
    url.protocol = from === "http:" ? "ws:" : "wss:";
    note = from + "// changed to " + url.protocol + "//";
  } else if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    return { error: url.protocol + "// is not a WebSocket scheme: use ws:// or wss://." };
  }
  if (!url.hostname) return { error: "The URL has no host." };
  if (url.hash) return { error: "A WebSocket URL cannot have a #fragment: remove \u201c" + url.hash + "\u201d." };
  return { url: url.href, note };
}

/** "chat, superchat" -> ["chat", "superchat"], or why not. */
function checkProtocols(raw) {
  const names = raw.split(",").map((name) => name.trim()).filter(Boolean);
  const bad = names.find((name) => !TOKEN.test(name));
  if (bad !== undefined) {
    return { error: "\u201c" + bad + "\u201d is not a subprotocol name (letters, digits and !#$%&'*+-.^_|~ only, no spaces)." };
  }
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) return { error: "Subprotocol \u201c" + twice + "\u201d is listed twice." };
  return { protocols: names };
}

/** Hex digits, optionally separated by spaces, commas, colons or 0x. */
function parseHex(text) {
  const digits = text.split(/[\s,:;]+/).filter(Boolean).map((t) => t.replace(/^0x/i, "")).join("");
  const bad = digits.match(/[^0-9a-f]/i);
  if (bad) return { error: "Not a hex digit: \u201c" + bad[0] + "\u201d" };
  if (digits.length % 2 === 1) return { error: "Odd number of hex digits (" + digits.length + ")" };
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return { bytes };
}

function hex(bytes, limit) {
  const shown = Array.from(bytes.subarray(0, limit), (b) => b.toString(16).padStart(2, "0"));
  return shown.join(" ");
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function formatSize(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

function bytesLabel(n) {
  return n === 1 ? "1 byte" : n + " bytes" + (n >= 1024 ? " (" + formatSize(n) + ")" : "");
}

function formatMs(ms) {
  if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
  return ms.toFixed(ms < 10 ? 2 : 1) + " ms";
}

function clock() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, "0");
  return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." +
    String(d.getMilliseconds()).padStart(3, "0");
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** Text as text nodes, with invisible characters shown by their code point. */
function textBody(text) {
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
      const code = part.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
      fragment.append(span("esc", "<U+" + code + ">"));
    }
  }
  if (shown !== text) fragment.append(span("more", "\u2026 +" + (text.length - TEXT_SHOWN) + " characters"));
  return fragment;
}

function binaryBody(bytes, from) {
  const fragment = document.createDocumentFragment();
  if (from) fragment.append(span("from", from), " ");
  if (bytes.length === 0) fragment.append(span("more", "empty"));
  fragment.append(hex(bytes, HEX_SHOWN));
  if (bytes.length > HEX_SHOWN) fragment.append(" ", span("more", "\u2026 +" + (bytes.length - HEX_SHOWN) + " bytes"));
  return fragment;
}

const DIR_LABELS = { sent: "\u2191 sent", received: "\u2193 received", info: "\u2022 info", error: "\u00d7 error" };

/** Appends one row; body is a string or nodes, always inserted as text. */
function log(dir, type, body, meta) {
  const m = meta || {};
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
  item.append(span("time", clock()), span("dir", DIR_LABELS[dir]), span("type", type), size, rtt, content);
  const list = $("log");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(item);
  while (list.childElementCount > MAX_ENTRIES) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** The notice under the connection buttons: a sentence and optional list. */
function notice(kind, text, items) {
  const box = $("notice");
  box.replaceChildren();
  if (!text) {
    box.hidden = true;
    return;
  }
  box.dataset.kind = kind;
  const p = document.createElement("p");
  p.textContent = text;
  box.append(p);
  if (items && items.length) {
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

function failureCauses(url, protocols) {
  const u = new URL(url);
  const hostPort = u.host || u.hostname;
  const causes = [
    "No server listening on " + hostPort + ": is it running, and on this port?",
    u.protocol === "wss:"
      ? "TLS: the server may not speak TLS (try ws://), or this browser does not trust its certificate yet (open https://" + hostPort + "/ in a tab and accept it)."
      : "TLS: the server may expect TLS (try wss://).",
    "The server refused the handshake: an Origin it does not allow (wsecho --origin), all client slots taken (--max-clients), or it is shutting down.",
  ];
  if (protocols.length) {
    causes.push("No subprotocol in common: you asked for " + protocols.join(", ") +
      " and the server must pick one (wsecho --protocol NAME), or leave the field empty.");
  }
  causes.push("A proxy in between that does not pass WebSocket upgrades.");
  return causes;
}

function closeText(event) {
  const meaning = CLOSE_CODES[event.code];
  return "closed, code " + event.code + (meaning ? " " + meaning : "") +
    (event.reason ? ", reason \u201c" + event.reason + "\u201d" : "");
}

function connect() {
  const url = checkUrl($("url").value);
  const offer = checkProtocols($("protocols").value);
  $("url").setAttribute("aria-invalid", String(Boolean(url.error)));
  $("protocols").setAttribute("aria-invalid", String(Boolean(offer.error)));
  const error = url.error || offer.error;
  if (error) {
    // Nothing is sent: a bad URL never reaches the network.
    notice("error", error);
    log("error", "", "not connecting: " + error);
    ($("url").getAttribute("aria-invalid") === "true" ? $("url") : $("protocols")).focus();
    return;
  }
  if (url.note) {
    $("url").value = url.url;
    log("info", "", url.note);
  }
  open({ url: url.url, protocols: offer.protocols }, url.note);
}

function open(next, note) {
  cancelRetry();
  drop();
  let ws;
  try {
    ws = new WebSocket(next.url, next.protocols);
  } catch (error) {
    notice("error", "Cannot connect: " + (error && error.message ? error.message : String(error)));
    log("error", "", "cannot connect: " + (error && error.message ? error.message : String(error)));
    showState();
    return;
  }
  socket = ws;
  target = next;
  opened = false;
  userClosed = false;
  pending = [];
  ws.binaryType = "arraybuffer";
  notice("info", (note ? note + ". " : "") + "Connecting to " + next.url + "\u2026");
  ws.onopen = () => {
    if (ws !== socket) return;
    opened = true;
    retryAttempts = 0;
    $("negotiated").textContent = ws.protocol || "none";
    $("extensions").textContent = ws.extensions || "none";
    notice("", "");
    log("info", "", "connected to " + ws.url +
      (ws.protocol ? ", subprotocol " + ws.protocol : "") +
      (ws.extensions ? ", extensions " + ws.extensions : ""));
    showState();
  };
  ws.onmessage = (event) => received(event.data);
  ws.onclose = (event) => {
    if (ws !== socket) return;
    pending = [];
    showStats();
    if (opened) {
      log("info", "", closeText(event));
      notice(event.code === 1000 ? "" : "error", event.code === 1000 ? "" : "Connection " + closeText(event) + ".");
    } else if (!userClosed) {
      const text = "Could not connect to " + next.url + ". A browser does not tell a page why (not even the HTTP status); the usual causes:";
      const causes = failureCauses(next.url, next.protocols);
      notice("error", text, causes.concat("The browser\u2019s developer console (F12) shows the exact error."));
      log("error", "", "could not connect to " + next.url + " (code " + event.code + ")");
    } else {
      log("info", "", "connection attempt cancelled");
    }
    showState();
    if (!userClosed && $("auto-reconnect").checked) scheduleRetry();
  };
  showState();
}

/** Forgets the current socket (closing it) without logging its close. */
function drop() {
  if (!socket) return;
  const old = socket;
  socket = null;
  if (old.readyState < 2) {
    old.close(1000, "reconnecting");
    log("info", "", "closed the previous connection to reconnect");
  }
}

function scheduleRetry() {
  const seconds = Math.min(30, 2 ** retryAttempts);
  retryAttempts++;
  const text = "Reconnecting in " + seconds + " s (attempt " + retryAttempts + ")\u2026";
  if ($("notice").hidden) {
    notice("info", text);
  } else {
    // Under the reason it failed, which stays in view.
    const line = document.createElement("p");
    line.textContent = text;
    $("notice").append(line);
  }
  retryTimer = setTimeout(() => {
    retryTimer = 0;
    if (target) open(target, "");
  }, seconds * 1000);
  showState();
}

function cancelRetry() {
  if (!retryTimer) return;
  clearTimeout(retryTimer);
  retryTimer = 0;
  notice("", "");
}

function disconnect() {
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

function reconnect() {
  retryAttempts = 0;
  connect();
}

function kind() {
  return document.querySelector("input[name=kind]:checked").value;
}

/** What Send would send now: { type, data, size, from } or { error }. */
function draft() {
  const k = kind();
  if (k === "text") {
    const text = $("message").value;
    return { type: "text", data: text, size: encoder.encode(text).length };
  }
  if (k === "hex") {
    const parsed = parseHex($("hex").value);
    if (parsed.error) return parsed;
    return { type: "binary", data: parsed.bytes, size: parsed.bytes.length };
  }
  const file = $("file").files[0];
  if (!file) return { error: "Choose a file to send." };
  return { type: "binary", file, size: file.size, from: file.name };
}

function showDraft() {
  const d = draft();
  $("size").textContent = d.error ? "" : bytesLabel(d.size);
  $("input-error").textContent = d.error && kind() !== "file" ? d.error : "";
  $("hex").setAttribute("aria-invalid", String(kind() === "hex" && Boolean(d.error)));
  $("send").disabled = !(socket && socket.readyState === 1) || Boolean(d.error);
}

async function send() {
  const d = draft();
  if (d.error || !socket || socket.readyState !== 1) return;
  const ws = socket;
  const data = d.file ? new Uint8Array(await d.file.arrayBuffer()) : d.data;
  if (ws !== socket || ws.readyState !== 1) return;
  ws.send(data);
  pending.push({ at: performance.now(), type: d.type, data });
  stats.sent++;
  log("sent", d.type, d.type === "text" ? textBody(data) : binaryBody(data, d.from), { size: d.size });
  showStats();
}

function received(data) {
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
    const same = echo !== undefined && echo.type === "text" && echo.data === data;
    log("received", "text", textBody(data), { size: encoder.encode(data).length, rtt, mismatch: echo !== undefined && !same });
  } else {
    const bytes = new Uint8Array(data);
    const same = echo !== undefined && echo.type === "binary" && sameBytes(echo.data, bytes);
    log("received", "binary", binaryBody(bytes, ""), { size: bytes.length, rtt, mismatch: echo !== undefined && !same });
  }
  showStats();
}

function showStats() {
  const parts = [stats.sent + " sent", stats.received + " received"];
  if (pending.length) parts.push(pending.length + " awaiting echo");
  if (stats.rttCount) {
    parts.push("RTT " + formatMs(stats.rttLast) + " (avg " + formatMs(stats.rttSum / stats.rttCount) + ")");
  }
  $("stats").textContent = stats.sent || stats.received ? parts.join(" \u00b7 ") : "";
}

function showState() {
  const state = socket ? socket.readyState : 3;
  const name = STATES[state];
  $("state").textContent = name;
  $("state").dataset.state = name.toLowerCase();
  $("connect").disabled = state === 0 || state === 1;
  $("disconnect").disabled = !(state === 0 || state === 1 || retryTimer);
  $("reconnect").disabled = state === 0;
  $("details").hidden = state !== 1;
  showDraft();
}

/** The log as plain text, one row a line: what Copy puts on the clipboard. */
function logText() {
  return Array.from($("log").children, (li) => {
    const cell = (name) => li.querySelector("." + name).textContent;
    return [
      cell("time"), li.dataset.dir.padEnd(8), li.dataset.type.padEnd(6),
      cell("size").padStart(9), cell("rtt").padStart(9), cell("body"),
    ].join("  ");
  }).join("\n");
}

async function copyLog() {
  const text = logText();
  const done = (message) => {
    $("copy-status").textContent = message;
    setTimeout(() => { $("copy-status").textContent = ""; }, 2500);
  };
  if (!text) return done("Nothing to copy");
  const lines = $("log").childElementCount + ($("log").childElementCount === 1 ? " row" : " rows");
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
  try { copied = document.execCommand("copy"); } catch { copied = false; }
  area.remove();
  $("copy").focus();
  done(copied ? "Copied " + lines : "Copy failed: select the log and copy by hand");
}

function clearLog() {
  $("log").replaceChildren();
  Object.assign(stats, { sent: 0, received: 0, rttSum: 0, rttCount: 0, rttLast: 0 });
  showStats();
}

function showKind() {
  const k = kind();
  $("panel-text").hidden = k !== "text";
  $("panel-hex").hidden = k !== "hex";
  $("panel-file").hidden = k !== "file";
  showDraft();
}

$("url").value = pageSocketUrl();
const mac = /Mac|iPhone|iPad/.test(navigator.platform);
$("send-keys").textContent = mac ? "\u2318\u21b5" : "Ctrl+\u21b5";
$("send").title = "Send (" + (mac ? "Cmd" : "Ctrl") + "+Enter)";
$("connect").onclick = connect;
$("disconnect").onclick = disconnect;
$("reconnect").onclick = reconnect;
$("send").onclick = send;
$("clear").onclick = clearLog;
$("copy").onclick = copyLog;
for (const radio of document.querySelectorAll("input[name=kind]")) radio.onchange = showKind;
for (const id of ["message", "hex"]) $(id).oninput = showDraft;
$("file").onchange = () => {
  const file = $("file").files[0];
  $("file-info").textContent = file ? file.name + " \u00b7 " + bytesLabel(file.size) : "No file chosen";
  showDraft();
};
for (const id of ["url", "protocols"]) {
  $(id).onkeydown = (event) => {
    // Ctrl/Cmd+Enter is Send's shortcut, handled on the document.
    if (event.key === "Enter" && !event.isComposing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (socket && socket.readyState === 1) reconnect();
      else if (!$("connect").disabled) connect();
    }
  };
  $(id).oninput = () => $(id).setAttribute("aria-invalid", "false");
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    if (!$("send").disabled) send();
  }
});
fetch("healthz", { cache: "no-store" })
  .then((response) => response.ok ? response.json() : null)
  .then((health) => {
    if (health && health.version) {
      $("version").textContent = "wsecho " + health.version +
        (health.runtime ? " \u00b7 " + health.runtime + " " + (health.runtimeVersion || "") : "");
    }
  })
  .catch(() => {});
showKind();
showState();
`;

const LOGO =
  `<svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="8" fill="#2457d6"/>` +
  `<path d="M8 12c3-4 13-4 16 0M11 16c2-2.5 8-2.5 10 0" stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round"/>` +
  `<path d="M8 20c3 4 13 4 16 0" stroke="#9ec0ff" stroke-width="2.4" fill="none" stroke-linecap="round"/></svg>`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsecho: WebSocket echo client</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <div class="brand">${LOGO}<h1>wsecho<span>WebSocket echo client</span></h1></div>
  <nav class="meta" aria-label="Server">
    <span id="version"></span>
    <a href="healthz">/healthz</a>
    <a href="metrics">/metrics</a>
  </nav>
</header>
<main>
  <section class="card" aria-labelledby="connection-title">
    <div class="card-head">
      <h2 id="connection-title">Connection</h2>
      <span id="state" class="pill" role="status">CLOSED</span>
    </div>
    <div class="field">
      <label for="url">Server URL</label>
      <input id="url" type="text" inputmode="url" autocomplete="off" spellcheck="false" aria-describedby="notice">
    </div>
    <div class="field">
      <label for="protocols">Subprotocols <span class="hint">optional, comma-separated</span></label>
      <input id="protocols" type="text" autocomplete="off" spellcheck="false" placeholder="e.g. chat, superchat">
    </div>
    <div class="actions">
      <button id="connect" class="primary" type="button">Connect</button>
      <button id="disconnect" type="button">Disconnect</button>
      <button id="reconnect" type="button">Reconnect</button>
    </div>
    <label class="check"><input id="auto-reconnect" type="checkbox"> Reconnect automatically if the connection drops</label>
    <div id="notice" class="notice" role="alert" hidden></div>
    <dl id="details" class="details" hidden>
      <dt>Subprotocol</dt><dd id="negotiated">none</dd>
      <dt>Extensions</dt><dd id="extensions">none</dd>
    </dl>
  </section>
  <section class="card composer" aria-labelledby="message-title">
    <div class="card-head">
      <h2 id="message-title">Message</h2>
      <fieldset class="segmented">
        <legend class="sr-only">Message type</legend>
        <input type="radio" name="kind" id="kind-text" value="text" checked><label for="kind-text">Text</label>
        <input type="radio" name="kind" id="kind-hex" value="hex"><label for="kind-hex">Hex</label>
        <input type="radio" name="kind" id="kind-file" value="file"><label for="kind-file">File</label>
      </fieldset>
    </div>
    <div id="panel-text" class="field">
      <label for="message" class="sr-only">Text message</label>
      <textarea id="message" rows="6" spellcheck="false">Hello, world!</textarea>
    </div>
    <div id="panel-hex" class="field" hidden>
      <label for="hex" class="sr-only">Binary message, in hex</label>
      <textarea id="hex" rows="6" spellcheck="false" placeholder="48 65 6c 6c 6f, 48656c6c6f or 0x48,0x65"></textarea>
    </div>
    <div id="panel-file" hidden>
      <label class="file-pick" for="file">Send a file as one binary message
        <input id="file" type="file">
        <span id="file-info">No file chosen</span>
      </label>
    </div>
    <div class="composer-foot">
      <span id="size" aria-live="polite"></span>
      <span id="input-error" class="error-text" aria-live="polite"></span>
      <button id="send" class="primary" type="button">Send <kbd id="send-keys">Ctrl+\u21b5</kbd></button>
    </div>
  </section>
  <section class="card log-card" aria-labelledby="log-title">
    <div class="card-head">
      <h2 id="log-title">Log</h2>
      <span id="stats" aria-live="off"></span>
      <div class="actions">
        <span id="copy-status" class="hint" role="status"></span>
        <button id="copy" type="button">Copy</button>
        <button id="clear" type="button">Clear</button>
      </div>
    </div>
    <div class="log-head" aria-hidden="true"><span>Time</span><span>Direction</span><span>Type</span><span class="num">Size</span><span class="num">RTT</span><span>Message</span></div>
    <ol id="log" aria-labelledby="log-title" tabindex="0"></ol>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string) =>
  `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The page's Content-Security-Policy: its own script and style (by hash, so
 * nothing injected could run), `fetch` of `/healthz` on its own origin, and
 * WebSocket connections to any host (it is a client for any echo server).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self' ws: wss:",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
