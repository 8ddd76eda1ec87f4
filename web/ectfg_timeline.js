// ComfyUI frontend extension: the emotion timeline on the "Emotion Track Editor (ectfg)" node.
// After a run the node's UI output (key "ectfg_timeline") is drawn in a DOM widget; dragging a word's dot, picking a
// word's emotion or typing its expression strength (the field under the timeline, for the last word clicked) writes
// the edit into the node's override_json widget, which the next run applies.

import { app } from "../../scripts/app.js";
import { MAX_STRENGTH, applyEdit, computeLayout, hitTest, intensityAt, previewWords, readEdits, strengthOf } from "./timeline_model.js";
import { drawTimeline, openEmotionMenu } from "./timeline_view.js";

const NODE_CLASS = "ECTFG_EmotionTrackEditor";
const UI_KEY = "ectfg_timeline";
const WIDGET_HEIGHT = 190;
const CLICK_SLOP = 3;

class Timeline {
  constructor(node) {
    this.node = node;
    this.payload = null;
    this.state = { dragging: null, hover: null, selected: null };
    this.dragValue = null;

    this.root = document.createElement("div");
    Object.assign(this.root.style, { display: "flex", flexDirection: "column", gap: "2px", width: "100%", height: "100%" });
    this.canvas = document.createElement("canvas");
    Object.assign(this.canvas.style, { flex: "1 1 auto", width: "100%", minHeight: "0", borderRadius: "4px", touchAction: "none" });
    const bar = document.createElement("div");
    Object.assign(bar.style, { display: "flex", alignItems: "center", gap: "6px", font: "11px sans-serif", color: "#aaa" });
    this.status = document.createElement("span");
    this.status.style.flex = "1";
    this.clear = document.createElement("button");
    this.clear.type = "button";
    this.clear.textContent = "Clear edits";
    Object.assign(this.clear.style, { font: "inherit", padding: "1px 6px", cursor: "pointer" });
    this.clear.addEventListener("click", () => this.writeOverride(""));
    // Expression strength of the selected word: 0 = no expression, 1 = default, 2 = exaggerated.
    this.strengthLabel = document.createElement("label");
    Object.assign(this.strengthLabel.style, { display: "flex", alignItems: "center", gap: "3px" });
    this.strengthName = document.createElement("span");
    this.strength = document.createElement("input");
    Object.assign(this.strength, { type: "number", min: "0", max: String(MAX_STRENGTH), step: "0.05", disabled: true });
    this.strength.title = "Expression strength of the selected word: 0 = no expression, 1 = default, 2 = exaggerated";
    Object.assign(this.strength.style, { width: "4.5em", font: "inherit" });
    this.strength.addEventListener("change", () => this.onStrength());
    this.strength.addEventListener("keydown", (e) => e.stopPropagation()); // typing here must not trigger graph shortcuts
    this.strengthLabel.append(this.strengthName, this.strength);
    bar.append(this.status, this.strengthLabel, this.clear);
    this.root.append(this.canvas, bar);

    this.canvas.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.onPointerMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.onPointerUp(e));
    this.canvas.addEventListener("pointerleave", () => { if (this.state.hover != null) { this.state.hover = null; this.draw(); } });
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(this.canvas);
  }

  get overrideWidget() {
    return this.node.widgets?.find((w) => w.name === "override_json");
  }

  get overrideText() {
    return this.overrideWidget?.value ?? "";
  }

  // The override_json input may be converted to a socket and fed by another node; then edits cannot be stored.
  get overrideLinked() {
    return this.node.inputs?.some((i) => i.name === "override_json" && i.link != null) ?? false;
  }

  setPayload(payload) {
    this.payload = payload;
    this.draw();
  }

  words() {
    return previewWords(this.payload, this.overrideText).map((w) =>
      this.state.dragging === w.index && this.dragValue != null ? { ...w, intensity: this.dragValue, edited: true, pending: true } : w,
    );
  }

  layout() {
    const width = this.canvas.clientWidth || 300;
    const height = this.canvas.clientHeight || 150;
    const words = this.words();
    return { layout: computeLayout({ ...this.payload, words }, width, height), words };
  }

  draw() {
    const dpr = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (!width || !height) return;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { layout, words } = this.layout();
    drawTimeline(ctx, layout, this.payload, words, this.state);
    this.updateStatus(words);
  }

  updateStatus(words) {
    const pending = words.filter((w) => w.pending).length;
    const edited = words.filter((w) => w.edited).length;
    let text;
    if (!this.payload) text = "Drag a dot: intensity. Click a word: emotion.";
    else if (this.overrideLinked) text = "override_json is connected to another node: edits here are not stored.";
    else if (readEdits(this.overrideText).replaced) text = "override_json holds a pasted track; an edit here replaces it.";
    else if (pending) text = `${pending} edit(s) pending: queue the prompt to apply.`;
    else if (edited) text = `${edited} word(s) edited (${this.payload.mode}).`;
    else text = `${this.payload.words.length} words, ${this.payload.duration.toFixed(2)} s (${this.payload.mode}).`;
    this.status.textContent = text;
    this.clear.disabled = !this.overrideText;
    const selected = words.find((w) => w.index === this.state.selected);
    this.strengthName.textContent = selected ? `"${selected.word}" strength` : "strength";
    this.strength.disabled = !selected || this.overrideLinked;
    if (document.activeElement !== this.strength) this.strength.value = selected ? strengthOf(selected).toFixed(2) : "";
  }

  onStrength() {
    const word = this.payload?.words.find((w) => w.index === this.state.selected);
    const value = parseFloat(this.strength.value);
    if (!word || !Number.isFinite(value)) {
      this.draw();
      return;
    }
    this.writeOverride(applyEdit(this.overrideText, word, { strength: value }));
  }

  // Pointer position in the canvas' own CSS pixels; the graph zoom scales the element with a CSS transform.
  localPoint(e) {
    const rect = this.canvas.getBoundingClientRect();
    const sx = this.canvas.clientWidth / (rect.width || 1);
    const sy = this.canvas.clientHeight / (rect.height || 1);
    return { x: (e.clientX - rect.left) * sx, y: (e.clientY - rect.top) * sy };
  }

  onPointerDown(e) {
    if (!this.payload || e.button !== 0) return;
    const p = this.localPoint(e);
    const hit = hitTest(this.layout().layout, p.x, p.y);
    if (!hit) return;
    e.preventDefault();
    e.stopPropagation(); // keep the graph canvas from starting a node drag
    this.press = { hit, x: e.clientX, y: e.clientY, moved: false };
    this.state.selected = hit.index; // the strength field edits the word last clicked or dragged
    if (hit.kind === "handle") {
      this.state.dragging = hit.index;
      this.canvas.setPointerCapture(e.pointerId);
    }
  }

  onPointerMove(e) {
    if (!this.payload) return;
    const p = this.localPoint(e);
    const { layout } = this.layout();
    if (this.press && Math.hypot(e.clientX - this.press.x, e.clientY - this.press.y) > CLICK_SLOP) this.press.moved = true;
    if (this.state.dragging != null) {
      this.dragValue = intensityAt(layout, p.y);
      this.draw();
      return;
    }
    const hit = hitTest(layout, p.x, p.y);
    const hover = hit?.kind === "handle" ? hit.index : null;
    this.canvas.style.cursor = hit ? (hit.kind === "handle" ? "ns-resize" : "pointer") : "default";
    if (hover !== this.state.hover) {
      this.state.hover = hover;
      this.draw();
    }
  }

  onPointerUp(e) {
    const press = this.press;
    this.press = null;
    if (!press) return;
    e.stopPropagation();
    const word = this.payload.words.find((w) => w.index === press.hit.index);
    if (this.state.dragging != null) {
      const value = this.dragValue;
      this.state.dragging = null;
      this.dragValue = null;
      if (press.moved && value != null) {
        this.writeOverride(applyEdit(this.overrideText, word, { intensity: value }));
        return;
      }
    }
    if (!press.moved) {
      const current = this.words().find((w) => w.index === word.index)?.emotion;
      openEmotionMenu(e.clientX, e.clientY, current, (emotion) => {
        this.writeOverride(applyEdit(this.overrideText, word, { emotion }));
      });
    }
    this.draw();
  }

  writeOverride(text) {
    const widget = this.overrideWidget;
    if (!widget || this.overrideLinked) {
      this.draw();
      return;
    }
    widget.value = text;
    widget.callback?.(text);
    this.node.setDirtyCanvas?.(true, true);
    this.node.graph?.change?.(); // marks the workflow modified
    this.draw();
  }

  // Client coordinates of a word's handle and band: used by the browser tests, handy when debugging.
  clientPoints(index) {
    const rect = this.canvas.getBoundingClientRect();
    const { layout } = this.layout();
    const geo = layout.words.find((w) => w.index === index);
    if (!geo) return null;
    const sx = rect.width / (this.canvas.clientWidth || 1);
    const sy = rect.height / (this.canvas.clientHeight || 1);
    const at = (x, y) => ({ x: rect.left + x * sx, y: rect.top + y * sy });
    return {
      handle: at(geo.handle.x, geo.handle.y),
      band: at(geo.band.x + geo.band.w / 2, geo.band.y + geo.band.h / 2),
      plotTop: rect.top + layout.plot.y * sy,
      plotBottom: rect.top + (layout.plot.y + layout.plot.h) * sy,
    };
  }

  dispose() {
    this.resizeObserver.disconnect();
    document.querySelectorAll(".ectfg-emotion-menu").forEach((el) => el.remove());
  }
}

