// Drawing of the emotion timeline on a 2D canvas, and the small emotion menu. No ComfyUI imports.

import { LABEL_PAD } from "./timeline_labels.js";
import { HANDLE_RADIUS, colorOf, emotionsOf, inView, strengthOf, ticks } from "./timeline_model.js";

export const FONT = "11px sans-serif";

function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// Draws everything; `words` are the (possibly pending) per-word targets, `payload` the last run's data.
// `state`: selected / hover / dragging word index, pointer {x, y} (for the hover card), playhead time in seconds.
export function drawTimeline(ctx, layout, payload, words, state = {}) {
  const { width, height, plot } = layout;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#1b1b1f";
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  if (!payload) {
    ctx.fillStyle = "#aaa";
    ctx.textAlign = "center";
    ctx.fillText("Run the graph to see the emotion timeline", width / 2, height / 2);
    return;
  }
  const emotions = emotionsOf(payload);
  const colorFor = (name) => colorOf(name, emotions);

  // Grid: intensity 0 / 0.5 / 1 and time ticks.
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#888";
  ctx.textAlign = "right";
  for (const v of [0, 0.5, 1]) {
    const y = Math.round(layout.yOf(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.fillText(v.toFixed(1), plot.x - 4, y);
  }
  ctx.textAlign = "center";
  for (const t of ticks(layout.duration, layout.contentWidth)) {
    const x = layout.xOf(t);
    if (!inView(layout, x)) continue;
    const w = ctx.measureText(`${t}s`).width;
    ctx.fillText(`${t}s`, Math.min(Math.max(x, plot.x + w / 2), plot.x + plot.w - w / 2), height - 8);
  }

  // Everything on the time axis is clipped to the visible plot columns (zoomed content scrolls under it).
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, 0, plot.w, height);
  ctx.clip();

  // Words: a tinted column in the plot, the exact spoken span as a strip, and the label above it.
  layout.words.forEach((geo, i) => {
    const w = words[i];
    const color = colorFor(w.emotion);
    ctx.fillStyle = withAlpha(color, 0.08 + 0.22 * w.intensity);
    ctx.fillRect(geo.column.x, geo.column.y, Math.max(geo.column.w - 1, 1), geo.column.h);
    ctx.fillStyle = withAlpha(color, 0.6 + 0.4 * w.intensity);
    ctx.fillRect(geo.strip.x, geo.strip.y, Math.max(geo.strip.w - 1, 1), geo.strip.h);
  });
  // Leaders first, then the chips on top: a leader from an upper row never crosses a chip's text.
  layout.words.forEach((geo, i) => drawLeader(ctx, geo, colorFor(words[i].emotion)));
  layout.words.forEach((geo, i) => drawLabel(ctx, geo, words[i], colorFor(words[i].emotion), state));

  // The per-frame intensity curve, each stretch in the colour of the frame's most likely emotion.
  const values = payload.intensity || [];
  const classes = payload.frame_emotion || [];
  const fps = payload.fps || 25;
  ctx.lineWidth = 2;
  ctx.lineJoin = "round";
  let f = 1;
  while (f < values.length) {
    // One path per run of frames with the same class: minutes of speech stay cheap to redraw while dragging.
    const cls = classes[f];
    ctx.strokeStyle = emotions[cls] != null ? colorFor(emotions[cls]) : "#ddd";
    ctx.beginPath();
    ctx.moveTo(layout.xOf((f - 0.5) / fps), layout.yOf(values[f - 1]));
    while (f < values.length && classes[f] === cls) {
      ctx.lineTo(layout.xOf((f + 0.5) / fps), layout.yOf(values[f]));
      f++;
    }
    ctx.stroke();
  }

  // Keyframe handles: one per word at its target intensity.
  layout.words.forEach((geo, i) => {
    const w = words[i];
    const active = state.dragging === geo.index || state.hover === geo.index;
    ctx.beginPath();
    ctx.arc(geo.handle.x, geo.handle.y, active ? HANDLE_RADIUS + 1.5 : HANDLE_RADIUS, 0, Math.PI * 2);
    ctx.fillStyle = colorFor(w.emotion);
    ctx.fill();
    ctx.lineWidth = w.edited ? 2 : 1;
    ctx.strokeStyle = w.edited ? "#fff" : "#000";
    ctx.stroke();
  });

  // The playhead, while the speech plays in the browser.
  if (state.playhead != null) {
    const x = Math.round(layout.xOf(state.playhead)) + 0.5;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, layout.stripY - 2);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    ctx.moveTo(x - 4, plot.y + plot.h + 5);
    ctx.lineTo(x + 4, plot.y + plot.h + 5);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.fill();
  }
  ctx.restore();

  const focus = state.dragging ?? state.hover;
  if (focus != null && state.pointer) {
    const i = layout.words.findIndex((g) => g.index === focus);
    if (i >= 0) drawHoverCard(ctx, layout, words[i], state.pointer, colorFor(words[i].emotion));
  }
}

