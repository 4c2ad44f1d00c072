// IMP+ assistant chat widget: one <script> tag, talks to Rasa's socket.io channel.
//
//   <script>window.IMPWidgetConfig = { serverUrl: "https://assistant.example", language: "fr" };</script>
//   <script src="https://assistant.example/widget/imp-widget.js" defer></script>
//
// or data attributes on the script tag (data-server-url, data-language, data-title), or
// IMPWidget.init({...}) with autoInit: false. Every bot or user text is rendered with
// textContent / text nodes: never as HTML.
import { io } from "socket.io-client";
import { linkify } from "./linkify.js";
import { Store } from "./store.js";
import { stringsFor } from "./strings.js";
import { CSS } from "./styles.js";

const VERSION = "0.1.0";
const MAX_ENTRIES = 200;
const MAX_MESSAGE_LENGTH = 1000;
const MAX_REPLIES = 20;
const SLOW_ANSWER_MS = 25000;
const SESSION_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const FACT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SVG_NS = "http://www.w3.org/2000/svg";
// Captured while this script runs: later, document.currentScript is null.
const CURRENT_SCRIPT = typeof document !== "undefined" ? document.currentScript : null;

function scriptOrigin() {
  try {
    if (CURRENT_SCRIPT && CURRENT_SCRIPT.src) {
      return new URL(CURRENT_SCRIPT.src, window.location.href).origin;
    }
  } catch (error) {
    // fall through
  }
  return window.location.origin;
}

function fromDataAttributes() {
  const config = {};
  if (!CURRENT_SCRIPT) {
    return config;
  }
  const data = CURRENT_SCRIPT.dataset;
  if (data.serverUrl) config.serverUrl = data.serverUrl;
  if (data.language) config.language = data.language;
  if (data.title) config.title = data.title;
  if (data.initPayload !== undefined) config.initPayload = data.initPayload || null;
  if (data.autoInit === "false") config.autoInit = false;
  return config;
}

export function normalizeConfig(...sources) {
  const merged = Object.assign({}, ...sources.filter((source) => source && typeof source === "object"));
  const language = String(merged.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en";
  let serverUrl = scriptOrigin();
  if (typeof merged.serverUrl === "string" && merged.serverUrl) {
    try {
      const url = new URL(merged.serverUrl, window.location.href);
      if (url.protocol === "http:" || url.protocol === "https:") {
        serverUrl = url.href.replace(/\/+$/, "");
      }
    } catch (error) {
      // keep the default
    }
  }
  const strings = stringsFor(language);
  return {
    serverUrl,
    language,
    title: typeof merged.title === "string" && merged.title.trim() ? merged.title.trim() : strings.title,
    socketPath: typeof merged.socketPath === "string" ? merged.socketPath : "/socket.io/",
    initPayload: merged.initPayload === undefined ? "/greet" : merged.initPayload,
    storagePrefix: typeof merged.storagePrefix === "string" ? merged.storagePrefix : "imp-widget",
    autoInit: merged.autoInit !== false,
    open: merged.open === true,
  };
}

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(child);
  }
  return node;
}

function srOnly(text) {
  const span = el("span", { class: "sr-only" });
  span.textContent = text;
  return span;
}

function chatIcon() {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute(
    "d",
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 " +
      "3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z",
  );
  svg.append(path);
  return svg;
}

function applyStyles(shadow) {
  // A constructed stylesheet is CSSOM, so a strict Content-Security-Policy (no
  // 'unsafe-inline' styles) does not block it; older browsers get a <style> element.
  try {
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet.prototype.replaceSync === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
      return;
    }
  } catch (error) {
    // fall back below
  }
  const style = document.createElement("style");
  style.textContent = CSS;
  shadow.append(style);
}

export class ChatWidget {
  constructor(config) {
    this.config = config;
    this.t = stringsFor(config.language);
    this.store = new Store(`${config.storagePrefix}:${config.serverUrl}`);
    const sessionId = this.store.get("local", "session");
    this.sessionId = typeof sessionId === "string" && SESSION_ID.test(sessionId) ? sessionId : null;
    this.transcript = this.loadTranscript();
    this.socket = null;
    this.ready = false;
    this.queue = [];
    this.slowTimer = null;
    this.nodes = new Map();
    this.build();
    this.renderAll();
    if (config.open || this.store.get("session", "open") === true) {
      this.open({ focus: false });
    }
  }

