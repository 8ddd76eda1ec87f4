"""The ComfyUI frontend in headless Chromium against a real server with the plugin: each shared workflow loads with
no missing nodes and no console errors and serializes to its API twin; the emotion timeline draws after a run, and
editing it with the mouse changes the next result.

Skips unless ECTFG_COMFYUI_DIR points at a ComfyUI checkout and a Chromium is installed (Debian: apt-get install
chromium). Screenshots go to $ECTFG_ARTIFACTS (default /tmp/ectfg-artifacts).
"""

from __future__ import annotations

import json

import pytest
from cdp import Chromium, find_chromium
from comfy_harness import ComfyServer, artifacts_dir, comfyui_dir
from workflow_graph import OFFLINE_CPU, WORKFLOWS, load_api, load_ui, workflow_names

pytestmark = pytest.mark.skipif(
    comfyui_dir() is None or find_chromium() is None,
    reason="needs ECTFG_COMFYUI_DIR (a ComfyUI checkout) and Chromium (apt-get install chromium)",
)

SETTINGS = {"Comfy.TutorialCompleted": True}  # a fresh user would otherwise get the template browser on top
TRACK_EDITOR, SAVE = 9, 7
RUN_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def browser():
    with ComfyServer(comfyui_dir(), settings=SETTINGS) as server, Chromium(find_chromium()) as page:
        page.navigate(server.url)
        page.wait_for("!!(window.app && app.graph && app.canvas && app.rootGraph.nodes.length > 0)", timeout=120)
        page.wait_for("!!document.querySelector('.graph-canvas-container, canvas#graph-canvas')", timeout=30)
        page.pump(1.0)
        # Record execution events in the page, as the frontend's own listeners see them.
        page.evaluate("""(async () => {
            const { api } = await import('/scripts/api.js');
            window.__ectfgEvents = [];
            for (const type of ['execution_start', 'execution_cached', 'executing', 'executed', 'execution_success',
                                'execution_error', 'execution_interrupted'])
                api.addEventListener(type, (e) => window.__ectfgEvents.push({ type, detail: e.detail }));
            return true;
        })()""")
        page.server = server
        yield page


def page_errors(page: Chromium) -> list[str]:
    """Console errors and exceptions, except failed requests to the internet (this machine is offline)."""
    return [e for e in page.errors() if not (e.startswith("network:") and "127.0.0.1" not in e)]


def load(page: Chromium, name: str) -> None:
    """Drop the workflow file onto the canvas, as a user drags it in from the file manager."""
    page.events.clear()
    path = str(WORKFLOWS / f"{name}.json")
    data = {"items": [], "files": [path], "dragOperationsMask": 1}
    # Onto the graph canvas itself: a drop on a node's DOM widget (the timeline, a video) would open the file instead.
    x, y = page.evaluate(f"""(() => {{
        for (let y = {page.height // 2}; y < {page.height - 20}; y += 40)
            for (let x = {page.width // 2}; x > 60; x -= 40)
                if (document.elementFromPoint(x, y) === app.canvas.canvas) return [x, y];
        return [{page.width // 2}, {page.height // 2}];
    }})()""")
    for kind in ("dragEnter", "dragOver", "drop"):
        page.call("Input.dispatchDragEvent", type=kind, x=x, y=y, data=data)
    ids = json.dumps(sorted(n["id"] for n in load_ui(name)["nodes"]), separators=(",", ":"))
    page.wait_for(f"JSON.stringify(app.graph.nodes.map(n => n.id).sort((a, b) => a - b)) === {json.dumps(ids)}", timeout=30)
    page.pump(1.0)