app.registerExtension({
  name: "ectfg.EmotionTimeline",

  nodeCreated(node) {
    if (node.constructor?.comfyClass !== NODE_CLASS) return;
    const timeline = new Timeline(node);
    const widget = node.addDOMWidget("timeline", "ectfg_timeline", timeline.root, {
      serialize: false, // the drawing is rebuilt from each run's output; only override_json is saved
      hideOnZoom: false,
      getMinHeight: () => WIDGET_HEIGHT,
      getMaxHeight: () => WIDGET_HEIGHT * 3,
    });
    widget.serialize = false;
    const onRemove = widget.onRemove;
    widget.onRemove = function () {
      timeline.dispose();
      return onRemove?.apply(this, arguments);
    };
    node.ectfgTimeline = timeline;

    // onExecuted receives this node's UI output; chaining keeps whatever else is attached to the node.
    const onExecuted = node.onExecuted;
    node.onExecuted = function (output) {
      const result = onExecuted?.apply(this, arguments);
      const payload = output?.[UI_KEY]?.[0];
      if (payload) timeline.setPayload(payload);
      return result;
    };

    // Edits typed by hand into override_json redraw the preview too.
    const overrideWidget = timeline.overrideWidget;
    if (overrideWidget) {
      const callback = overrideWidget.callback;
      overrideWidget.callback = function () {
        const result = callback?.apply(this, arguments);
        timeline.draw();
        return result;
      };
    }
    const [w, h] = node.size;
    node.setSize([Math.max(w, 460), Math.max(h, WIDGET_HEIGHT + 150)]);
  },
});
