// Pure logic of the emotion timeline: geometry, hit testing and the override JSON the edits produce.
// No DOM and no ComfyUI imports, so Node runs it in tests (tests/js/timeline_model.test.mjs).

import { LABEL_ROW_HEIGHT, layoutLabels } from "./timeline_labels.js";

export const EMOTIONS = ["neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted"];

export const EMOTION_COLORS = {
  neutral: "#9aa0a6",
  happy: "#f2c230",
  sad: "#4a8fe2",
  angry: "#e5484d",
  fearful: "#9b6ad6",
  surprised: "#f08a24",
  disgusted: "#2fa86b",
};

export const EDITS_FORMAT = "ectfg.edits/1";
// Expression strength per word: 0 = no expression, 1 = the calibrated default (absent), 2 = exaggerated.
export const MAX_STRENGTH = 2;
export const DEFAULT_STRENGTH = 1;
export const HANDLE_RADIUS = 6;
export const MAX_ZOOM = 40;
const HIT_SLOP = 4;
const PAD = { left: 30, right: 10, top: 4, bottom: 18 };
const WORD_STRIP = 6; // the coloured span of each word, exactly as long as it is spoken
const LABEL_STRIP_GAP = 3;

// The emotion names, in the order of the payload's frame classes: the payload's own list when it carries one.
export function emotionsOf(payload) {
  return Array.isArray(payload?.emotions) && payload.emotions.length ? payload.emotions.map(String) : EMOTIONS;
}

// A name's colour: the fixed palette for the seven classes, an evenly spread hue for any other name.
export function colorOf(name, emotions = EMOTIONS) {
  if (EMOTION_COLORS[name]) return EMOTION_COLORS[name];
  const i = Math.max(emotions.indexOf(name), 0);
  const hue = Math.round((i * 360) / Math.max(emotions.length, 1) + 15) % 360;
  return hslToHex(hue, 0.6, 0.55);
}

