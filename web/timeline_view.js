// Drawing of the emotion timeline on a 2D canvas, and the small emotion menu. No ComfyUI imports.

import { EMOTIONS, EMOTION_COLORS, HANDLE_RADIUS, strengthOf, ticks } from "./timeline_model.js";

const FONT = "11px sans-serif";

function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// Draws everything; `words` are the (possibly pending) per-word targets, `payload` the last run's data.
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
  for (const t of ticks(layout.duration, plot.w)) {
    const x = layout.xOf(t);
    ctx.fillText(`${t}s`, x, height - 8);
  }

  // Words: a tinted column and a labelled band in the emotion's colour; brighter with intensity.
  layout.words.forEach((geo, i) => {
    const w = words[i];
    const color = EMOTION_COLORS[w.emotion] || EMOTION_COLORS.neutral;
    ctx.fillStyle = withAlpha(color, 0.1 + 0.25 * w.intensity);
    ctx.fillRect(geo.column.x, geo.column.y, geo.column.w, geo.column.h);
    ctx.fillStyle = withAlpha(color, 0.55 + 0.45 * w.intensity);
    ctx.fillRect(geo.band.x, geo.band.y, geo.band.w, geo.band.h);
    if (w.edited) {
      ctx.strokeStyle = "#fff";
      ctx.setLineDash(w.pending ? [3, 2] : []);
      ctx.strokeRect(geo.band.x + 0.5, geo.band.y + 0.5, geo.band.w - 1, geo.band.h - 1);
      ctx.setLineDash([]);
    }
    if (geo.band.w > 14) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(geo.band.x, geo.band.y, geo.band.w, geo.band.h);
      ctx.clip();
      ctx.fillStyle = "#111";
      const strength = strengthOf(w);
      const label = Math.abs(strength - 1) > 1e-3 ? `${w.word} ×${Math.round(strength * 100) / 100}` : w.word;
      ctx.fillText(label, geo.band.x + geo.band.w / 2, geo.band.y + geo.band.h / 2);
      ctx.restore();
    }
    if (state.selected === geo.index) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(geo.band.x, geo.band.y + geo.band.h - 2, geo.band.w, 2);
    }
  });

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
    ctx.strokeStyle = EMOTION_COLORS[EMOTIONS[cls]] || "#ddd";
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
    ctx.fillStyle = EMOTION_COLORS[w.emotion] || "#ccc";
    ctx.fill();
    ctx.lineWidth = w.edited ? 2 : 1;
    ctx.strokeStyle = w.edited ? "#fff" : "#000";
    ctx.stroke();
  });
}

// A small menu of the seven emotions at client position (x, y); calls onPick(emotion) or onClose().
export function openEmotionMenu(x, y, current, onPick) {
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
  for (const name of EMOTIONS) {
    const item = document.createElement("button");
    item.type = "button";
    item.dataset.emotion = name;
    Object.assign(item.style, {
      display: "flex", alignItems: "center", gap: "8px", width: "100%", padding: "4px 12px", border: "0",
      background: "transparent", color: "inherit", font: "inherit", cursor: "pointer", textAlign: "left",
      fontWeight: name === current ? "bold" : "normal",
    });
    const swatch = document.createElement("span");
    Object.assign(swatch.style, { width: "10px", height: "10px", borderRadius: "2px", background: EMOTION_COLORS[name] });
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