  loadTranscript() {
    const saved = this.store.get("local", "transcript");
    const valid =
      saved &&
      typeof saved === "object" &&
      Array.isArray(saved.entries) &&
      (!saved.sessionId || saved.sessionId === this.sessionId);
    if (!valid) {
      return { sessionId: this.sessionId, greeted: false, next: 1, entries: [] };
    }
    const entries = saved.entries.filter(
      (entry) => entry && (entry.from === "user" || entry.from === "bot") && typeof entry.text === "string",
    );
    const next = Math.max(0, ...entries.map((entry) => Number(entry.n) || 0)) + 1;
    return { sessionId: this.sessionId, greeted: saved.greeted === true, next, entries };
  }

  saveTranscript() {
    this.transcript.sessionId = this.sessionId;
    this.store.set("local", "transcript", this.transcript);
  }

  // ---------------------------------------------------------------- DOM

  build() {
    const t = this.t;
    this.host = el("div", { "data-imp-widget": VERSION });
    const shadow = this.host.attachShadow({ mode: "open" });
    applyStyles(shadow);
    this.shadow = shadow;

    this.launcher = el("button", {
      type: "button",
      class: "launcher",
      "aria-expanded": "false",
      "aria-controls": "imp-panel",
      "aria-haspopup": "dialog",
    });
    const launcherText = el("span");
    launcherText.textContent = t.open;
    this.launcher.append(chatIcon(), launcherText);
    this.launcher.addEventListener("click", () => this.open());

    const title = el("h2", { id: "imp-title", class: "title" });
    title.textContent = this.config.title;
    const subtitle = el("p", { class: "subtitle" });
    subtitle.textContent = t.subtitle;
    this.restartButton = el("button", { type: "button", class: "restart", "aria-label": t.restartLabel });
    this.restartButton.textContent = t.restart;
    this.restartButton.addEventListener("click", () => this.restart());
    this.closeButton = el("button", { type: "button", class: "close", "aria-label": t.close });
    this.closeButton.append(el("span", { "aria-hidden": "true" }, ["×"]));
    this.closeButton.addEventListener("click", () => this.close());
    const header = el("div", { class: "header" }, [
      el("div", { class: "heading" }, [title, subtitle]),
      this.restartButton,
      this.closeButton,
    ]);

    this.log = el("div", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t.log,
      tabindex: "0",
    });
    this.typing = el("div", { class: "typing", role: "status" });
    this.status = el("p", { class: "status", role: "status" });