@pytest.mark.parametrize("name", workflow_names())
def test_workflow_loads_without_missing_nodes_or_errors(browser, name):
    load(browser, name)
    missing = browser.evaluate(
        "app.graph.nodes.filter(n => !LiteGraph.registered_node_types[n.type]).map(n => n.type)"
    )
    assert missing == [], f"{name}: missing node types {missing}"
    dialog = browser.evaluate("[...document.querySelectorAll('.p-dialog')].map(d => d.innerText).join('\\n')") or ""
    declared = [f"{m['directory']} / {m['name']}" for n in load_ui(name)["nodes"] for m in n.get("properties", {}).get("models", [])]
    if declared:  # a model file this server lacks: the frontend names it with its folder and offers its download
        assert "missing models" in dialog.lower() and all(d in dialog for d in declared), dialog
        browser.evaluate("document.querySelectorAll('.p-dialog-close-button, .p-dialog-header-close').forEach(b => b.click()) || true")
        browser.wait_for("document.querySelectorAll('.p-dialog').length === 0", timeout=10)
    else:
        assert "missing" not in dialog.lower(), dialog
    browser.screenshot(artifacts_dir() / f"workflow_{name}.png")
    # What the frontend would queue is exactly the API twin.
    queued = browser.evaluate("app.graphToPrompt().then(p => p.output)")
    twin = load_api(name)
    assert set(queued) == set(twin)
    for node_id, entry in twin.items():
        assert queued[node_id]["class_type"] == entry["class_type"]
        assert queued[node_id]["inputs"] == entry["inputs"], node_id
    # The missing-models dialog asks the download host for the file size, which fails on an offline machine.
    assert [e for e in page_errors(browser) if not (declared and e.startswith("Error fetching file size"))] == []


def queue_and_wait(page: Chromium) -> dict:
    """Queue the loaded graph like the Run button does and return this run's events."""
    start = page.evaluate("window.__ectfgEvents.length")
    page.evaluate("app.queuePrompt(0, 1).then(() => true)")
    page.wait_for(
        f"window.__ectfgEvents.slice({start}).some(e => ['execution_success', 'execution_error', "
        "'execution_interrupted'].includes(e.type))",
        timeout=RUN_TIMEOUT_S, interval=0.5,
    )
    events = page.evaluate(f"window.__ectfgEvents.slice({start})")
    failed = [e["detail"] for e in events if e["type"] in ("execution_error", "execution_interrupted")]
    assert not failed, failed
    return events


def show_track_editor(page: Chromium) -> None:
    """Scroll the canvas so the editor node is fully visible at 100 % zoom, then let the DOM widget follow."""
    page.evaluate(f"""(() => {{
        const node = app.graph.getNodeById({TRACK_EDITOR});
        app.canvas.ds.scale = 1;
        app.canvas.ds.offset = [-node.pos[0] + 420, -node.pos[1] + 120];
        app.canvas.setDirty(true, true);
        return true;
    }})()""")
    page.pump(0.8)


TIMELINE_STATS = f"""(() => {{
    const t = app.graph.getNodeById({TRACK_EDITOR}).ectfgTimeline;
    const c = t.canvas, ctx = c.getContext('2d');
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let coloured = 0, happy = 0;
    for (let i = 0; i < data.length; i += 4) {{
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.abs(r - 27) + Math.abs(g - 27) + Math.abs(b - 31) > 30) coloured++;
        if (r > 200 && g > 160 && b < 90) happy++;
    }}
    const rect = c.getBoundingClientRect();
    return {{ coloured: coloured / (data.length / 4), happy, words: t.payload ? t.payload.words.length : 0,
             visible: rect.width > 200 && rect.height > 100 && rect.top >= 0 && rect.bottom <= innerHeight }};
}})()"""


