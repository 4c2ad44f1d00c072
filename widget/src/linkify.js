// Splits bot text into text and link segments. Only http(s) URLs and bare domains with a
// well-known top-level domain (quebec.ca/..., canada.ca) become links; the caller renders
// every segment with textContent, so nothing here is ever parsed as HTML.

const TLDS = "ca|com|org|net|gov|edu|int|io|info|fr|quebec|uk|us|eu";
const URL_PATTERN = new RegExp(
  "(https?:\\/\\/[^\\s<>\"'“”«»]+)" +
    "|((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:" + TLDS + ")(?![a-z0-9-])" +
    "(?::\\d{1,5})?(?:\\/[^\\s<>\"'“”«»]*)?)",
  "gi",
);
const TRAILING = ".,;:!?'\"”’»";
// A link may not start in the middle of a word, an e-mail address or a path.
const GLUED_BEFORE = /[a-z0-9@._/\\-]/i;

function count(text, character) {
  return text.split(character).length - 1;
}

function trimTrailing(candidate) {
  let text = candidate;
  for (;;) {
    const last = text.charAt(text.length - 1);
    if (TRAILING.includes(last)) {
      text = text.slice(0, -1);
    } else if (last === ")" && count(text, "(") < count(text, ")")) {
      text = text.slice(0, -1);
    } else if (last === "]" && count(text, "[") < count(text, "]")) {
      text = text.slice(0, -1);
    } else {
      return text;
    }
  }
}

export function safeHref(candidate) {
  const absolute = /^https?:\/\//i.test(candidate) ? candidate : `https://${candidate}`;
  try {
    const url = new URL(absolute);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname) {
      return url.href;
    }
  } catch (error) {
    // not a URL: stays text
  }
  return null;
}

export function linkify(text) {
  const segments = [];
  let position = 0;
  URL_PATTERN.lastIndex = 0;
  let match;
  while ((match = URL_PATTERN.exec(text)) !== null) {
    const start = match.index;
    const raw = trimTrailing(match[0]);
    if (!raw || (start > 0 && GLUED_BEFORE.test(text.charAt(start - 1)))) {
      continue;
    }
    const href = safeHref(raw);
    if (!href) {
      continue;
    }
    if (start > position) {
      segments.push({ type: "text", text: text.slice(position, start) });
    }
    segments.push({ type: "link", text: raw, href });
    position = start + raw.length;
    URL_PATTERN.lastIndex = position;
  }
  if (position < text.length) {
    segments.push({ type: "text", text: text.slice(position) });
  }
  return segments;
}
