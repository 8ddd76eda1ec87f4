// Pure logic of the emotion timeline: geometry, hit testing and the override JSON the edits produce.
// No DOM and no ComfyUI imports, so Node runs it in tests (tests/js/timeline_model.test.mjs).

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
const HIT_SLOP = 4;
const PAD = { left: 30, right: 10, top: 6, bottom: 18 };
const WORD_BAND = 20;

// Geometry in CSS pixels of the timeline canvas.
export function computeLayout(payload, width, height) {
  const duration = Math.max(payload?.duration || 0, 1e-3);
  const plot = {
    x: PAD.left,
    y: PAD.top + WORD_BAND + 4,
    w: Math.max(width - PAD.left - PAD.right, 10),
    h: Math.max(height - PAD.top - WORD_BAND - 4 - PAD.bottom, 10),
  };
  const xOf = (t) => plot.x + (Math.min(Math.max(t, 0), duration) / duration) * plot.w;
  const yOf = (v) => plot.y + (1 - Math.min(Math.max(v, 0), 1)) * plot.h;
  const words = (payload?.words || []).map((w) => {
    const x0 = xOf(w.start);
    const x1 = Math.max(xOf(w.end), x0 + 1);
    return {
      index: w.index,
      band: { x: x0, y: PAD.top, w: x1 - x0, h: WORD_BAND },
      column: { x: x0, y: plot.y, w: x1 - x0, h: plot.h },
      handle: { x: (x0 + x1) / 2, y: yOf(w.intensity) },
    };
  });
  return { width, height, duration, plot, words, xOf, yOf };
}

// Which part of the timeline is under (x, y): a keyframe handle, a word, or nothing.
export function hitTest(layout, x, y) {
  let best = null;
  for (const w of layout.words) {
    const d = Math.hypot(x - w.handle.x, y - w.handle.y);
    if (d <= HANDLE_RADIUS + HIT_SLOP && (!best || d < best.d)) best = { d, index: w.index };
  }
  if (best) return { kind: "handle", index: best.index };
  for (const w of layout.words) {
    for (const r of [w.band, w.column]) {
      if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) return { kind: "word", index: w.index };
    }
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
export function applyEdit(text, word, change) {
  const { edits } = readEdits(text);
  let entry = edits.find((e) => e.index === word.index);
  if (!entry) {
    entry = { index: word.index, word: word.word };
    edits.push(entry);
  }
  entry.word = word.word;
  if (change.emotion != null) {
    if (!EMOTIONS.includes(change.emotion)) throw new Error(`unknown emotion ${change.emotion}`);
    entry.emotion = change.emotion;
  }
  if (change.intensity != null) entry.intensity = Math.round(Math.min(Math.max(change.intensity, 0), 1) * 1000) / 1000;
  if (change.strength != null) {
    const value = Number(change.strength);
    if (!Number.isFinite(value)) throw new Error(`strength must be a number from 0 to ${MAX_STRENGTH}`);
    entry.strength = Math.round(Math.min(Math.max(value, 0), MAX_STRENGTH) * 100) / 100;
  }
  edits.sort((a, b) => a.index - b.index);
  return JSON.stringify({ format: EDITS_FORMAT, words: edits }, null, 1);
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
