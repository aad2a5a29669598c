// @ts-check
// The terminal into the learner's sandbox, in a document of its own (/terminal, framed by the lesson
// page): xterm.js draws with <style> elements its code makes, which only this document's policy allows.

import { Terminal } from "/app/xterm.js";
import { FitAddon } from "/app/xterm-addon-fit.js";

const params = new URLSearchParams(location.search);
const learnerId = params.get("learner") ?? "";
const lang = params.get("lang") === "en" ? "en" : "es";
document.documentElement.lang = lang;

const STRINGS = {
  es: {
    connecting: "Conectando con tu sandbox…",
    exited: "La shell terminó.",
    reaped: "Tu sandbox se eliminó tras un rato sin uso: lo que tenías en él ya no está.",
    failed: "No se pudo abrir la terminal.",
    lost: "Se perdió la conexión. Reconectando…",
    full: "No hay sandboxes libres ahora mismo.",
    reconnect: "Reconectar",
    newSandbox: "Crear un sandbox nuevo",
    label: "Terminal de tu sandbox de Docker",
  },
  en: {
    connecting: "Connecting to your sandbox…",
    exited: "The shell ended.",
    reaped: "Your sandbox was removed after a while unused: what was in it is gone.",
    failed: "The terminal could not open.",
    lost: "The connection was lost. Reconnecting…",
    full: "No sandbox is free right now.",
    reconnect: "Reconnect",
    newSandbox: "Make a new sandbox",
    label: "Terminal of your Docker sandbox",
  },
}[lang];

/**
 * An element terminal.html always has.
 * @param {string} id
 */
function elementById(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`terminal.html has no #${id}`);
  return element;
}

const terminal = new Terminal({
  cursorBlink: true,
  fontSize: 14,
  scrollback: 5000,
  screenReaderMode: false,
});
const fit = new FitAddon();
terminal.loadAddon(fit);
terminal.open(elementById("terminal"));
terminal.textarea?.setAttribute("aria-label", STRINGS.label);
fit.fit();

// Ctrl+Shift+C copies the selection (Ctrl+C stays the shell's interrupt); the browser's own paste
// (Ctrl+V, Ctrl+Shift+V, the menu) reaches xterm.js as a paste event.
terminal.attachCustomKeyEventHandler((event) => {
  if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey || event.code !== "KeyC") return true;
  if (terminal.hasSelection()) navigator.clipboard.writeText(terminal.getSelection()).catch(() => {});
  return false;
});

const statusBox = elementById("terminal-status");
const statusText = elementById("terminal-message");
const again = elementById("terminal-again");
/**
 * @param {string} text
 * @param {{ label: string, run: () => void }} [action]
 */
function showStatus(text, action) {
  statusText.textContent = text;
  statusBox.hidden = false;
  again.hidden = !action;
  if (action) {
    again.textContent = action.label;
    again.onclick = () => {
      statusBox.hidden = true;
      action.run();
    };
  }
}

/** @type {WebSocket | undefined} */
let socket;
let lostInARow = 0;
/** @param {{ type: "input", data: string } | { type: "resize", cols: number, rows: number }} message */
const send = (message) => {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
};
terminal.onData((data) => send({ type: "input", data }));
terminal.onResize(({ cols, rows }) => send({ type: "resize", cols, rows }));
new ResizeObserver(() => fit.fit()).observe(document.body);

/** The learner's sandbox, made if they have none (its idle time starts again if they have one). */
async function ensureSandbox() {
  const response = await fetch(`/v1/learners/${encodeURIComponent(learnerId)}/sandbox`, {
    method: "PUT",
    credentials: "same-origin",
  });
  if (response.status === 503) throw new Error(STRINGS.full);
  if (!response.ok) throw new Error(STRINGS.failed);
}

function connect() {
  const url = new URL(`/v1/learners/${encodeURIComponent(learnerId)}/sandbox/terminal`, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("cols", String(terminal.cols));
  url.searchParams.set("rows", String(terminal.rows));
  /** @type {string | null} why the service ended the session, when it said */
  let ended = null;
  socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    lostInARow = 0;
    statusBox.hidden = true;
    terminal.focus();
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== "string") {
      terminal.write(new Uint8Array(event.data));
      return;
    }
    ended = JSON.parse(event.data).reason ?? "failed";
  };
  socket.onclose = () => {
    if (ended === "reaped") return showStatus(STRINGS.reaped, { label: STRINGS.newSandbox, run: start });
    if (ended) return showStatus(endedBecause(ended), { label: STRINGS.reconnect, run: start });
    // No word from the service: the network or a restart. Reconnect a few times, then ask.
    lostInARow++;
    if (lostInARow > 5) return showStatus(STRINGS.lost, { label: STRINGS.reconnect, run: start });
    showStatus(STRINGS.lost);
    setTimeout(start, Math.min(500 * 2 ** lostInARow, 8000));
  };
}

/**
 * What the learner reads when the service ends the session for `reason` (exited, reaped or failed: see
 * src/routes/v1/learners/sandbox-terminal.ts); reaped has its own way on.
 * @param {string} reason
 */
function endedBecause(reason) {
  return reason === "exited" ? STRINGS.exited : STRINGS.failed;
}

async function start() {
  try {
    await ensureSandbox();
    connect();
  } catch (error) {
    showStatus(error instanceof Error ? error.message : STRINGS.failed, { label: STRINGS.reconnect, run: start });
  }
}

// The lesson page puts a command here to be seen, and run only when the learner presses Enter.
window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || event.data?.type !== "paste") return;
  terminal.paste(String(event.data.text));
  terminal.focus();
});

showStatus(STRINGS.connecting);
start();
