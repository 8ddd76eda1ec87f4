// Unit tests of web/timeline_model.js, run by `node --test tests/js/` (tests/test_frontend_js.py does it in pytest).
import assert from "node:assert/strict";
import { test } from "node:test";

import { LABEL_GAP, LABEL_PAD, MAX_LABEL_ROWS, elide, overlappingLabels } from "../../web/timeline_labels.js";
import {
  DEFAULT_STRENGTH,
  EDITS_FORMAT,
  EMOTIONS,
  EMOTION_COLORS,
  MAX_STRENGTH,
  MAX_ZOOM,
  EditHistory,
  PointerGesture,
  applyEdit,
  clampView,
  colorOf,
  computeLayout,
  contentText,
  editRulesOf,
  emotionsOf,
  followTime,
  hitTest,
  intensityAt,
  previewWords,
  readEdits,
  strengthOf,
  ticks,
  zoomAt,
} from "../../web/timeline_model.js";

const payload = {
  duration: 2.0,
  fps: 25,
  mode: "embedded",
  words: [
    { index: 0, word: "Hello", start: 0.1, end: 0.5, emotion: "happy", intensity: 0.6, edited: false },
    { index: 1, word: "there", start: 0.7, end: 1.2, emotion: "sad", intensity: 0.2, edited: false },
  ],
  intensity: new Array(50).fill(0.4),
  frame_emotion: new Array(50).fill(1),
};

test("every class has a distinct colour", () => {
  assert.equal(EMOTIONS.length, 7);
  assert.equal(new Set(EMOTIONS.map((e) => EMOTION_COLORS[e])).size, 7);
});

test("words sit on the time axis in order and handles at their intensity", () => {
  const layout = computeLayout(payload, 400, 190);
  const [a, b] = layout.words;
  assert.ok(a.band.x < b.band.x && a.band.x + a.band.w <= b.band.x);
  assert.ok(Math.abs(layout.xOf(2.0) - (layout.plot.x + layout.plot.w)) < 1e-9);
  assert.ok(a.handle.y < b.handle.y, "higher intensity is drawn higher");
  assert.equal(intensityAt(layout, a.handle.y), 0.6);
  assert.equal(intensityAt(layout, layout.plot.y - 50), 1);
  assert.equal(intensityAt(layout, layout.plot.y + layout.plot.h + 50), 0);
});

test("hit testing finds handles first, then words, then nothing", () => {
  const layout = computeLayout(payload, 400, 190);
  const b = layout.words[1];
  assert.deepEqual(hitTest(layout, b.handle.x + 2, b.handle.y - 2), { kind: "handle", index: 1 });
  assert.deepEqual(hitTest(layout, b.band.x + 1, b.band.y + 5), { kind: "word", index: 1 });
  assert.deepEqual(hitTest(layout, b.column.x + 1, b.column.y + b.column.h - 1), { kind: "word", index: 1 });
  assert.equal(hitTest(layout, layout.xOf(1.8), layout.plot.y + 5), null);
});

test("edits accumulate per word in the override JSON the node reads", () => {
  let text = applyEdit("", payload.words[1], { intensity: 0.834 });
  text = applyEdit(text, payload.words[0], { emotion: "angry" });
  text = applyEdit(text, payload.words[1], { emotion: "fearful" });
  const data = JSON.parse(text);
  assert.equal(data.format, EDITS_FORMAT);
  assert.deepEqual(data.words, [
    { index: 0, word: "Hello", emotion: "angry" },
    { index: 1, word: "there", intensity: 0.834, emotion: "fearful" },
  ]);
  assert.throws(() => applyEdit(text, payload.words[0], { emotion: "bored" }), /unknown emotion/);
});

test("a pasted plan becomes edits; a pasted track or broken JSON is replaced", () => {
  const plan = JSON.stringify({ format: "ectfg.plan/1", words: payload.words.map(({ word, start, end, emotion, intensity }) => ({ word, start, end, emotion, intensity })) });
  assert.deepEqual(readEdits(plan).edits.map((e) => e.index), [0, 1]);
  assert.deepEqual(readEdits('{"fps": 25, "frames": []}'), { edits: [], replaced: true });
  assert.deepEqual(readEdits("{oops"), { edits: [], replaced: true });
  assert.deepEqual(readEdits("  "), { edits: [], replaced: false });
  const text = applyEdit('{"fps": 25, "frames": []}', payload.words[0], { intensity: 1 });
  assert.deepEqual(JSON.parse(text).words, [{ index: 0, word: "Hello", intensity: 1 }]);
});