// A thin line from a label to its word's strip, so a chip in an upper row or slid aside still points at its word.
function drawLeader(ctx, geo, color) {
  const box = geo.label;
  if (box.hidden) return;
  const center = geo.strip.x + geo.strip.w / 2;
  ctx.strokeStyle = withAlpha(color, 0.5);
  ctx.lineWidth = 1;
  const x = Math.round(Math.min(Math.max(center, box.x + 2), box.x + box.w - 2)) + 0.5;
  ctx.beginPath();
  ctx.moveTo(x, box.y + box.h);
  ctx.lineTo(x, geo.strip.y);
  ctx.stroke();
}

// A word's label: a chip in its emotion's colour, the word (elided when cramped) in dark text, an outline when the
// word was edited or is selected.
function drawLabel(ctx, geo, w, color, state) {
  const box = geo.label;
  if (box.hidden) return;
  ctx.fillStyle = withAlpha(color, 0.55 + 0.45 * w.intensity);
  roundRect(ctx, box.x, box.y, box.w, box.h, 3);
  ctx.fill();
  if (w.edited || state.selected === geo.index) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = state.selected === geo.index ? 2 : 1;
    ctx.setLineDash(w.pending ? [3, 2] : []);
    roundRect(ctx, box.x + 0.5, box.y + 0.5, box.w - 1, box.h - 1, 3);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = "#111";
  ctx.textAlign = "left";
  ctx.fillText(box.text, box.x + LABEL_PAD, box.y + box.h / 2 + 0.5);
  ctx.textAlign = "center";
}

// The hovered (or dragged) word in full: word, emotion, intensity, strength and timing.
function drawHoverCard(ctx, layout, w, pointer, color) {
  const strength = strengthOf(w);
  const lines = [
    w.word,
    `${w.emotion} ${Number(w.intensity).toFixed(2)}${Math.abs(strength - 1) > 1e-3 ? `  strength ×${strength}` : ""}`,
    `${Number(w.start).toFixed(2)}–${Number(w.end).toFixed(2)} s${w.pending ? "  (pending)" : ""}`,
  ];
  ctx.font = "bold 12px sans-serif";
  const titleW = ctx.measureText(lines[0]).width;
  ctx.font = FONT;
  const boxW = Math.ceil(Math.max(titleW, ...lines.slice(1).map((l) => ctx.measureText(l).width))) + 16;
  const boxH = 46;
  let x = pointer.x + 12;
  let y = pointer.y + 12;
  if (x + boxW > layout.width - 2) x = pointer.x - boxW - 12;
  if (y + boxH > layout.height - 2) y = Math.max(pointer.y - boxH - 12, 2);
  x = Math.max(x, 2);
  ctx.fillStyle = "rgba(20, 20, 24, 0.95)";
  roundRect(ctx, x, y, boxW, boxH, 4);
  ctx.fill();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.stroke();
  ctx.textAlign = "left";
  ctx.fillStyle = "#fff";
  ctx.font = "bold 12px sans-serif";
  ctx.fillText(lines[0], x + 8, y + 10);
  ctx.font = FONT;
  ctx.fillStyle = "#ccc";
  ctx.fillText(lines[1], x + 8, y + 24);
  ctx.fillText(lines[2], x + 8, y + 37);
  ctx.textAlign = "center";
}

