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
    for kind in ("dragEnter", "dragOver", "drop"):
        page.call("Input.dispatchDragEvent", type=kind, x=page.width // 2, y=page.height // 2, data=data)
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
    assert page_errors(page) == []