test("the preview shows pending edits and ignores edits made for other words", () => {
  const text = applyEdit("", payload.words[1], { emotion: "angry", intensity: 0.9 });
  const words = previewWords(payload, text);
  assert.equal(words[1].emotion, "angry");
  assert.equal(words[1].intensity, 0.9);
  assert.ok(words[1].pending && words[1].edited);
  assert.ok(!words[0].pending && !words[0].edited);
  const stale = JSON.stringify({ words: [{ index: 1, word: "elsewhere", emotion: "angry" }] });
  assert.equal(previewWords(payload, stale)[1].emotion, "sad");
  // After the run the payload carries the edit: nothing is pending any more.
  const ran = { ...payload, words: [payload.words[0], { ...payload.words[1], emotion: "angry", intensity: 0.9, edited: true }] };
  assert.ok(!previewWords(ran, text)[1].pending);
});

test("axis ticks are about 60 px apart on round steps", () => {
  assert.deepEqual(ticks(2.0, 400), [0, 0.5, 1, 1.5, 2]);
  assert.deepEqual(ticks(30, 300), [0, 10, 20, 30]);
});

test("a word's expression strength round-trips through the edits and shows as pending", () => {
  let text = applyEdit("", payload.words[1], { strength: 1.456 });
  text = applyEdit(text, payload.words[1], { intensity: 0.3 });
  text = applyEdit(text, payload.words[0], { strength: 7 });
  assert.deepEqual(JSON.parse(text).words, [
    { index: 0, word: "Hello", strength: MAX_STRENGTH },
    { index: 1, word: "there", strength: 1.46, intensity: 0.3 },
  ]);
  assert.deepEqual(readEdits(text).edits[1], { index: 1, word: "there", intensity: 0.3, strength: 1.46 });
  assert.throws(() => applyEdit(text, payload.words[0], { strength: "lots" }), /strength must be a number/);
  const words = previewWords(payload, applyEdit("", payload.words[0], { strength: 0 }));
  assert.equal(words[0].strength, 0);
  assert.ok(words[0].pending && !words[1].pending);
  assert.equal(strengthOf(words[1]), DEFAULT_STRENGTH);
  // After the run the payload carries the strength: the same edit is no longer pending; setting it back to 1 is.
  const ran = { ...payload, words: [{ ...payload.words[0], strength: 0, edited: true }, payload.words[1]] };
  assert.ok(!previewWords(ran, applyEdit("", payload.words[0], { strength: 0 }))[0].pending);
  assert.ok(previewWords(ran, applyEdit("", payload.words[0], { strength: 1 }))[0].pending);
});

// --- labels, zoom, undo, gestures (issue 13: a timeline that stays legible for any length) ---

// Text widths like an 11 px sans-serif: narrow, wide and capital letters differ, as measureText reports them.
function measure(text) {
  let w = 0;
  for (const ch of String(text)) {
    if ("iljtfrI.,'!:;|".includes(ch)) w += 3.1;
    else if ("mwMW".includes(ch)) w += 9.2;
    else if (ch === "…") w += 11;
    else if (ch >= "A" && ch <= "Z") w += 7.4;
    else w += 6.1;
  }
  return w;
}

const VOCABULARY = ["I", "a", "But", "where", "were", "you", "yesterday", "glad", "so", "am", "Hello", "extraordinarily",
  "it", "came", "unbelievable", "we", "never", "thought", "of", "disappointment", "oh", "Well", "misunderstanding", "to"];

// A speech of n words with varied lengths and durations (deterministic), short words packed tight.
function speech(n, seed = 7) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  let t = 0.05;
  const words = [];
  for (let i = 0; i < n; i++) {
    const word = VOCABULARY[Math.floor(rand() * VOCABULARY.length)];
    const dur = 0.06 + 0.045 * word.length * (0.6 + rand() * 0.8);
    words.push({ index: i, word, start: t, end: t + dur, emotion: EMOTIONS[i % 7], intensity: rand(), edited: false });
    t += dur + (rand() < 0.2 ? 0.15 : 0.0);
  }
  return { duration: t + 0.1, fps: 25, mode: "embedded", words, intensity: [], frame_emotion: [] };
}

