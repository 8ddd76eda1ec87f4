// Unit tests of web/timeline_model.js, run by `node --test tests/js/` (tests/test_frontend_js.py does it in pytest).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_STRENGTH,
  EDITS_FORMAT,
  EMOTIONS,
  EMOTION_COLORS,
  MAX_STRENGTH,
  applyEdit,
  computeLayout,
  hitTest,
  intensityAt,
  previewWords,
  readEdits,
  strengthOf,
  ticks,
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