function hslToHex(h, s, l) {
  const f = (n) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

// The edit rules the node announces: format name and strength range; the defaults above when it says nothing.
export function editRulesOf(payload) {
  const range = Array.isArray(payload?.strength_range) ? payload.strength_range.map(Number) : null;
  return {
    format: typeof payload?.edits_format === "string" ? payload.edits_format : EDITS_FORMAT,
    emotions: emotionsOf(payload),
    maxStrength: range && Number.isFinite(range[1]) ? range[1] : MAX_STRENGTH,
  };
}

// The content amount the plan was made with (how far the words may move the description), when the payload has
// it: "content 0.50", with the description's invitation or refusal of the text when it made one.
export function contentText(payload) {
  const amount = payload?.content;
  if (amount == null || amount === "" || !Number.isFinite(Number(amount))) return "";
  const stance = { invite: ", invited by the description", refuse: ", refused by the description" }[payload.content_stance] ?? "";
  return `content ${Number(amount).toFixed(2)}${stance}`;
}

// Zoom and scroll of the time axis: zoom 1 fits the whole speech, `scroll` is how many pixels of the zoomed
// content lie left of the view. Always returns a view kept in range for a plot `viewWidth` pixels wide.
export function clampView(view, viewWidth) {
  const zoom = Math.min(Math.max(Number(view?.zoom) || 1, 1), MAX_ZOOM);
  const maxScroll = Math.max(viewWidth * zoom - viewWidth, 0);
  const scroll = Math.min(Math.max(Number(view?.scroll) || 0, 0), maxScroll);
  return { zoom, scroll };
}

// Zoom by `factor` keeping the time under `anchor` (pixels from the plot's left edge) where it is.
export function zoomAt(view, factor, anchor, viewWidth) {
  const v = clampView(view, viewWidth);
  const fraction = (v.scroll + anchor) / (viewWidth * v.zoom);
  const zoom = Math.min(Math.max(v.zoom * factor, 1), MAX_ZOOM);
  return clampView({ zoom, scroll: fraction * viewWidth * zoom - anchor }, viewWidth);
}

// The smallest scroll change that brings time `t` into the middle 80 % of the view (to follow the playhead).
export function followTime(view, t, duration, viewWidth) {
  const v = clampView(view, viewWidth);
  const x = (t / Math.max(duration, 1e-3)) * viewWidth * v.zoom - v.scroll;
  if (x >= viewWidth * 0.1 && x <= viewWidth * 0.9) return v;
  return clampView({ zoom: v.zoom, scroll: v.scroll + x - viewWidth * 0.3 }, viewWidth);
}

// Geometry in CSS pixels of the timeline canvas. `options`: view ({zoom, scroll}) and measure (text width in px,
// for the labels; a rough per-letter width when absent).
export function computeLayout(payload, width, height, options = {}) {
  const duration = Math.max(payload?.duration || 0, 1e-3);
  const measure = options.measure || ((text) => 6.5 * String(text).length);
  const viewWidth = Math.max(width - PAD.left - PAD.right, 10);
  const view = clampView(options.view, viewWidth);
  const contentWidth = viewWidth * view.zoom;
  const xOf = (t) => PAD.left - view.scroll + (Math.min(Math.max(t, 0), duration) / duration) * contentWidth;
  const timeAt = (x) => Math.min(Math.max(((x - PAD.left + view.scroll) / contentWidth) * duration, 0), duration);
  const spans = (payload?.words || []).map((w) => {
    const x0 = xOf(w.start);
    return { x0, x1: Math.max(xOf(w.end), x0 + 1) };
  });
  // Labels are laid out in the visible part only: a zoomed view never shows a label cut at its edge, and the
  // words scrolled away (hidden labels) cost nothing.
  const left = Math.max(xOf(0), PAD.left);
  const right = Math.min(xOf(duration), PAD.left + viewWidth);
  const shown = [];
  spans.forEach((s, i) => { if (s.x1 > left && s.x0 < right) shown.push(i); });
  // Labels depend on the words' timing and the view only, not on intensities: while a dot is dragged over minutes of
  // speech the caller's `labelCache` (one per payload) spares laying them out again on every pointer move.
  const cache = options.labelCache;
  const key = `${width}|${view.zoom}|${view.scroll}|${duration}|${spans.length}`;
  const placed = cache?.key === key ? cache.placed : layoutLabels(
    shown.map((i) => ({ center: Math.min(Math.max((spans[i].x0 + spans[i].x1) / 2, left), right), text: String(payload.words[i].word) })),
    left, right, measure, PAD.top,
  );
  if (cache) Object.assign(cache, { key, placed });
  const rows = placed.rows;
  const labels = spans.map((s, i) => ({ x: (s.x0 + s.x1) / 2, y: PAD.top, w: 0, h: LABEL_ROW_HEIGHT - 2, row: 0,
    text: "", full: String(payload.words[i].word), hidden: true }));
  shown.forEach((i, k) => { labels[i] = placed.labels[k]; });
  const stripY = PAD.top + rows * LABEL_ROW_HEIGHT + LABEL_STRIP_GAP;
  const plotY = stripY + WORD_STRIP + 4;
  const plot = { x: PAD.left, y: plotY, w: viewWidth, h: Math.max(height - plotY - PAD.bottom, 10) };
  const yOf = (v) => plot.y + (1 - Math.min(Math.max(v, 0), 1)) * plot.h;
  const words = (payload?.words || []).map((w, i) => {
    const { x0, x1 } = spans[i];
    const label = labels[i];
    return {
      index: w.index,
      label,
      strip: { x: x0, y: stripY, w: x1 - x0, h: WORD_STRIP },
      // Where a click picks the word: its label when drawn, else its strip.
      band: label.hidden ? { x: x0, y: stripY, w: x1 - x0, h: WORD_STRIP } : label,
      column: { x: x0, y: plot.y, w: x1 - x0, h: plot.h },
      handle: { x: (x0 + x1) / 2, y: yOf(w.intensity) },
    };
  });
  return { width, height, duration, plot, words, rows, view, contentWidth, xOf, yOf, timeAt,
    labelTop: PAD.top, stripY };
}

// Is x inside the visible plot (not scrolled away)?
export function inView(layout, x) {
  return x >= layout.plot.x - 0.5 && x <= layout.plot.x + layout.plot.w + 0.5;
}

// Which part of the timeline is under (x, y): a keyframe handle, a word (label, strip or column), or nothing.
export function hitTest(layout, x, y) {
  if (y >= layout.plot.y - HANDLE_RADIUS && !inView(layout, x)) return null; // scrolled out of the plot
  // Labels and strips first above the plot: a dot at full intensity overlaps the strip only with its upper half.
  if (y < layout.stripY + WORD_STRIP) {
    for (const w of layout.words) {
      for (const r of w.label.hidden ? [w.strip] : [w.label, w.strip]) {
        if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) return { kind: "word", index: w.index };
      }
    }
  }
  let best = null;
  for (const w of layout.words) {
    const d = Math.hypot(x - w.handle.x, y - w.handle.y);
    if (d <= HANDLE_RADIUS + HIT_SLOP && (!best || d < best.d)) best = { d, index: w.index };
  }
  if (best) return { kind: "handle", index: best.index };
  for (const w of layout.words) {
    const rects = w.label.hidden ? [w.strip, w.column] : [w.label, w.strip, w.column];
    for (const r of rects) {
      if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) return { kind: "word", index: w.index };
    }
  }
  // Above the strip, between labels: the word whose span is nearest, so a hidden label's word is still reachable.
  if (y < layout.stripY + 6 && layout.words.length) {
    let near = null;
    for (const w of layout.words) {
      const d = Math.max(w.strip.x - x, x - (w.strip.x + w.strip.w), 0);
      if (d <= 4 && (!near || d < near.d)) near = { d, index: w.index };
    }
    if (near) return { kind: "word", index: near.index };
  }
  return null;
}

