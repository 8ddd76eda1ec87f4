"""Rebuild the shared workflows with the real ComfyUI frontend, so they are exactly what it saves and queues.

For each example_workflows/api/<title>.json (the API prompt: nodes, links, values) and
example_workflows/layout/<title>.json (positions, sizes, Notes, view), the frontend loads the prompt, the layout is
applied, and its own serializers write example_workflows/<title>.json (frontend format) and
example_workflows/api/<title>.json (what it would queue, new inputs included with their defaults). Run it after a node
gains or loses an input:

  ECTFG_COMFYUI_DIR=~/ComfyUI ECTFG_COMFYUI_PYTHON=~/ComfyUI/venv/bin/python python tests/build_workflows.py [title ...]

Seeds' "control after generate" is set to fixed, so a shared graph gives the same result again (and hits the cache).
"""

from __future__ import annotations

import json
import sys

from cdp import Chromium, find_chromium
from comfy_harness import ComfyServer, comfyui_dir
from workflow_graph import API_DIR, WORKFLOWS

LAYOUTS = WORKFLOWS / "layout"

BUILD = """(async () => {
  const api = %(api)s, spec = %(spec)s;
  app.loadApiJson(api, %(name)s);
  const g = app.rootGraph;
  for (const n of g.nodes) for (const w of n.widgets || []) if (w.name === "control_after_generate") w.value = "fixed";
  for (const [id, [x, y, w, h]] of Object.entries(spec.layout)) {
    const n = g.getNodeById(+id);
    if (!n) throw new Error("layout names node " + id + " which the prompt lacks");
    n.pos = [x, y];
    if (w) n.size = [w, h];
  }
  // Model files the frontend offers to download when missing (its "missing models" dialog): name, url, directory.
  for (const [id, models] of Object.entries(spec.models || {})) g.getNodeById(+id).properties.models = models;
  for (const note of spec.notes || []) {
    const n = LiteGraph.createNode(note.type || "Note");
    n.id = note.id; n.title = note.title; g.add(n);
    n.widgets[0].value = note.text; n.pos = note.pos; n.size = note.size;
    if (note.color) { n.color = note.color; n.bgcolor = note.bgcolor; }
  }
  app.canvas.ds.scale = spec.scale; app.canvas.ds.offset = spec.offset;
  const p = await app.graphToPrompt();
  return { workflow: p.workflow, output: p.output };
})()"""


def renumber_links(workflow: dict) -> dict:
    """Links numbered 1..N in order (the frontend's loader leaves gaps), nodes sorted by id: stable, readable diffs."""
    mapping = {link[0]: i + 1 for i, link in enumerate(sorted(workflow["links"], key=lambda link: link[0]))}
    for link in workflow["links"]:
        link[0] = mapping[link[0]]
    workflow["links"].sort(key=lambda link: link[0])
    for node in workflow["nodes"]:
        for slot in node.get("inputs", []):
            if slot.get("link") is not None:
                slot["link"] = mapping[slot["link"]]
        for slot in node.get("outputs", []):
            if slot.get("links"):
                slot["links"] = [mapping[x] for x in slot["links"]]
    workflow["last_link_id"] = len(mapping)
    workflow["nodes"].sort(key=lambda node: node["id"])
    return workflow


def main(names: list[str]) -> None:
    if comfyui_dir() is None or find_chromium() is None:
        sys.exit("set ECTFG_COMFYUI_DIR (and ECTFG_COMFYUI_PYTHON) and install Chromium")
    names = names or sorted(p.stem for p in LAYOUTS.glob("*.json"))
    with ComfyServer(comfyui_dir(), settings={"Comfy.TutorialCompleted": True}) as server, Chromium(find_chromium()) as page:
        page.navigate(server.url)
        page.wait_for("!!(window.app && app.graph && app.canvas && app.rootGraph.nodes.length > 0)", timeout=120)
        page.pump(1.0)
        page.events.clear()  # start-up noise (settings files a fresh user lacks) is not ours
        for name in names:
            api = json.loads((API_DIR / f"{name}.json").read_text(encoding="utf-8"))
            spec = json.loads((LAYOUTS / f"{name}.json").read_text(encoding="utf-8"))
            built = page.evaluate(BUILD % {"api": json.dumps(api), "spec": json.dumps(spec), "name": json.dumps(name)})
            workflow = renumber_links(built["workflow"])
            prompt = {key: built["output"][key] for key in sorted(built["output"], key=int)}
            (WORKFLOWS / f"{name}.json").write_text(json.dumps(workflow, indent=1) + "\n", encoding="utf-8")
            (API_DIR / f"{name}.json").write_text(json.dumps(prompt, indent=1) + "\n", encoding="utf-8")
            print(f"{name}: {len(workflow['nodes'])} nodes, {len(workflow['links'])} links")
        errors = [e for e in page.errors() if not (e.startswith("network:") and "127.0.0.1" not in e)]
        if errors:
            sys.exit("the frontend reported errors:\n" + "\n".join(errors))


if __name__ == "__main__":
    main(sys.argv[1:])
