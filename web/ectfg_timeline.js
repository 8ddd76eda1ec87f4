// ComfyUI frontend extension: the emotion timeline on the "Emotion Track Editor (ectfg)" node.
// After a run the node's UI output (key "ectfg_timeline") is drawn in a DOM widget and kept in the node's properties,
// so the drawing survives a page reload and a workflow save/load. Dragging a word's dot, picking a word's emotion or
// typing its expression strength writes the edit into the node's override_json widget, which the next run applies;
// Undo / Ctrl+Z takes edits back. Zoom (Ctrl+wheel, pinch, the +/- buttons) and scroll (Shift+wheel, the bar under
// the plot) keep long texts legible, and a playhead follows the speech while any preview of it plays in the page.

import { app } from "../../scripts/app.js";
import {
  EditHistory, PointerGesture, applyEdit, clampView, computeLayout, contentText, editRulesOf, emotionsOf, followTime, hitTest,
  intensityAt, previewWords, readEdits, strengthOf, zoomAt,
} from "./timeline_model.js";
import { FONT, drawTimeline, fillLegend, openEmotionMenu } from "./timeline_view.js";

const NODE_CLASS = "ECTFG_EmotionTrackEditor";
const UI_KEY = "ectfg_timeline";
const PAYLOAD_PROPERTY = "ectfg_timeline"; // node.properties key holding the last drawing (saved with the workflow)
const WIDGET_HEIGHT = 270;
const ZOOM_STEP = 1.5;
const TOUCH_EVENTS = ["touchstart", "touchmove", "touchend", "touchcancel"];
const MEDIA_EVENTS = ["play", "playing", "pause", "ended", "seeked", "timeupdate", "emptied"];