// Intensity at a vertical position of the plot, rounded to 0.01.
export function intensityAt(layout, y) {
  const v = 1 - (y - layout.plot.y) / layout.plot.h;
  return Math.round(Math.min(Math.max(v, 0), 1) * 100) / 100;
}

// The edits list held in the override text. A pasted plan becomes edits of every word; anything else (empty,
// a pasted track, broken JSON) starts a fresh list, and `replaced` says something was there.
export function readEdits(text) {
  if (!text || !String(text).trim()) return { edits: [], replaced: false };
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return { edits: [], replaced: true };
  }
  if (!data || !Array.isArray(data.words) || data.frames) return { edits: [], replaced: true };
  const edits = data.words.map((w, i) => {
    const e = { index: Number.isInteger(w.index) ? w.index : i };
    if (w.word != null) e.word = String(w.word);
    if (w.emotion != null) e.emotion = String(w.emotion);
    if (w.intensity != null) e.intensity = Number(w.intensity);
    if (w.strength != null) e.strength = Number(w.strength);
    return e;
  });
  return { edits, replaced: false };
}

// A word's expression strength, DEFAULT_STRENGTH when none was set.
export function strengthOf(word) {
  return word?.strength ?? DEFAULT_STRENGTH;
}

// The override text after changing one word; `change` holds emotion, intensity and/or strength.
export function applyEdit(text, word, change, rules = {}) {
  const emotions = rules.emotions || EMOTIONS;
  const maxStrength = rules.maxStrength ?? MAX_STRENGTH;
  const { edits } = readEdits(text);
  let entry = edits.find((e) => e.index === word.index);
  if (!entry) {
    entry = { index: word.index, word: word.word };
    edits.push(entry);
  }
  entry.word = word.word;
  if (change.emotion != null) {
    if (!emotions.includes(change.emotion)) throw new Error(`unknown emotion ${change.emotion}`);
    entry.emotion = change.emotion;
  }
  if (change.intensity != null) entry.intensity = Math.round(Math.min(Math.max(change.intensity, 0), 1) * 1000) / 1000;
  if (change.strength != null) {
    const value = Number(change.strength);
    if (!Number.isFinite(value)) throw new Error(`strength must be a number from 0 to ${maxStrength}`);
    entry.strength = Math.round(Math.min(Math.max(value, 0), maxStrength) * 100) / 100;
  }
  edits.sort((a, b) => a.index - b.index);
  return JSON.stringify({ format: rules.format || EDITS_FORMAT, words: edits }, null, 1);
}