for (const n of [12, 60, 200]) {
  for (const width of [420, 900]) {
    test(`${n} words at ${width} px: no two label boxes overlap, every word is reachable`, () => {
      const p = speech(n);
      for (const [zoom, scroll] of [[1, 0], [2.5, 0], [2.5, 333], [8, 1e9]]) {
        const layout = computeLayout(p, width, 270, { measure, view: { zoom, scroll } });
        assert.deepEqual(overlappingLabels(layout.words.map((w) => w.label)), []);
        layout.words.forEach((geo, i) => {
          const l = geo.label;
          if (!l.hidden) {
            assert.ok(l.text === l.full || (l.text.endsWith("…") && l.full.startsWith(l.text.slice(0, -1))), l.text);
            assert.ok(measure(l.text) + 2 * LABEL_PAD <= l.w + 1e-6, `${l.text} spills out of its box`);
            // Inside the visible plot: a zoomed view shows no label cut at its edges.
            assert.ok(l.x >= layout.plot.x - 1e-6 && l.x + l.w <= layout.plot.x + layout.plot.w + 1e-6);
          }
          // The word's strip is a click target even when its label is hidden; the hover card then shows the word.
          const s = geo.strip;
          if (s.x + s.w / 2 >= layout.plot.x && s.x + s.w / 2 <= layout.plot.x + layout.plot.w) {
            assert.deepEqual(hitTest(layout, s.x + s.w / 2, s.y + s.h / 2), { kind: "word", index: p.words[i].index });
          }
        });
        assert.ok(layout.rows <= MAX_LABEL_ROWS);
      }
    });
  }
}

test("short neighbours such as 'But' and 'where' never print as one", () => {
  const p = { duration: 1, words: [
    { index: 0, word: "But", start: 0.2, end: 0.26, emotion: "angry", intensity: 0.5 },
    { index: 1, word: "where", start: 0.26, end: 0.34, emotion: "angry", intensity: 0.5 },
  ] };
  const [a, b] = computeLayout(p, 400, 270, { measure }).words.map((w) => w.label);
  assert.ok(!a.hidden && !b.hidden && a.text === "But" && b.text === "where");
  assert.ok(a.row !== b.row || b.x - (a.x + a.w) >= LABEL_GAP, "a visible gap or another row separates them");
});

test("twelve words on a wide timeline all show in full", () => {
  const layout = computeLayout(speech(12), 900, 270, { measure });
  assert.ok(layout.words.every((w) => w.label.text === w.label.full));
});

test("zooming in stretches the time axis around the anchor and shows more words in full", () => {
  const p = speech(200);
  const plotWidth = computeLayout(p, 600, 270, { measure }).plot.w;
  const fit = computeLayout(p, 600, 270, { measure });
  const view = zoomAt({ zoom: 1, scroll: 0 }, 4, plotWidth / 2, plotWidth);
  assert.equal(view.zoom, 4);
  const zoomed = computeLayout(p, 600, 270, { measure, view });
  const span = (l) => l.xOf(2) - l.xOf(1);
  assert.ok(Math.abs(span(zoomed) / span(fit) - 4) < 1e-9);
  // The time that was under the anchor is still there.
  assert.ok(Math.abs(zoomed.timeAt(fit.plot.x + plotWidth / 2) - fit.timeAt(fit.plot.x + plotWidth / 2)) < 1e-9);
  const full = (l) => l.words.filter((w) => w.label.text === w.label.full).length;
  assert.ok(full(zoomed) > full(fit), `${full(zoomed)} vs ${full(fit)}`);
  // Scrolling stays inside the content; zoom stays within 1..MAX_ZOOM.
  assert.deepEqual(clampView({ zoom: 4, scroll: 1e9 }, plotWidth), { zoom: 4, scroll: plotWidth * 3 });
  assert.deepEqual(clampView({ zoom: 0.2, scroll: -5 }, plotWidth), { zoom: 1, scroll: 0 });
  assert.equal(zoomAt(view, 1000, 0, plotWidth).zoom, MAX_ZOOM);
  // Following the playhead scrolls just enough to bring it into view.
  const late = followTime(view, p.duration * 0.9, p.duration, plotWidth);
  const x = (0.9 * plotWidth * 4) - late.scroll;
  assert.ok(x >= plotWidth * 0.1 && x <= plotWidth * 0.9);
  assert.deepEqual(followTime(late, p.duration * 0.9, p.duration, plotWidth), late);
});

test("hit testing ignores what is scrolled out of the plot", () => {
  const p = speech(60);
  const layout = computeLayout(p, 600, 270, { measure, view: { zoom: 6, scroll: 900 } });
  const gone = layout.words.find((w) => w.handle.x < layout.plot.x - 20);
  assert.equal(hitTest(layout, gone.handle.x, gone.handle.y), null);
});