    this.input = el("input", {
      id: "imp-input",
      type: "text",
      autocomplete: "off",
      maxlength: String(MAX_MESSAGE_LENGTH),
      enterkeyhint: "send",
      placeholder: t.placeholder,
    });
    const label = el("label", { for: "imp-input", class: "sr-only" });
    label.textContent = t.inputLabel;
    const send = el("button", { type: "submit", class: "send" });
    send.textContent = t.send;
    this.form = el("form", { class: "composer", novalidate: true }, [label, this.input, send]);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value;
      this.input.value = "";
      this.sendUser(text, text);
      this.input.focus();
    });

    this.panel = el("div", {
      id: "imp-panel",
      class: "panel",
      role: "dialog",
      "aria-labelledby": "imp-title",
      hidden: true,
    }, [header, this.log, this.typing, this.status, this.form]);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" || event.key === "Esc") {
        event.stopPropagation();
        this.close();
      }
    });

    const root = el("div", { class: "root", lang: this.config.language }, [this.launcher, this.panel]);
    shadow.append(root);
    document.body.append(this.host);
  }

  renderAll() {
    this.nodes.clear();
    this.log.textContent = "";
    for (const entry of this.transcript.entries) {
      this.renderEntry(entry);
    }
    this.scrollToEnd();
  }

  renderEntry(entry) {
    // "You:" / "Assistant:" for screen readers; the space inside keeps the bubble's text flush.
    const bubble = el("div", { class: "bubble" }, [srOnly(`${entry.from === "user" ? this.t.you : this.t.bot} `)]);
    if (entry.from === "bot") {
      for (const segment of linkify(entry.text)) {
        if (segment.type === "link") {
          const link = el("a", { href: segment.href, target: "_blank", rel: "noopener noreferrer" });
          link.append(document.createTextNode(segment.text), srOnly(` ${this.t.newTab}`));
          bubble.append(link);
        } else {
          bubble.append(document.createTextNode(segment.text));
        }
      }
    } else {
      bubble.append(document.createTextNode(entry.text));
    }
    const node = el("div", { class: `msg ${entry.from}`, "data-entry": entry.n }, [bubble]);
    if (entry.from === "bot" && Array.isArray(entry.replies) && entry.replies.length && !entry.used) {
      const group = el("div", { class: "choices", role: "group", "aria-label": this.t.choices });
      for (const reply of entry.replies) {
        const button = el("button", { type: "button", class: "choice" });
        button.textContent = reply.title;
        button.addEventListener("click", () => this.sendUser(reply.payload, reply.title));
        group.append(button);
      }
      node.append(group);
    }
    if (entry.from === "bot" && entry.factId) {
      node.append(this.feedbackBlock(entry));
    }
    this.nodes.set(entry.n, node);
    this.log.append(node);
    return node;
  }

  feedbackBlock(entry) {
    const block = el("div", { class: "feedback" });
    if (entry.feedback === true || entry.feedback === false) {
      const thanks = el("span", { class: "thanks" });
      thanks.textContent = this.t.thanks;
      block.append(thanks);
      return block;
    }
    const questionId = `imp-helpful-${entry.n}`;
    const question = el("span", { id: questionId });
    question.textContent = this.t.helpful;
    block.setAttribute("role", "group");
    block.setAttribute("aria-labelledby", questionId);
    block.append(question);
    const buttons = [true, false].map((helpful) => {
      const button = el("button", { type: "button", "data-helpful": String(helpful) });
      button.textContent = helpful ? this.t.yes : this.t.no;
      button.addEventListener("click", () => this.vote(entry, helpful, block, buttons));
      return button;
    });
    block.append(...buttons);
    return block;
  }

  async vote(entry, helpful, block, buttons) {
    if (!this.sessionId) {
      return;
    }
    // disabling a focused button drops its focus: remember it first
    const hadFocus = buttons.includes(this.shadow.activeElement);
    for (const button of buttons) button.disabled = true;
    const previousError = block.querySelector(".error");
    if (previousError) previousError.remove();
    let ok = false;
    try {
      const response = await fetch(`${this.config.serverUrl}/widget/feedback`, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender_id: this.sessionId, fact_id: entry.factId, helpful }),
      });
      ok = response.ok;
    } catch (error) {
      ok = false;
    }
    if (ok) {
      entry.feedback = helpful;
      this.saveTranscript();
      block.replaceWith(this.feedbackBlock(entry));
      if (hadFocus) this.input.focus();
    } else {
      for (const button of buttons) button.disabled = false;
      if (hadFocus) buttons[helpful ? 0 : 1].focus();
      const error = el("span", { class: "error", role: "alert" });
      error.textContent = this.t.feedbackError;
      block.append(error);
    }
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  notice(text) {
    const note = el("p", { class: "notice" });
    note.textContent = text;
    this.log.append(note);
    this.scrollToEnd();
  }

  // ---------------------------------------------------------------- state

  addEntry(entry) {
    entry.n = this.transcript.next++;
    this.transcript.entries.push(entry);
    while (this.transcript.entries.length > MAX_ENTRIES) {
      const dropped = this.transcript.entries.shift();
      const node = this.nodes.get(dropped.n);
      if (node) node.remove();
      this.nodes.delete(dropped.n);
    }
    this.saveTranscript();
    this.renderEntry(entry);
    this.scrollToEnd();
  }

  retireChoices() {
    const active = this.shadow.activeElement;
    let focusLost = false;
    for (const entry of this.transcript.entries) {
      if (entry.from === "bot" && entry.replies && entry.replies.length && !entry.used) {
        entry.used = true;
        const group = this.nodes.get(entry.n)?.querySelector(".choices");
        if (group) {
          if (active && group.contains(active)) focusLost = true;
          group.remove();
        }
      }
    }
    if (focusLost) this.input.focus();
  }

  sendUser(payload, display) {
    const text = String(payload || "").trim().slice(0, MAX_MESSAGE_LENGTH);
    if (!text) return;
    this.retireChoices();
    this.addEntry({ from: "user", text: String(display || text).slice(0, MAX_MESSAGE_LENGTH) });
    this.emitMessage(text);
    this.showTyping();
  }

  receive(message) {
    if (!message || typeof message !== "object") return;
    let text = typeof message.text === "string" ? message.text : "";
    if (typeof message.image === "string" && message.image) {
      text = text ? `${text}\n${message.image}` : message.image;
    }
    const rawReplies = Array.isArray(message.quick_replies)
      ? message.quick_replies
      : Array.isArray(message.buttons)
        ? message.buttons
        : [];
    const replies = rawReplies
      .filter((reply) => reply && typeof reply.title === "string" && typeof reply.payload === "string")
      .slice(0, MAX_REPLIES)
      .map((reply) => ({ title: reply.title, payload: reply.payload }));
    const factId = typeof message.fact_id === "string" && FACT_ID.test(message.fact_id) ? message.fact_id : null;
    if (!text && !replies.length) return;
    this.hideTyping();
    const entry = { from: "bot", text };
    if (replies.length) entry.replies = replies;
    if (factId) {
      entry.factId = factId;
      entry.feedback = null;
    }
    this.addEntry(entry);
  }

  showTyping() {
    this.typing.textContent = "";
    const dots = el("span", { class: "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]);
    const label = el("span");
    label.textContent = this.t.typing;
    this.typing.append(dots, label);
    clearTimeout(this.slowTimer);
    this.slowTimer = setTimeout(() => {
      if (this.typing.textContent) this.status.textContent = this.t.slow;
    }, SLOW_ANSWER_MS);
  }

  hideTyping() {
    clearTimeout(this.slowTimer);
    this.typing.textContent = "";
    if (this.status.textContent === this.t.slow || this.status.textContent === this.t.withPerson) {
      this.status.textContent = "";
    }
  }

  // ---------------------------------------------------------------- socket

  connect() {
    if (this.socket) return;
    this.status.textContent = this.t.connecting;
    // WebSocket first: one connection, one server, so no balancer affinity is needed; HTTP
    // long-polling (whose session only one server knows) only where the WebSocket fails.
    const socket = io(this.config.serverUrl, {
      path: this.config.socketPath,
      withCredentials: false,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.status.textContent = "";
      socket.emit("session_request", { session_id: this.sessionId });
    });
    socket.on("session_confirm", (data) => {
      const id = typeof data === "string" ? data : data && data.session_id;
      if (typeof id !== "string" || !SESSION_ID.test(id)) return;
      if (this.sessionId && id !== this.sessionId) {
        this.transcript = { sessionId: id, greeted: false, next: 1, entries: [] };
        this.renderAll();
      }
      this.sessionId = id;
      this.store.set("local", "session", id);
      this.saveTranscript();
      this.ready = true;
      const queued = this.queue.splice(0);
      for (const text of queued) this.emitMessage(text);
      this.greet();
    });
    socket.on("bot_uttered", (message) => this.receive(message));
    // sent instead of an answer while a person (support staff) has the conversation
    socket.on("handoff_quiet", () => {
      this.hideTyping();
      this.status.textContent = this.t.withPerson;
    });
    socket.on("disconnect", () => {
      this.ready = false;
      this.status.textContent = this.t.offline;
    });
    socket.on("connect_error", () => {
      this.ready = false;
      this.status.textContent = this.t.offline;
    });
  }

  greet() {
    if (this.transcript.greeted || this.transcript.entries.length || !this.config.initPayload) return;
    this.transcript.greeted = true;
    this.saveTranscript();
    this.emitMessage(String(this.config.initPayload));
    this.showTyping();
  }

  emitMessage(text) {
    if (!this.ready || !this.socket) {
      this.queue.push(text);
      return;
    }
    this.socket.emit("user_uttered", {
      message: text,
      session_id: this.sessionId,
      metadata: { language: this.config.language, channel: "website-widget" },
    });
  }

  // ---------------------------------------------------------------- actions

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.store.set("session", "open", true);
    this.connect();
    this.scrollToEnd();
    if (focus) this.input.focus();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.store.set("session", "open", false);
    this.launcher.focus();
  }

  restart() {
    this.hideTyping();
    this.queue = [];
    this.transcript = { sessionId: this.sessionId, greeted: false, next: 1, entries: [] };
    this.saveTranscript();
    this.renderAll();
    this.notice(this.t.restarted);
    this.emitMessage("/restart");
    if (this.ready) this.greet();
    this.input.focus();
  }
}

let instance = null;

export function init(overrides) {
  if (instance) return instance;
  const config = normalizeConfig(fromDataAttributes(), window.IMPWidgetConfig, overrides);
  instance = new ChatWidget(config);
  return instance;
}

if (typeof window !== "undefined" && !window.IMPWidget) {
  window.IMPWidget = { init, version: VERSION };
  const config = normalizeConfig(fromDataAttributes(), window.IMPWidgetConfig);
  if (config.autoInit) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => init(), { once: true });
    } else {
      init();
    }
  }
}