function button(text, title, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = title;
  Object.assign(b.style, { font: "inherit", padding: "1px 6px", cursor: "pointer", minWidth: "22px" });
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function row(...children) {
  const r = document.createElement("div");
  Object.assign(r.style, { display: "flex", alignItems: "center", gap: "6px", font: "11px sans-serif", color: "#aaa", minHeight: "20px" });
  r.append(...children);
  return r;
}

// Keeps the drawing in the node's properties, which the workflow (saved, exported, or kept by the browser for a
// reload) carries. Telling the workflow's change tracker stores it at once, as any edit of the graph would be.
function storeInProperties(node, payload) {
  node.properties ??= {};
  if (JSON.stringify(node.properties[PAYLOAD_PROPERTY] ?? null) === JSON.stringify(payload)) return;
  node.properties[PAYLOAD_PROPERTY] = payload;
  app.extensionManager?.workflow?.activeWorkflow?.changeTracker?.checkState?.();
}

class Timeline {
  constructor(node) {
    this.node = node;
    this.payload = null;
    this.state = { hover: null, selected: null, pointer: null, playhead: null };
    this.view = { zoom: 1, scroll: 0 };
    this.gesture = new PointerGesture();
    this.history = new EditHistory();
    this.widths = new Map();
    this.media = null;
    this.labelCache = {};
    this.touches = new Map(); // touch pointers down on the canvas, for the pinch
    this.pinch = null;

    this.root = document.createElement("div");
    Object.assign(this.root.style, { position: "relative", display: "flex", flexDirection: "column", gap: "2px", width: "100%", height: "100%" });

    // Header: what was drawn (or what is pending), then play and zoom.
    this.status = document.createElement("span");
    Object.assign(this.status.style, { flex: "1", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" });
    this.play = button("▶", "Play the speech: plays this run's audio or video preview in the graph; the playhead follows it", () => this.togglePlay());
    this.zoomOut = button("−", "Zoom out (Ctrl+wheel)", () => this.zoomBy(1 / ZOOM_STEP));
    this.zoomLabel = document.createElement("span");
    Object.assign(this.zoomLabel.style, { minWidth: "3em", textAlign: "center" });
    this.zoomIn = button("+", "Zoom in (Ctrl+wheel); Shift+wheel or the bar below scrolls", () => this.zoomBy(ZOOM_STEP));
    this.fit = button("Fit", "Show the whole speech", () => this.setView({ zoom: 1, scroll: 0 }));
    const header = row(this.status, this.play, this.zoomOut, this.zoomLabel, this.zoomIn, this.fit);

    this.canvas = document.createElement("canvas");
    // Keys go to a hidden input focused by a press on the timeline: the frontend leaves keys typed into an input to
    // it, so Ctrl+Z undoes the timeline's last edit and not, in addition, the graph's last change.
    this.keys = document.createElement("input");
    Object.assign(this.keys, { type: "text", readOnly: true, tabIndex: -1 });
    this.keys.setAttribute("aria-label", "Emotion timeline: Ctrl+Z undo, Ctrl+Shift+Z redo, + and - zoom");
    Object.assign(this.keys.style, { position: "absolute", width: "1px", height: "1px", opacity: "0", pointerEvents: "none", left: "0", top: "0" });
    Object.assign(this.canvas.style, { flex: "1 1 auto", width: "100%", minHeight: "0", borderRadius: "4px", touchAction: "none", outline: "none" });

    this.scrollbar = document.createElement("input");
    Object.assign(this.scrollbar, { type: "range", min: "0", max: "1000", step: "1", value: "0" });
    this.scrollbar.title = "Scroll the zoomed timeline";
    Object.assign(this.scrollbar.style, { width: "100%", margin: "0", height: "12px", visibility: "hidden" });
    this.scrollbar.addEventListener("input", () => {
      const layout = this.layout().layout;
      const max = layout.contentWidth - layout.plot.w;
      this.setView({ zoom: this.view.zoom, scroll: (Number(this.scrollbar.value) / 1000) * max });
    });
    this.scrollbar.addEventListener("pointerdown", (e) => e.stopPropagation());

    // Footer: legend, the selected word's expression strength, undo / redo / clear.
    this.legend = document.createElement("span");
    Object.assign(this.legend.style, { flex: "1", display: "flex", flexWrap: "wrap", columnGap: "8px", rowGap: "1px" });
    this.strengthLabel = document.createElement("label");
    Object.assign(this.strengthLabel.style, { display: "flex", alignItems: "center", gap: "3px", whiteSpace: "nowrap" });
    this.strengthName = document.createElement("span");
    this.strength = document.createElement("input");
    Object.assign(this.strength, { type: "number", min: "0", step: "0.05", disabled: true });
    Object.assign(this.strength.style, { width: "4.5em", font: "inherit" });
    this.strength.addEventListener("change", () => this.onStrength());
    this.strength.addEventListener("keydown", (e) => e.stopPropagation()); // typing here must not trigger graph shortcuts
    this.strengthLabel.append(this.strengthName, this.strength);
    this.undoButton = button("Undo", "Undo the last timeline edit (Ctrl+Z; Ctrl+Shift+Z redoes)", () => this.undo());
    this.clear = button("Clear edits", "Remove all edits: the next run uses the prediction as is", () => this.writeOverride(""));
    const footer = row(this.legend, this.strengthLabel, this.undoButton, this.clear);
    footer.style.alignItems = "flex-end";
    this.root.append(header, this.canvas, this.scrollbar, footer, this.keys);

    this.canvas.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.onPointerMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.onPointerUp(e));
    // A drag the browser takes away (touch scroll, a dialog, capture lost) ends without writing anything.
    this.canvas.addEventListener("pointercancel", (e) => {
      this.onTouch(e);
      this.cancelGesture();
    });
    this.canvas.addEventListener("lostpointercapture", () => this.cancelGesture());
    this.canvas.addEventListener("pointerleave", () => {
      if (this.gesture.press) return;
      this.state.hover = null;
      this.state.pointer = null;
      this.draw();
    });
    this.canvas.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    // The graph pinch-zooms on touch events caught on their way down (capture phase): fingers on the timeline must
    // zoom the timeline only, so those touch events stop at the window. Its pointer events (the pinch here) still come.
    this.onTouchEvent = (e) => { if (e.target === this.canvas) e.stopPropagation(); };
    for (const type of TOUCH_EVENTS) window.addEventListener(type, this.onTouchEvent, { capture: true, passive: true });
    this.keys.addEventListener("keydown", (e) => this.onKey(e));
    this.onMedia = (e) => this.followMedia(e);
    for (const type of MEDIA_EVENTS) document.addEventListener(type, this.onMedia, true); // media events do not bubble
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(this.canvas);
    this.draw();
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

  get rules() {
    return editRulesOf(this.payload);
  }

  // `persist`: keep it in the node's properties (a new run's output); false when restoring from them.
  setPayload(payload, persist = true) {
    const durationChanged = Math.abs((payload?.duration ?? 0) - (this.payload?.duration ?? 0)) > 1e-6;
    this.payload = payload;
    this.labelCache = {}; // new words: their labels are laid out afresh
    if (durationChanged) this.view = { zoom: 1, scroll: 0 };
    this.state.playhead = null;
    if (persist) storeInProperties(this.node, payload);
    fillLegend(this.legend, emotionsOf(payload), new Set((payload?.words || []).map((w) => w.emotion)));
    this.draw();
  }

  words() {
    const dragging = this.gesture.dragging;
    const value = this.gesture.value;
    return previewWords(this.payload, this.overrideText).map((w) =>
      dragging === w.index && value != null ? { ...w, intensity: value, edited: true, pending: true } : w,
    );
  }

  measure() {
    const ctx = this.canvas.getContext("2d");
    ctx.font = FONT;
    return (text) => {
      let w = this.widths.get(text);
      if (w == null) {
        w = ctx.measureText(text).width;
        this.widths.set(text, w);
      }
      return w;
    };
  }

  layout() {
    const width = this.canvas.clientWidth || 300;
    const height = this.canvas.clientHeight || 150;
    const words = this.words();
    const layout = computeLayout({ ...this.payload, words }, width, height,
      { view: this.view, measure: this.measure(), labelCache: this.labelCache });
    return { layout, words };
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
    this.view = layout.view; // clamped to this width
    drawTimeline(ctx, layout, this.payload, words, { ...this.state, dragging: this.gesture.dragging });
    this.updateControls(layout, words);
  }

  updateControls(layout, words) {
    const pending = words.filter((w) => w.pending).length;
    const edited = words.filter((w) => w.edited).length;
    const p = this.payload;
    let text;
    if (!p) text = "Drag a dot: intensity. Click a word: emotion.";
    else if (this.overrideLinked) text = "override_json is connected to another node: edits here are not stored.";
    else if (readEdits(this.overrideText).replaced) text = "override_json holds a pasted track; an edit here replaces it.";
    else if (pending) text = `${pending} edit(s) pending: queue the prompt to apply.`;
    else {
      const content = contentText(p);
      text = `${p.words.length} words, ${p.duration.toFixed(2)} s, ${p.mode}` + (content ? `, ${content}` : "")
        + (edited ? `, ${edited} edited` : "");
      const hidden = layout.words.filter((g) => g.label.hidden && g.strip.x + g.strip.w > layout.plot.x
        && g.strip.x < layout.plot.x + layout.plot.w).length; // in view: the scrolled-away ones are not "too tight"
      if (hidden) text += `; ${hidden} hidden: hover or zoom`;
    }
    this.status.textContent = text;
    this.status.title = text;
    this.clear.disabled = !this.overrideText || this.overrideLinked;
    this.undoButton.disabled = !this.history.canUndo || this.overrideLinked;
    const selected = words.find((w) => w.index === this.state.selected);
    const { maxStrength } = this.rules;
    this.strength.max = String(maxStrength);
    this.strength.title = `Expression strength of the selected word: 0 = no expression, 1 = default, ${maxStrength} = exaggerated`;
    this.strengthName.textContent = selected ? `"${selected.word}" strength` : "strength";
    this.strength.disabled = !selected || this.overrideLinked;
    if (document.activeElement !== this.strength) this.strength.value = selected ? strengthOf(selected).toFixed(2) : "";
    this.zoomLabel.textContent = `${Math.round(layout.view.zoom * 100)}%`;
    this.zoomOut.disabled = layout.view.zoom <= 1;
    this.fit.disabled = layout.view.zoom <= 1;
    const max = layout.contentWidth - layout.plot.w;
    this.scrollbar.style.visibility = max > 0.5 ? "visible" : "hidden";
    if (max > 0.5) this.scrollbar.value = String(Math.round((layout.view.scroll / max) * 1000));
    this.play.disabled = !p;
    this.play.textContent = this.media && !this.media.paused ? "❚❚" : "▶";
  }

  setView(view) {
    this.view = view;
    this.draw();
  }

  zoomBy(factor, anchor = null) {
    const { layout } = this.layout();
    const at = anchor ?? (this.state.playhead != null ? layout.xOf(this.state.playhead) - layout.plot.x : layout.plot.w / 2);
    this.setView(zoomAt(this.view, factor, at, layout.plot.w));
  }

  onWheel(e) {
    if (!this.payload) return;
    const { layout } = this.layout();
    if (e.ctrlKey || e.metaKey) { // Ctrl+wheel, and a touchpad pinch (the browser sends it as Ctrl+wheel)
      const p = this.localPoint(e);
      this.zoomBy(Math.exp(-e.deltaY * 0.002), Math.min(Math.max(p.x - layout.plot.x, 0), layout.plot.w));
    } else if (layout.view.zoom > 1 && (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))) {
      const delta = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY;
      this.setView(clampView({ zoom: this.view.zoom, scroll: this.view.scroll + delta }, layout.plot.w));
    } else {
      return; // a plain wheel still zooms the graph
    }
    e.preventDefault();
    e.stopPropagation();
  }

  onKey(e) {
    const key = e.key.toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    if (mod && key === "z") e.shiftKey ? this.redo() : this.undo();
    else if (mod && key === "y") this.redo();
    else if (key === "escape") this.cancelGesture();
    else if (!mod && (key === "+" || key === "=")) this.zoomBy(ZOOM_STEP);
    else if (!mod && key === "-") this.zoomBy(1 / ZOOM_STEP);
    else return;
    // Handled here: the graph's own shortcuts must not act on it too.
    e.preventDefault();
    e.stopPropagation();
  }

  undo() {
    if (this.overrideLinked) return;
    const text = this.history.undo(this.overrideText);
    if (text != null) this.writeOverride(text, false);
  }

  redo() {
    if (this.overrideLinked) return;
    const text = this.history.redo(this.overrideText);
    if (text != null) this.writeOverride(text, false);
  }

  onStrength() {
    const word = this.payload?.words.find((w) => w.index === this.state.selected);
    const value = parseFloat(this.strength.value);
    if (!word || !Number.isFinite(value)) {
      this.draw();
      return;
    }
    this.writeOverride(applyEdit(this.overrideText, word, { strength: value }, this.rules));
  }

  // Pointer position in the canvas' own CSS pixels; the graph zoom scales the element with a CSS transform.
  localPoint(e) {
    const rect = this.canvas.getBoundingClientRect();
    const sx = this.canvas.clientWidth / (rect.width || 1);
    const sy = this.canvas.clientHeight / (rect.height || 1);
    return { x: (e.clientX - rect.left) * sx, y: (e.clientY - rect.top) * sy };
  }

  // Two fingers on a touch screen pinch-zoom the time axis (a touchpad pinch arrives as Ctrl+wheel instead).
  onTouch(e) {
    if (e.pointerType !== "touch") return false;
    if (e.type === "pointerdown") this.touches.set(e.pointerId, this.localPoint(e));
    else if (e.type === "pointermove" && this.touches.has(e.pointerId)) this.touches.set(e.pointerId, this.localPoint(e));
    else if (e.type !== "pointermove") this.touches.delete(e.pointerId);
    if (this.touches.size !== 2) {
      this.pinch = null;
      return false;
    }
    const [a, b] = [...this.touches.values()];
    const distance = Math.max(Math.hypot(a.x - b.x, a.y - b.y), 1);
    if (this.pinch && e.type === "pointermove") {
      // Relative to where the pinch began: the zoom follows the fingers' spread, whatever order the moves come in.
      const { layout } = this.layout();
      this.setView(zoomAt(this.pinch.view, distance / this.pinch.distance, this.pinch.anchor, layout.plot.w));
    } else {
      this.gesture.cancel(); // the first finger's drag becomes the pinch
      this.canvas.setPointerCapture?.(e.pointerId);
      const { layout } = this.layout();
      const anchor = Math.min(Math.max((a.x + b.x) / 2 - layout.plot.x, 0), layout.plot.w);
      this.pinch = { distance, anchor, view: { ...this.view } };
    }
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  onPointerDown(e) {
    this.keys.focus({ preventScroll: true });
    if (this.onTouch(e)) return;
    if (!this.payload || e.button !== 0) return;
    const p = this.localPoint(e);
    const { layout } = this.layout();
    const hit = hitTest(layout, p.x, p.y);
    if (!hit) {
      if (p.y > layout.plot.y + layout.plot.h) this.seek(layout.timeAt(p.x)); // the time axis: move the playhead
      return;
    }
    e.preventDefault();
    e.stopPropagation(); // keep the graph canvas from starting a node drag
    this.gesture.start(hit, e.clientX, e.clientY);
    this.state.selected = hit.index; // the strength field edits the word last clicked or dragged
    if (hit.kind === "handle") this.canvas.setPointerCapture(e.pointerId);
    this.draw();
  }

  onPointerMove(e) {
    if (!this.payload || this.onTouch(e)) return;
    const p = this.localPoint(e);
    const { layout } = this.layout();
    this.state.pointer = p;
    if (this.gesture.press) {
      if (this.gesture.move(e.clientX, e.clientY, () => intensityAt(layout, p.y))) this.draw();
      return;
    }
    const hit = hitTest(layout, p.x, p.y);
    this.canvas.style.cursor = hit ? (hit.kind === "handle" ? "ns-resize" : "pointer") : "default";
    const hover = hit?.index ?? null;
    if (hover !== this.state.hover || hover != null) {
      this.state.hover = hover;
      this.draw();
    }
  }

  onPointerUp(e) {
    this.onTouch(e);
    const action = this.gesture.release();
    if (!action) {
      this.draw();
      return;
    }
    e.stopPropagation();
    const word = this.payload.words.find((w) => w.index === action.index);
    if (action.kind === "intensity") {
      this.writeOverride(applyEdit(this.overrideText, word, { intensity: action.value }, this.rules));
      return;
    }
    const current = this.words().find((w) => w.index === word.index)?.emotion;
    openEmotionMenu(e.clientX, e.clientY, current, (emotion) => {
      this.writeOverride(applyEdit(this.overrideText, word, { emotion }, this.rules));
    }, this.rules.emotions);
    this.draw();
  }

  cancelGesture() {
    if (this.gesture.cancel()) this.draw();
  }

  // `record`: an undoable edit (false for undo/redo themselves).
  writeOverride(text, record = true) {
    const widget = this.overrideWidget;
    if (!widget || this.overrideLinked) {
      this.draw();
      return;
    }
    if (record) this.history.record(widget.value ?? "", text);
    widget.value = text;
    widget.callback?.(text);
    this.node.setDirtyCanvas?.(true, true);
    this.node.graph?.change?.(); // marks the workflow modified
    this.draw();
  }

  // --- playhead: any <audio>/<video> in the page whose length is this speech's drives it ---

  matchesSpeech(media) {
    const d = this.payload?.duration;
    if (!d || !(media instanceof HTMLMediaElement) || !Number.isFinite(media.duration)) return false;
    return Math.abs(media.duration - d) <= Math.max(0.3, 0.03 * d);
  }

  // Audio and video previews in the graph (Preview Audio, Save Audio, Save Video...) of this speech.
  speechMedia() {
    return [...document.querySelectorAll("audio, video")].filter((m) => this.matchesSpeech(m));
  }

  followMedia(e) {
    const media = e.target;
    if (!this.matchesSpeech(media)) return;
    this.media = media;
    if (e.type === "ended" || e.type === "emptied") {
      this.state.playhead = null;
    } else {
      this.state.playhead = media.currentTime;
      if (!media.paused) this.tick();
    }
    this.draw();
  }

  // Between the media's coarse timeupdate events the playhead moves every animation frame.
  tick() {
    if (this.ticking) return;
    this.ticking = true;
    const step = () => {
      const media = this.media;
      if (!media || media.paused || media.ended || !this.root.isConnected) {
        this.ticking = false;
        this.draw();
        return;
      }
      this.state.playhead = media.currentTime;
      const { layout } = this.layout();
      this.view = followTime(this.view, media.currentTime, layout.duration, layout.plot.w);
      this.draw();
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  togglePlay() {
    const media = this.media && this.matchesSpeech(this.media) ? this.media : this.speechMedia()[0];
    if (!media) {
      this.status.textContent = "No preview of this speech in the graph: connect its audio to Preview Audio (or run Save Video), then play.";
      return;
    }
    this.media = media;
    if (media.paused) {
      if (this.state.playhead != null && Math.abs(media.currentTime - this.state.playhead) > 0.05) media.currentTime = this.state.playhead;
      media.play().catch(() => {});
    } else {
      media.pause();
    }
  }

  seek(t) {
    this.state.playhead = t;
    const media = this.media && this.matchesSpeech(this.media) ? this.media : this.speechMedia()[0];
    if (media) media.currentTime = t;
    this.draw();
  }

  // --- geometry in page coordinates, for the browser tests and for debugging ---

  toClient() {
    const rect = this.canvas.getBoundingClientRect();
    const sx = rect.width / (this.canvas.clientWidth || 1);
    const sy = rect.height / (this.canvas.clientHeight || 1);
    return { at: (x, y) => ({ x: rect.left + x * sx, y: rect.top + y * sy }), sx, sy, rect };
  }

  // Client coordinates of a word's handle and label (or strip, when its label is hidden).
  clientPoints(index) {
    const { at, sy, rect } = this.toClient();
    const { layout } = this.layout();
    const geo = layout.words.find((w) => w.index === index);
    if (!geo) return null;
    return {
      handle: at(geo.handle.x, geo.handle.y),
      band: at(geo.band.x + geo.band.w / 2, geo.band.y + geo.band.h / 2),
      plotTop: rect.top + layout.plot.y * sy,
      plotBottom: rect.top + (layout.plot.y + layout.plot.h) * sy,
    };
  }

  // Every word's label as drawn: its box in page pixels, the drawn text, the full word, hidden or not.
  labelBoxes() {
    const { at, sx, sy } = this.toClient();
    const { layout } = this.layout();
    return layout.words.map((geo) => {
      const l = geo.label;
      const p = at(l.x, l.y);
      return { index: geo.index, x: p.x, y: p.y, w: l.w * sx, h: l.h * sy, text: l.text, full: l.full, hidden: l.hidden,
        inView: l.x + l.w > layout.plot.x && l.x < layout.plot.x + layout.plot.w };
    });
  }

  dispose() {
    this.resizeObserver.disconnect();
    for (const type of MEDIA_EVENTS) document.removeEventListener(type, this.onMedia, true);
    for (const type of TOUCH_EVENTS) window.removeEventListener(type, this.onTouchEvent, true);
    document.querySelectorAll(".ectfg-emotion-menu").forEach((el) => el.remove());
  }
}

app.registerExtension({
  name: "ectfg.EmotionTimeline",

  nodeCreated(node) {
    if (node.constructor?.comfyClass !== NODE_CLASS) return;
    const timeline = new Timeline(node);
    const widget = node.addDOMWidget("timeline", "ectfg_timeline", timeline.root, {
      serialize: false, // the drawing is kept in node.properties; only override_json is a node input
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

    // A loaded workflow (a page reload restores the open one) brings the last drawing back from the properties.
    const onConfigure = node.onConfigure;
    node.onConfigure = function (info) {
      const result = onConfigure?.apply(this, arguments);
      const saved = this.properties?.[PAYLOAD_PROPERTY];
      if (saved && Array.isArray(saved.words)) timeline.setPayload(saved, false);
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
    node.setSize([Math.max(w, 520), Math.max(h, WIDGET_HEIGHT + 150)]);
  },
});