def test_timeline_draws_after_a_run_and_an_edit_changes_the_next_result(browser):
    page = browser
    load(page, OFFLINE_CPU)
    # A smaller frame keeps the test quick; everything else is the shared workflow as it is.
    page.evaluate("(() => { app.graph.getNodeById(2).widgets.find(w => w.name === 'size').value = 256; return true; })()")
    before = page.evaluate(TIMELINE_STATS)
    assert before["words"] == 0  # nothing drawn before a run

    first = queue_and_wait(page)
    show_track_editor(page)
    stats = page.wait_for(f"(() => {{ const s = {TIMELINE_STATS}; return s.words ? s : null; }})()", timeout=30)
    page.screenshot(artifacts_dir() / "timeline_after_run.png")
    assert stats["words"] == 12 and stats["visible"]
    assert stats["coloured"] > 0.15, stats  # word bands, columns and the curve cover a good part of it
    assert stats["happy"] > 200, stats  # the opening words are happy: their yellow is on screen

    # Drag the dot of word 4 ("glad") to the top, then pick "surprised" for word 8 ("where") from its menu.
    points = page.evaluate(f"app.graph.getNodeById({TRACK_EDITOR}).ectfgTimeline.clientPoints(4)")
    handle = points["handle"]
    page.drag(handle["x"], handle["y"], handle["x"], points["plotTop"] + 1)
    band = page.evaluate(f"app.graph.getNodeById({TRACK_EDITOR}).ectfgTimeline.clientPoints(8)")["band"]
    page.click(band["x"], band["y"])
    item = page.wait_for("""(() => { const b = document.querySelector('.ectfg-emotion-menu button[data-emotion="surprised"]');
        if (!b) return null; const r = b.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()""",
        timeout=10)
    page.screenshot(artifacts_dir() / "timeline_emotion_menu.png")
    page.click(item["x"], item["y"])
    page.pump(0.5)
    override = page.evaluate(f"app.graph.getNodeById({TRACK_EDITOR}).widgets.find(w => w.name === 'override_json').value")
    edits = {e["index"]: e for e in json.loads(override)["words"]}
    assert edits[4]["word"] == "glad" and edits[4]["intensity"] >= 0.95
    assert edits[8] == {"index": 8, "word": "where", "emotion": "surprised"}
    page.screenshot(artifacts_dir() / "timeline_edited_pending.png")

    second = queue_and_wait(page)
    (cached,) = [e["detail"]["nodes"] for e in second if e["type"] == "execution_cached"]
    assert {"1", "2", "3", "4"} <= set(cached)  # speech, face and prediction were not recomputed
    ran = {e["detail"] for e in second if e["type"] == "executing" and e["detail"]}
    assert {str(TRACK_EDITOR), "5", str(SAVE)} <= ran
    payload = [e["detail"]["output"]["ectfg_timeline"][0] for e in second
               if e["type"] == "executed" and e["detail"]["node"] == str(TRACK_EDITOR)][0]
    assert payload["words"][8]["emotion"] == "surprised" and payload["words"][8]["edited"]
    assert payload["words"][4]["intensity"] >= 0.95
    old = [e["detail"]["output"]["ectfg_timeline"][0] for e in first
           if e["type"] == "executed" and e["detail"]["node"] == str(TRACK_EDITOR)][0]
    assert payload["intensity"] != old["intensity"]  # the curve itself moved, not only the labels

    def video(events):
        return [e["detail"]["output"]["images"][0]["filename"] for e in events
                if e["type"] == "executed" and e["detail"]["node"] == str(SAVE)][0]

    assert video(second) != video(first)  # a new video was written
    show_track_editor(page)
    page.screenshot(artifacts_dir() / "timeline_after_edit.png")

    # Core's own preview of the result (Save Video's <video>) drives the playhead; ▶ in the timeline plays it.
    page.wait_for(f"{TIMELINE}.speechMedia().length > 0", timeout=30)
    play = rect_of(page, f"{TIMELINE}.play")
    page.click(play["cx"], play["cy"])
    playhead = page.wait_for(f"{TIMELINE}.state.playhead > 0.3 && {TIMELINE}.state.playhead", timeout=20)
    assert 0.3 < playhead <= payload["duration"]
    assert page.evaluate(f"{TIMELINE}.media.tagName") == "VIDEO"
    page.click(play["cx"], play["cy"])  # pauses it again
    page.wait_for(f"{TIMELINE}.media.paused", timeout=10)
    assert page_errors(page) == []


# --- the timeline at any length (issue 13): labels apart, every word reachable, zoom, undo, cancel, playhead, reload ---

