/**
 * The browser echo client served at `GET /`, in the spirit of Qt's
 * `echoclient.html`. It is a string, not a file, so standalone binaries
 * embed it and nothing is read from disk at run time. It loads nothing from
 * the network: script and style are inline.
 *
 * Element ids and the `data-dir`/`data-type` attributes of log entries are a
 * stable interface: the browser test drives the page through them.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsecho: WebSocket echo client</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { max-width: 48rem; margin: 1.5rem auto; padding: 0 1rem; }
  h1 { font-size: 1.3rem; }
  fieldset { border: 1px solid #8884; border-radius: .4rem; margin: 0 0 1rem; }
  .row { display: flex; gap: .5rem; margin: .3rem 0; align-items: center; }
  input[type=text] { flex: 1; font: inherit; padding: .3rem; }
  button { font: inherit; padding: .3rem .8rem; }
  #state { font-weight: bold; }
  #log { font-family: ui-monospace, monospace; font-size: .85rem; height: 22rem;
         overflow: auto; border: 1px solid #8884; border-radius: .4rem;
         padding: .4rem; margin: 0; list-style: none; }
  #log li { white-space: pre-wrap; word-break: break-all; }
  #log li[data-dir=sent] { color: #2a6fdb; }
  #log li[data-dir=received] { color: #2e8b57; }
  #log li[data-dir=error] { color: #c0392b; }
</style>
</head>
<body>
<h1>WebSocket echo client</h1>
<fieldset>
  <legend>Connection</legend>
  <div class="row">
    <label for="url">URL</label>
    <input id="url" type="text" spellcheck="false">
    <button id="connect">Connect</button>
    <button id="disconnect" disabled>Disconnect</button>
  </div>
  <div class="row">State: <span id="state">CLOSED</span></div>
</fieldset>
<fieldset>
  <legend>Message</legend>
  <div class="row">
    <input id="message" type="text" value="Hello, world!">
    <button id="send-text" disabled>Send text</button>
    <button id="send-binary" disabled>Send binary</button>
  </div>
  <div class="row"><small>Binary sends the UTF-8 bytes of the message as a Blob.</small></div>
</fieldset>
<div class="row"><strong>Log</strong><button id="clear">Clear</button></div>
<ol id="log" aria-live="polite"></ol>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
let socket = null;

$("url").value = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";

function hex(bytes) {
  return Array.from(bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, "0")).join(" ") +
    (bytes.length > 64 ? " …" : "");
}

function log(dir, type, text) {
  const item = document.createElement("li");
  item.dataset.dir = dir;
  item.dataset.type = type;
  const time = new Date().toLocaleTimeString();
  item.textContent = time + " " + dir.toUpperCase() + (type ? " " + type : "") + ": " + text;
  $("log").append(item);
  $("log").scrollTop = $("log").scrollHeight;
}

function showState() {
  const state = socket ? socket.readyState : 3;
  $("state").textContent = STATES[state];
  const open = state === 1;
  $("connect").disabled = state === 0 || open;
  $("disconnect").disabled = !open;
  $("send-text").disabled = !open;
  $("send-binary").disabled = !open;
}

$("connect").onclick = () => {
  try {
    socket = new WebSocket($("url").value);
  } catch (error) {
    log("error", "", String(error.message || error));
    return;
  }
  socket.binaryType = "arraybuffer";
  socket.onopen = () => { log("info", "", "connected to " + socket.url); showState(); };
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      log("received", "text", JSON.stringify(event.data));
    } else {
      const bytes = new Uint8Array(event.data);
      log("received", "binary", bytes.length + " bytes: " + hex(bytes));
    }
  };
  socket.onerror = () => log("error", "", "connection error");
  socket.onclose = (event) => {
    log("info", "", "closed, code " + event.code + (event.reason ? " (" + event.reason + ")" : ""));
    showState();
  };
  showState();
};

$("disconnect").onclick = () => { socket.close(1000, "bye"); showState(); };

$("send-text").onclick = () => {
  const text = $("message").value;
  socket.send(text);
  log("sent", "text", JSON.stringify(text));
};

$("send-binary").onclick = () => {
  const bytes = new TextEncoder().encode($("message").value);
  socket.send(new Blob([bytes]));
  log("sent", "binary", bytes.length + " bytes: " + hex(bytes));
};

$("message").onkeydown = (event) => {
  if (event.key === "Enter" && !$("send-text").disabled) $("send-text").click();
};
$("clear").onclick = () => { $("log").textContent = ""; };
showState();
</script>
</body>
</html>
`;