// The words as they will be after the pending edits: what the timeline shows before the next run.
export function previewWords(payload, text) {
  const { edits } = readEdits(text);
  const byIndex = new Map(edits.map((e) => [e.index, e]));
  return (payload?.words || []).map((w) => {
    const e = byIndex.get(w.index);
    if (!e || (e.word && e.word !== w.word)) return { ...w, pending: false };
    const next = { ...w, edited: true };
    if (e.emotion) next.emotion = e.emotion;
    if (e.intensity != null) next.intensity = e.intensity;
    if (e.strength != null) next.strength = e.strength;
    next.pending = next.emotion !== w.emotion || Math.abs(next.intensity - w.intensity) > 1e-3
      || Math.abs(strengthOf(next) - strengthOf(w)) > 1e-3;
    return next;
  });
}

// Seconds of the axis ticks: about one every 60 px, on 0.1/0.2/0.5/1/2/5 s steps.
export function ticks(duration, plotWidth) {
  const target = (duration * 60) / Math.max(plotWidth, 1);
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];
  const step = steps.find((s) => s >= target) ?? 60;
  const out = [];
  for (let t = 0; t <= duration + 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
}

// Undo and redo of the override text: each edit records the text it replaced.
export class EditHistory {
  constructor(limit = 200) {
    this.limit = limit;
    this.past = [];
    this.future = [];
  }

  record(before, after) {
    if (before === after) return;
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  // The text to go back to from `current`, or null when there is nothing to undo.
  undo(current) {
    if (!this.past.length) return null;
    this.future.push(current);
    return this.past.pop();
  }

  redo(current) {
    if (!this.future.length) return null;
    this.past.push(current);
    return this.future.pop();
  }
}

// One press on the timeline: a drag of a word's dot (intensity) or a click on a word (its emotion menu).
// release() says what the gesture did; cancel() (pointercancel, lost capture, Escape) ends it doing nothing.
export class PointerGesture {
  constructor(clickSlop = 3) {
    this.clickSlop = clickSlop;
    this.press = null;
  }

  get dragging() {
    return this.press?.hit.kind === "handle" ? this.press.hit.index : null;
  }

  get value() {
    return this.press?.value ?? null;
  }

  start(hit, x, y) {
    this.press = { hit, x, y, moved: false, value: null };
  }

  // `valueAt(y)` converts the pointer height to an intensity while a dot is dragged.
  move(x, y, valueAt) {
    if (!this.press) return false;
    if (Math.hypot(x - this.press.x, y - this.press.y) > this.clickSlop) this.press.moved = true;
    if (this.dragging == null || !this.press.moved) return false;
    this.press.value = valueAt(y);
    return true;
  }

  // {kind: "intensity", index, value} after a drag, {kind: "menu", index} after a click, null otherwise.
  release() {
    const press = this.press;
    this.press = null;
    if (!press) return null;
    if (press.hit.kind === "handle" && press.moved && press.value != null) {
      return { kind: "intensity", index: press.hit.index, value: press.value };
    }
    if (!press.moved) return { kind: "menu", index: press.hit.index };
    return null;
  }

  cancel() {
    const active = this.press != null;
    this.press = null;
    return active;
  }
}