LONG_TEXT = (
    "Hello! I am so glad you came. But where were you yesterday? We waited for hours in the cold rain, and nobody "
    "answered the phone. I thought something terrible had happened to you. Then your sister called and laughed, saying "
    "you simply forgot. Honestly, I do not know whether to hug you or shout. Anyway, sit down and tell me."
)
SHORT_TEXT = "Hello! I am so glad you came. But where were you yesterday?"
TIMELINE = f"app.graph.getNodeById({TRACK_EDITOR}).ectfgTimeline"


def editor_payload(text: str, description: str) -> dict:
    """The UI output the Emotion Track Editor sends for this text: the real speech, prediction and node."""
    from ectfg_core.pipeline import predict_track, speak
    from nodes.track_node import EmotionTrackEditor

    spoken = speak(text, description)
    prediction, _ = predict_track(spoken.plan, spoken.speech, 25.0)
    (payload,) = EmotionTrackEditor().run(prediction, "")["ui"]["ectfg_timeline"]
    return payload


def show_payload(page: Chromium, payload: dict) -> None:
    """Hand the payload to the node as the frontend does when the node's `executed` message arrives."""
    node = f"app.graph.getNodeById({TRACK_EDITOR})"
    page.evaluate(f"(() => {{ {node}.onExecuted({{ ectfg_timeline: [{json.dumps(payload)}] }}); return true; }})()")
    show_track_editor(page)


