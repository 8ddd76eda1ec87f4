// Word labels of the timeline that never overlap, at any number of words: each label is a box in one of a few rows
// above the plot, as close to its word as the neighbours allow; when there is too little room the text is elided
// ("yester…") or, below a few pixels, hidden (the word stays reachable: hover shows it in full, zoom makes room).
// Pure logic, no DOM: `measure(text)` gives a text's width in pixels (canvas measureText in the browser).

export const LABEL_ROW_HEIGHT = 15;
export const MAX_LABEL_ROWS = 4;
export const LABEL_GAP = 3; // pixels between two labels of one row, so "But" and "where" never read as one
export const LABEL_PAD = 3; // text inset inside its box
const MIN_VISIBLE_WIDTH = 20; // narrower than this a box cannot hold two letters and the ellipsis: hidden
const MAX_SHIFT = 0.4; // a full label may slide this fraction of its width off-centre and still read as its word's
const ELLIPSIS = "…";

// Longest prefix of `text` plus an ellipsis that fits in `width` px ("" when fewer than two letters would).
export function elide(text, width, measure) {
  if (measure(text) <= width) return text;
  let lo = 0;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, mid) + ELLIPSIS) <= width) lo = mid;
    else hi = mid - 1;
  }
  // One letter and an ellipsis tells nothing: then nothing (hover shows the word), unless the word has two letters.
  return lo >= Math.min(2, text.length - 1) && lo > 0 ? text.slice(0, lo) + ELLIPSIS : "";
}

// Rows tried first: each label, in time order, takes the lowest row whose last label leaves room for it (centred
// on its word or slid a little right). Returns null when some word fits in no row.
function firstFit(items, left, right, rows) {
  const rowEnd = new Array(rows).fill(-Infinity);
  const out = [];
  for (const it of items) {
    const ideal = Math.min(Math.max(it.center - it.full / 2, left), right - it.full);
    let placed = null;
    for (let r = 0; r < rows && !placed; r++) {
      const x = Math.max(ideal, rowEnd[r] + LABEL_GAP);
      if (x - ideal <= it.full * MAX_SHIFT && x + it.full <= right + 1e-6) placed = { row: r, x };
    }
    if (!placed) return null;
    rowEnd[placed.row] = placed.x + it.full;
    out.push({ row: placed.row, x: placed.x, w: it.full });
  }
  return out;
}

// When first-fit fails: each label goes to the row with the most room left, starting no later than its word's
// centre, and is cut (elided) where the word `rows` places later begins to need its own room; never wider than
// itself. Boxes are placed after the row's last one, so no two overlap whatever the cuts.
function cappedFit(items, left, right, rows) {
  const rowEnd = new Array(rows).fill(-Infinity);
  return items.map((it, i) => {
    let r = 0;
    for (let k = 1; k < rows; k++) if (rowEnd[k] < rowEnd[r]) r = k;
    const ideal = Math.min(Math.max(it.center - it.full / 2, left), right - it.full);
    const x = Math.max(ideal, rowEnd[r] + LABEL_GAP, left);
    const later = items[i + rows];
    const cap = later ? later.center - Math.min(later.full, MIN_VISIBLE_WIDTH) / 2 - LABEL_GAP : right;
    const w = Math.min(it.full, cap - x, right - x);
    if (x > it.center || w < Math.min(it.full, MIN_VISIBLE_WIDTH)) return { row: r, x, w: 0 };
    rowEnd[r] = x + w;
    return { row: r, x, w };
  });
}

// After cappedFit the neighbours in each row are known: a cut label grows back as far as its right-hand neighbour
// allows, then each hidden label takes the widest free gap near its word in any row.
function reclaim(sized, placed, left, right, rows) {
  const byRow = () => {
    const lists = Array.from({ length: rows }, () => []);
    placed.forEach((p, i) => { if (p.w > 0) lists[p.row].push(i); });
    lists.forEach((l) => l.sort((a, b) => placed[a].x - placed[b].x));
    return lists;
  };
  for (const list of byRow()) {
    list.forEach((i, k) => {
      const limit = k + 1 < list.length ? placed[list[k + 1]].x - LABEL_GAP : right;
      placed[i].w = Math.max(placed[i].w, Math.min(sized[i].full, limit - placed[i].x));
    });
  }
  sized.forEach((it, i) => {
    if (placed[i].w > 0) return;
    let best = null;
    byRow().forEach((list, r) => {
      // The free gap of row r around the word's centre.
      let a = left;
      let b = right;
      for (const j of list) {
        const box = placed[j];
        if (box.x + box.w <= it.center) a = Math.max(a, box.x + box.w + LABEL_GAP);
        else if (box.x >= it.center) { b = Math.min(b, box.x - LABEL_GAP); break; } else { a = Infinity; break; }
      }
      const w = Math.min(it.full, b - a);
      if (w >= Math.min(it.full, MIN_VISIBLE_WIDTH) && (!best || w > best.w)) {
        best = { row: r, w, x: Math.min(Math.max(it.center - w / 2, a), b - w) };
      }
    });
    if (best) placed[i] = best;
  });
  return placed;
}

// Label boxes for `items` ({center, text} in time order, x in pixels) between `left` and `right`.
// Each result: {x, y, w, h, row, text (what is drawn, maybe elided), full (the whole word), hidden}.
export function layoutLabels(items, left, right, measure, top = 0) {
  const sized = items.map((it) => ({ ...it, full: measure(it.text) + 2 * LABEL_PAD }));
  let placed = null;
  let rows = 1;
  for (; rows <= MAX_LABEL_ROWS && !placed; rows++) placed = firstFit(sized, left, right, rows);
  if (!placed) placed = reclaim(sized, cappedFit(sized, left, right, MAX_LABEL_ROWS), left, right, MAX_LABEL_ROWS);
  const used = placed.length ? Math.max(...placed.map((p) => p.row)) + 1 : 1;
  const labels = sized.map((it, i) => {
    const p = placed[i];
    const text = p.w >= MIN_VISIBLE_WIDTH || p.w >= it.full - 1e-6 ? elide(it.text, p.w - 2 * LABEL_PAD + 1e-6, measure) : "";
    return {
      x: p.x, y: top + p.row * LABEL_ROW_HEIGHT, w: p.w, h: LABEL_ROW_HEIGHT - 2, row: p.row,
      text, full: it.text, hidden: !text,
    };
  });
  return { labels, rows: used };
}

// Pairs of drawn labels whose boxes overlap (should always be empty); used by the tests and handy when debugging.
export function overlappingLabels(labels) {
  const shown = labels.filter((l) => !l.hidden);
  const out = [];
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const a = shown[i];
      const b = shown[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push([a.full, b.full]);
    }
  }
  return out;
}