test("undo and redo walk back and forth through the edits", () => {
  const history = new EditHistory();
  let text = "";
  const edit = (word, change) => {
    const next = applyEdit(text, word, change);
    history.record(text, next);
    text = next;
  };
  edit(payload.words[0], { intensity: 0.9 });
  const afterFirst = text;
  edit(payload.words[1], { emotion: "angry" });
  edit(payload.words[1], { strength: 1.5 });
  assert.ok(history.canUndo && !history.canRedo);
  text = history.undo(text);
  assert.equal(readEdits(text).edits[1].strength, undefined);
  text = history.undo(text);
  assert.equal(text, afterFirst);
  text = history.undo(text);
  assert.equal(text, "");
  assert.equal(history.undo(text), null);
  text = history.redo(text);
  assert.equal(text, afterFirst);
  history.record(text, applyEdit(text, payload.words[0], { emotion: "sad" }));
  assert.ok(!history.canRedo, "a new edit drops the redo list");
});

test("a cancelled drag (pointercancel, lost capture) writes nothing and leaves no drag behind", () => {
  const gesture = new PointerGesture();
  gesture.start({ kind: "handle", index: 1 }, 100, 100);
  assert.equal(gesture.dragging, 1);
  assert.ok(gesture.move(100, 60, () => 0.85));
  assert.equal(gesture.value, 0.85);
  assert.ok(gesture.cancel());
  assert.equal(gesture.dragging, null);
  assert.equal(gesture.value, null);
  assert.equal(gesture.release(), null, "the pointerup after a cancel does nothing");
  assert.equal(gesture.cancel(), false);
  // A finished drag gives the intensity edit; a press without movement is a click (the emotion menu).
  gesture.start({ kind: "handle", index: 1 }, 100, 100);
  gesture.move(100, 60, () => 0.7);
  assert.deepEqual(gesture.release(), { kind: "intensity", index: 1, value: 0.7 });
  gesture.start({ kind: "word", index: 0 }, 10, 10);
  gesture.move(11, 10, () => 0.1);
  assert.deepEqual(gesture.release(), { kind: "menu", index: 0 });
  assert.equal(gesture.dragging, null);
});

test("the emotion list, edit format and strength range come from the payload when it carries them", () => {
  const custom = { ...payload, emotions: ["calm", "joy", "grief"], edits_format: "ectfg.edits/2", strength_range: [0, 3] };
  const rules = editRulesOf(custom);
  assert.deepEqual(rules.emotions, ["calm", "joy", "grief"]);
  const text = applyEdit("", payload.words[0], { emotion: "grief", strength: 2.8 }, rules);
  assert.equal(JSON.parse(text).format, "ectfg.edits/2");
  assert.equal(JSON.parse(text).words[0].strength, 2.8);
  assert.throws(() => applyEdit("", payload.words[0], { emotion: "happy" }, rules), /unknown emotion/);
  assert.equal(new Set(rules.emotions.map((e) => colorOf(e, rules.emotions))).size, 3);
  assert.deepEqual(emotionsOf({}), EMOTIONS);
  assert.equal(editRulesOf({}).format, EDITS_FORMAT);
  assert.equal(colorOf("happy"), EMOTION_COLORS.happy);
});

test("elision keeps a prefix and the ellipsis within the width", () => {
  assert.equal(elide("yesterday", 1000, measure), "yesterday");
  const short = elide("yesterday", 30, measure);
  assert.ok(short.endsWith("…") && measure(short) <= 30 && "yesterday".startsWith(short.slice(0, -1)));
  assert.equal(elide("yesterday", 5, measure), "");
});

test("the header names the content amount and the description's stance when the payload has them", () => {
  assert.equal(contentText({ content: 0.5 }), "content 0.50");
  assert.equal(contentText({ content: 0, content_stance: "invite" }), "content 0.00, invited by the description");
  assert.equal(contentText({ content: 1, content_stance: "refuse" }), "content 1.00, refused by the description");
  assert.equal(contentText({ content: null }), "");
  assert.equal(contentText({}), "");
});

test("the label cache is reused while only intensities change and refreshed when the view changes", () => {
  const p = speech(60);
  const cache = {};
  const first = computeLayout(p, 600, 270, { measure, labelCache: cache });
  const dragged = { ...p, words: p.words.map((w, i) => (i === 3 ? { ...w, intensity: 1 } : w)) };
  const again = computeLayout(dragged, 600, 270, { measure, labelCache: cache });
  assert.equal(again.words[5].label, first.words[5].label, "same boxes, not laid out again");
  assert.ok(again.words[3].handle.y < first.words[3].handle.y, "the dragged dot still moves");
  const zoomed = computeLayout(p, 600, 270, { measure, labelCache: cache, view: { zoom: 2, scroll: 0 } });
  assert.notEqual(zoomed.words[5].label, first.words[5].label);
  assert.deepEqual(zoomed.words.map((w) => w.label), computeLayout(p, 600, 270, { measure, view: { zoom: 2, scroll: 0 } }).words.map((w) => w.label));
});