def rect_of(page: Chromium, element: str) -> dict:
    """An element's box in page pixels: x, y, width, height, right, bottom and its centre (cx, cy)."""
    return page.evaluate(f"""(() => {{ const r = {element}.getBoundingClientRect();
        return {{ x: r.x, y: r.y, width: r.width, height: r.height, right: r.right, bottom: r.bottom,
                  cx: r.x + r.width / 2, cy: r.y + r.height / 2 }}; }})()""")


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    shown = [b for b in boxes if not b["hidden"]]
    return [(a["full"], b["full"]) for i, a in enumerate(shown) for b in shown[i + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


def timeline_shot(page: Chromium, name: str) -> None:
    r = rect_of(page, f"{TIMELINE}.root")
    clip = {"x": r["x"] - 8, "y": r["y"] - 8, "width": r["width"] + 16, "height": r["height"] + 16}
    try:
        page.screenshot(artifacts_dir() / name, clip=clip, scale=2)
    except TimeoutError:
        raise AssertionError([e["method"] for e in page.events][-30:]) from None


def override_value(page: Chromium) -> str:
    return page.evaluate(f"app.graph.getNodeById({TRACK_EDITOR}).widgets.find(w => w.name === 'override_json').value")


def press_key(page: Chromium, key: str, code: str, vk: int, modifiers: int = 0) -> None:
    for kind in ("rawKeyDown", "keyUp"):
        page.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=vk, modifiers=modifiers)


def add_preview_audio(page: Chromium, seconds: float) -> None:
    """An <audio> element of this length in the page, as a Preview Audio node of the speech shows one (silent WAV)."""
    page.evaluate(f"""(() => {{
        const seconds = {seconds}, rate = 8000, n = Math.round(seconds * rate);
        const v = new DataView(new ArrayBuffer(44 + 2 * n));
        const text = (o, s) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
        text(0, 'RIFF'); v.setUint32(4, 36 + 2 * n, true); text(8, 'WAVEfmt '); v.setUint32(16, 16, true);
        v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, rate, true); v.setUint32(28, 2 * rate, true);
        v.setUint16(32, 2, true); v.setUint16(34, 16, true); text(36, 'data'); v.setUint32(40, 2 * n, true);
        const audio = document.createElement('audio');
        audio.id = 'ectfg-test-preview';
        audio.muted = true;
        audio.src = URL.createObjectURL(new Blob([v.buffer], {{ type: 'audio/wav' }}));
        document.body.append(audio);
        return true;
    }})()""")


def test_timeline_labels_never_overlap_and_the_drawing_survives_a_reload(browser):
    page = browser
    load(page, OFFLINE_CPU)
    short = editor_payload(SHORT_TEXT, "starts happy, then slowly becomes irritated")
    long = editor_payload(LONG_TEXT, "starts happy, then irritated, ends warm")
    assert len(short["words"]) == 12 and len(long["words"]) == 60

    show_payload(page, short)
    boxes = page.evaluate(f"{TIMELINE}.labelBoxes()")
    assert overlaps(boxes) == [] and all(b["text"] == b["full"] for b in boxes)  # twelve words: every one in full
    but, where = boxes[7], boxes[8]
    assert (but["full"], where["full"]) == ("But", "where")
    assert but["y"] != where["y"] or where["x"] - (but["x"] + but["w"]) >= 2  # never printed as one
    timeline_shot(page, "timeline_12.png")

    show_payload(page, long)
    canvas = rect_of(page, f"{TIMELINE}.canvas")
    boxes = page.evaluate(f"{TIMELINE}.labelBoxes()")
    assert len(boxes) == 60 and overlaps(boxes) == []
    assert "60 words" in page.evaluate(f"{TIMELINE}.status.textContent") and "content 0.50" in page.evaluate(f"{TIMELINE}.status.title")
    legend = page.evaluate(f"[...{TIMELINE}.legend.children].map(e => [e.dataset.emotion, e.style.opacity])")
    assert [name for name, _ in legend] == long["emotions"]  # a swatch per emotion, those of this speech in full colour
    assert {name for name, opacity in legend if opacity == "1"} == {w["emotion"] for w in long["words"]}
    assert all(canvas["x"] <= b["x"] and b["x"] + b["w"] <= canvas["right"] + 0.5 for b in boxes if not b["hidden"])
    assert sum(not b["hidden"] for b in boxes) >= 40, boxes
    timeline_shot(page, "timeline_60.png")
    # A word without a visible label is still there under the pointer: hovering its strip shows it in full.
    for b in [b for b in boxes if b["hidden"]][:5]:
        point = page.evaluate(f"{TIMELINE}.clientPoints({b['index']})")["band"]
        page.mouse("mouseMoved", point["x"], point["y"])
        assert page.evaluate(f"{TIMELINE}.state.hover") == b["index"]
    # Zoomed in (the + button, twice), every word in view reads in full and still none overlap.
    for _ in range(2):
        plus = rect_of(page, f"{TIMELINE}.zoomIn")
        page.click(plus["cx"], plus["cy"])
    zoomed = page.evaluate(f"{TIMELINE}.labelBoxes()")
    in_view = [b for b in zoomed if b["inView"]]
    assert page.evaluate(f"{TIMELINE}.view.zoom") == pytest.approx(2.25)
    assert overlaps(zoomed) == [] and 10 <= len(in_view) < 60
    assert all(not b["hidden"] and b["text"] == b["full"] for b in in_view), in_view
    timeline_shot(page, "timeline_60_zoomed.png")
    page.evaluate(f"{TIMELINE}.setView({{ zoom: 1, scroll: 0 }}) || true")
    # Two fingers spreading on a touch screen zoom the timeline (20 px apart to 160 px: eightfold), not the graph.
    c = rect_of(page, f"{TIMELINE}.canvas")
    y = c["y"] + c["height"] * 0.75

    def touch(kind: str, xs: list[float]) -> None:
        page.call("Input.dispatchTouchEvent", type=kind, touchPoints=[{"x": x, "y": y, "id": i} for i, x in enumerate(xs)])

    assert page.evaluate("app.canvas.ds.scale") == 1
    touch("touchStart", [c["cx"] - 10, c["cx"] + 10])
    for d in range(15, 81, 5):
        touch("touchMove", [c["cx"] - d, c["cx"] + d])
    touch("touchEnd", [])
    graph_scale = page.evaluate("app.canvas.ds.scale")
    assert page.evaluate(f"{TIMELINE}.view.zoom") == pytest.approx(8) and graph_scale == 1
    assert page.evaluate(f"{TIMELINE}.gesture.dragging") is None and override_value(page) == ""
    page.evaluate(f"{TIMELINE}.setView({{ zoom: 1, scroll: 0 }}) || true")

    # A drag the browser cancels (pointercancel) writes nothing and leaves no drag behind.
    handle = page.evaluate(f"{TIMELINE}.clientPoints(20)")["handle"]
    page.mouse("mouseMoved", handle["x"], handle["y"])
    page.mouse("mousePressed", handle["x"], handle["y"], buttons=1, button="left", clicks=1)
    page.mouse("mouseMoved", handle["x"], handle["y"] - 40, buttons=1, button="left")
    assert page.evaluate(f"{TIMELINE}.gesture.dragging") == 20
    page.evaluate(f"{TIMELINE}.canvas.dispatchEvent(new PointerEvent('pointercancel', {{ pointerId: 1, bubbles: true }})) || true")
    page.mouse("mouseReleased", handle["x"], handle["y"] - 40, button="left", clicks=1)
    assert page.evaluate(f"{TIMELINE}.gesture.dragging") is None and override_value(page) == ""

    # A real drag writes the edit; Ctrl+Z in the timeline takes it back (and only it), as does the Undo button.
    page.drag(handle["x"], handle["y"], handle["x"], handle["y"] - 40)
    assert json.loads(override_value(page))["words"][0]["index"] == 20
    nodes = page.evaluate("app.graph.nodes.length")
    press_key(page, "z", "KeyZ", 90, modifiers=2)
    page.pump(0.5)
    assert override_value(page) == "" and page.evaluate("app.graph.nodes.length") == nodes
    assert page.evaluate(f"{TIMELINE}.payload.words.length") == 60  # the graph's own undo did not also step back
    page.drag(handle["x"], handle["y"], handle["x"], handle["y"] - 40)
    undo = rect_of(page, f"{TIMELINE}.undoButton")
    page.click(undo["cx"], undo["cy"])
    assert override_value(page) == ""

    # The playhead follows a preview of this speech playing in the page (a Preview Audio / Save Video element).
    add_preview_audio(page, long["duration"])
    page.wait_for("document.getElementById('ectfg-test-preview').readyState >= 1", timeout=10)
    play = rect_of(page, f"{TIMELINE}.play")
    page.click(play["cx"], play["cy"])  # the timeline's own play button starts the preview it found
    try:
        playhead = page.wait_for(f"{TIMELINE}.state.playhead > 0.3 && {TIMELINE}.state.playhead", timeout=15)
    except TimeoutError:
        raise AssertionError(page.evaluate(f"""(() => {{ const a = document.getElementById('ectfg-test-preview');
            return [a.paused, a.currentTime, a.duration, {TIMELINE}.state.playhead, {TIMELINE}.status.textContent,
                    {TIMELINE}.speechMedia().length, document.elementFromPoint({play['cx']}, {play['cy']})?.outerHTML]; }})()""")) from None
    assert 0.3 < playhead < long["duration"]
    page.evaluate("document.getElementById('ectfg-test-preview').pause() || true")
    page.evaluate("document.getElementById('ectfg-test-preview').remove() || true")

    # After a page reload the last drawing is back, from the node's properties kept with the workflow.
    page.events.clear()
    page.reload()
    page.wait_for("!!(window.app && app.graph && app.canvas && app.rootGraph.nodes.length > 0)", timeout=120)
    page.wait_for(f"!!app.graph.getNodeById({TRACK_EDITOR})?.ectfgTimeline?.payload", timeout=30)
    show_track_editor(page)
    stats = page.evaluate(TIMELINE_STATS)
    assert stats["words"] == 60 and stats["visible"] and stats["coloured"] > 0.15, stats
    assert overlaps(page.evaluate(f"{TIMELINE}.labelBoxes()")) == []
    timeline_shot(page, "timeline_after_reload.png")
    assert [e for e in page_errors(page) if not e.startswith("network:")] == []
