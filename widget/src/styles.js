// Styles of the widget, applied inside its shadow root (the host page's CSS cannot reach in,
// ours cannot leak out). Colours meet WCAG 2.1 AA contrast (4.5:1 for text, 3:1 for focus).
export const CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
.root {
  --imp-primary: #0b3d91;
  --imp-primary-dark: #082b66;
  --imp-text: #1b1b1b;
  --imp-muted: #4a4f55;
  --imp-bot-bg: #eef1f5;
  --imp-border: #6b7280;
  --imp-focus: #c2410c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px;
  line-height: 1.45;
  color: var(--imp-text);
}
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0;
}
button, input { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--imp-focus); outline-offset: 2px; }
[hidden] { display: none !important; }

.launcher {
  position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  min-height: 56px; padding: 0 20px; border: 2px solid #ffffff; border-radius: 28px;
  background: var(--imp-primary); color: #ffffff; font-weight: 600;
  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.3);
}
.launcher:hover { background: var(--imp-primary-dark); }
.launcher svg { width: 24px; height: 24px; fill: currentColor; flex: none; }

.panel {
  position: fixed; right: 16px; bottom: 16px; z-index: 2147483001;
  display: flex; flex-direction: column;
  width: 380px; max-width: calc(100vw - 32px);
  height: 600px; max-height: calc(100vh - 32px);
  background: #ffffff; border: 1px solid var(--imp-border); border-radius: 12px;
  box-shadow: 0 8px 28px rgba(0, 0, 0, 0.3); overflow: hidden;
}
@media (max-width: 480px), (max-height: 520px) {
  .panel { inset: 0; right: 0; bottom: 0; width: 100%; max-width: none;
    height: 100%; max-height: none; border: 0; border-radius: 0; }
  .launcher { right: 12px; bottom: 12px; }
}

.header {
  display: flex; align-items: center; gap: 8px; flex: none;
  padding: 10px 10px 10px 16px; background: var(--imp-primary); color: #ffffff;
}
.header :focus-visible { outline-color: #ffffff; }
.heading { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 1.05rem; font-weight: 700; line-height: 1.25; }
.subtitle { margin: 0; font-size: 0.8rem; opacity: 0.95; }
.header button {
  min-height: 40px; min-width: 40px; padding: 4px 10px; border: 1px solid #ffffff;
  border-radius: 6px; background: transparent; color: #ffffff; font-size: 0.875rem;
}
.header button:hover { background: var(--imp-primary-dark); }
.header .close { font-size: 1.4rem; line-height: 1; padding: 4px 8px; }

.log {
  flex: 1; min-height: 0; overflow-y: auto; padding: 12px; background: #ffffff;
  display: flex; flex-direction: column; gap: 10px;
}
.msg { display: flex; flex-direction: column; max-width: 88%; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.msg.bot { align-self: flex-start; align-items: flex-start; }
.bubble {
  padding: 8px 12px; border-radius: 14px; white-space: pre-wrap;
  overflow-wrap: anywhere; word-break: break-word;
}
.msg.user .bubble { background: var(--imp-primary); color: #ffffff; border-bottom-right-radius: 4px; }
.msg.bot .bubble { background: var(--imp-bot-bg); color: var(--imp-text); border-bottom-left-radius: 4px; }
.bubble a { color: #0a4bb5; text-decoration: underline; }
.notice { align-self: center; margin: 0; color: var(--imp-muted); font-size: 0.875rem; text-align: center; }

.choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.choice {
  min-height: 40px; padding: 6px 12px; border: 2px solid var(--imp-primary); border-radius: 18px;
  background: #ffffff; color: var(--imp-primary); text-align: left;
}
.choice:hover { background: var(--imp-primary); color: #ffffff; }

.feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 6px;
  font-size: 0.875rem; color: var(--imp-muted); }
.feedback button {
  min-height: 36px; min-width: 48px; padding: 4px 12px; border: 1px solid var(--imp-border);
  border-radius: 6px; background: #ffffff; color: var(--imp-text);
}
.feedback button:hover { border-color: var(--imp-primary); color: var(--imp-primary); }
.feedback .thanks { color: var(--imp-muted); }
.feedback .error { color: #a4161a; }

.typing { display: flex; align-items: center; gap: 8px; min-height: 0; padding: 0 16px;
  color: var(--imp-muted); font-size: 0.875rem; }
.typing:not(:empty) { padding: 4px 16px 6px; }
.dots { display: inline-flex; gap: 3px; }
.dots span { width: 6px; height: 6px; border-radius: 50%; background: var(--imp-muted);
  animation: imp-blink 1.2s infinite ease-in-out; }
.dots span:nth-child(2) { animation-delay: 0.2s; }
.dots span:nth-child(3) { animation-delay: 0.4s; }
@keyframes imp-blink { 0%, 80%, 100% { opacity: 0.25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dots span { animation: none; } }
.status { margin: 0; padding: 0 16px; color: #a4161a; font-size: 0.875rem; }
.status:not(:empty) { padding: 4px 16px; }

.composer { display: flex; gap: 8px; flex: none; padding: 10px; border-top: 1px solid #d0d4da; }
.composer input {
  flex: 1; min-width: 0; min-height: 44px; padding: 8px 12px;
  border: 1px solid var(--imp-border); border-radius: 8px; background: #ffffff; color: var(--imp-text);
}
.composer input::placeholder { color: #5f6368; opacity: 1; }
.composer button {
  min-height: 44px; padding: 8px 16px; border: 0; border-radius: 8px;
  background: var(--imp-primary); color: #ffffff; font-weight: 600;
}
.composer button:hover { background: var(--imp-primary-dark); }
`;