function roundRect(ctx, x, y, w, h, r) {
  const rr = Math.min(r, w / 2, h / 2);
  ctx.beginPath();
  ctx.moveTo(x + rr, y);
  ctx.arcTo(x + w, y, x + w, y + h, rr);
  ctx.arcTo(x + w, y + h, x, y + h, rr);
  ctx.arcTo(x, y + h, x, y, rr);
  ctx.arcTo(x, y, x + w, y, rr);
  ctx.closePath();
}

// A small menu of the emotions (the payload's list) at client position (x, y); calls onPick(emotion).
export function openEmotionMenu(x, y, current, onPick, emotions) {
  document.querySelectorAll(".ectfg-emotion-menu").forEach((el) => el.remove());
  const menu = document.createElement("div");
  menu.className = "ectfg-emotion-menu";
  Object.assign(menu.style, {
    position: "fixed", left: `${x}px`, top: `${y}px`, zIndex: 10000, padding: "4px 0", minWidth: "120px",
    background: "var(--comfy-menu-bg, #222)", color: "var(--fg-color, #ddd)", font: "13px sans-serif",
    border: "1px solid var(--border-color, #555)", borderRadius: "6px", boxShadow: "0 4px 14px rgba(0,0,0,.5)",
  });
  const close = () => {
    menu.remove();
    document.removeEventListener("pointerdown", outside, true);
    document.removeEventListener("keydown", onKey, true);
  };
  const outside = (e) => { if (!menu.contains(e.target)) close(); };
  const onKey = (e) => { if (e.key === "Escape") close(); };
  for (const name of emotions) {
    const item = document.createElement("button");
    item.type = "button";
    item.dataset.emotion = name;
    Object.assign(item.style, {
      display: "flex", alignItems: "center", gap: "8px", width: "100%", padding: "4px 12px", border: "0",
      background: "transparent", color: "inherit", font: "inherit", cursor: "pointer", textAlign: "left",
      fontWeight: name === current ? "bold" : "normal",
    });
    const swatch = document.createElement("span");
    Object.assign(swatch.style, { width: "10px", height: "10px", borderRadius: "2px", background: colorOf(name, emotions) });
    item.append(swatch, document.createTextNode(name));
    item.addEventListener("pointerenter", () => { item.style.background = "rgba(255,255,255,.08)"; });
    item.addEventListener("pointerleave", () => { item.style.background = "transparent"; });
    item.addEventListener("click", (e) => {
      e.stopPropagation();
      close();
      onPick(name);
    });
    menu.append(item);
  }
  document.body.append(menu);
  // Keep it on screen.
  const r = menu.getBoundingClientRect();
  if (r.bottom > window.innerHeight) menu.style.top = `${Math.max(0, window.innerHeight - r.height - 4)}px`;
  if (r.right > window.innerWidth) menu.style.left = `${Math.max(0, window.innerWidth - r.width - 4)}px`;
  setTimeout(() => {
    document.addEventListener("pointerdown", outside, true);
    document.addEventListener("keydown", onKey, true);
  });
  return menu;
}

// The colour legend: one swatch per emotion, the ones in this speech in full colour.
export function fillLegend(element, emotions, present) {
  element.replaceChildren();
  for (const name of emotions) {
    const item = document.createElement("span");
    item.dataset.emotion = name;
    Object.assign(item.style, { display: "inline-flex", alignItems: "center", gap: "3px", opacity: present.has(name) ? "1" : "0.45" });
    const swatch = document.createElement("span");
    Object.assign(swatch.style, { width: "9px", height: "9px", borderRadius: "2px", background: colorOf(name, emotions) });
    item.append(swatch, document.createTextNode(name));
    element.append(item);
  }
}
