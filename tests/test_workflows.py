"""The shared workflows in example_workflows/: every node exists, every link type-checks, every widget value is valid,
and the frontend-format file agrees with its API-format twin in example_workflows/api/. Runs without ComfyUI."""

from __future__ import annotations

import pytest
from workflow_graph import (
    API_DIR,
    EXTERNAL_SPEECH,
    FRAMES_TO_DIFFUSION,
    FRONTEND_INPUTS,
    FRONTEND_ONLY,
    GPU_DIFFUSION,
    MUTED_MODES,
    OFFLINE_CPU,
    ROOT,
    WORKFLOWS,
    all_node_defs,
    check_value,
    core_fixture,
    file_inputs,
    input_specs,
    load_api,
    load_plugin,
    load_ui,
    our_node_defs,
    type_name,
    types_match,
    widget_values,
    workflow_names,
)

NAMES = workflow_names()
# The four workflows of the issue: (a) offline CPU, (b) GPU diffusion, (c) external speech, (d) frames to diffusion.
REQUIRED = {OFFLINE_CPU, GPU_DIFFUSION, EXTERNAL_SPEECH, FRAMES_TO_DIFFUSION}


class NodeDefs(dict):
    """Node definitions by type; an unknown type fails the test with the fix instead of a bare KeyError."""

    def __missing__(self, key):
        pytest.fail(f"node type {key!r} is neither ours (nodes/__init__.py NODE_CLASS_MAPPINGS) nor in tests/data/comfy_core_nodes.json")


@pytest.fixture(scope="module")
def defs() -> dict[str, dict]:
    return NodeDefs(all_node_defs())


@pytest.fixture(scope="module")
def files() -> dict[str, set[str]]:
    return {k: set(v) for k, v in file_inputs().items()}


def test_the_workflows_and_their_twins_are_there():
    assert REQUIRED <= set(NAMES), f"missing workflows: {REQUIRED - set(NAMES)}"
    twins = {p.stem for p in API_DIR.glob("*.json")}
    assert twins == set(NAMES), f"UI files without API twin: {set(NAMES) - twins}; twins without UI file: {twins - set(NAMES)}"
    # ComfyUI lists every *.json directly in example_workflows/ as a template: API twins must stay in api/.
    assert not list(WORKFLOWS.glob("*_api.json"))
    # tests/build_workflows.py rebuilds each from its twin and its layout (positions and Notes).
    assert {p.stem for p in (WORKFLOWS / "layout").glob("*.json")} == set(NAMES)
    assert all((WORKFLOWS / f"{name}.jpg").is_file() for name in NAMES), "each template needs its thumbnail <name>.jpg"


@pytest.mark.parametrize("name", NAMES)
def test_every_node_type_exists(name, defs):
    ui, api = load_ui(name), load_api(name)
    assert ui.get("version") == 0.4, "frontend workflow format 0.4 expected"
    missing = sorted({n["type"] for n in ui["nodes"]} - set(defs) - FRONTEND_ONLY)
    missing += sorted({n["class_type"] for n in api.values()} - set(defs))
    assert not missing, f"{name}: unknown node types {missing} (not ours and not in tests/data/comfy_core_nodes.json)"


@pytest.mark.parametrize("name", NAMES)
def test_every_link_type_checks(name, defs):
    ui = load_ui(name)
    nodes = {n["id"]: n for n in ui["nodes"]}
    assert len(nodes) == len(ui["nodes"]), "node ids must be unique"
    problems = []
    for link_id, src, src_slot, dst, dst_slot, link_type in ui["links"]:
        a, b = nodes[src], nodes[dst]
        out_type = defs[a["type"]]["output"][src_slot]
        slot = b["inputs"][dst_slot]
        spec = {s[0]: s for s in input_specs(defs[b["type"]])}.get(slot["name"])
        if spec is None:
            problems.append(f"link {link_id}: {b['type']} has no input {slot['name']!r}")
            continue
        in_type = type_name(spec[2])
        if link_type != out_type:
            problems.append(f"link {link_id}: recorded as {link_type}, but {a['type']} output {src_slot} is {out_type}")
        if not types_match(out_type, in_type):
            problems.append(f"link {link_id}: {a['type']}.{defs[a['type']]['output_name'][src_slot]} ({out_type}) -> "
                            f"{b['type']}.{slot['name']} ({in_type})")
        if slot.get("link") != link_id or link_id not in (a["outputs"][src_slot].get("links") or []):
            problems.append(f"link {link_id}: the nodes' own slot records do not point back at it")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_required_inputs_are_connected_or_valid(name, defs, files):
    ui = load_ui(name)
    problems = []
    for node in ui["nodes"]:
        if node["type"] in FRONTEND_ONLY or node.get("mode") in MUTED_MODES:
            continue
        node_def = defs[node["type"]]
        linked = {i["name"] for i in node.get("inputs", []) if i.get("link") is not None}
        values, found = widget_values(node, node_def)
        problems += found
        for input_name, group, kind, options, is_widget in input_specs(node_def):
            if input_name in linked:
                continue
            if not is_widget:
                if group == "required":
                    problems.append(f"node {node['id']} ({node['type']}): required input {input_name} is not connected")
                continue
            if input_name in values:
                why = check_value(node["type"], input_name, kind, options, values[input_name], files.get(node["type"], set()))
                if why:
                    problems.append(f"node {node['id']}: {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_ui_and_api_twins_agree(name, defs):
    ui, api = load_ui(name), load_api(name)
    live = {str(n["id"]): n for n in ui["nodes"] if n["type"] not in FRONTEND_ONLY and n.get("mode") not in MUTED_MODES}
    assert set(live) == set(api), f"nodes only in the UI file: {set(live) - set(api)}, only in the API file: {set(api) - set(live)}"
    links = {link[0]: link for link in ui["links"]}
    problems = []
    for node_id, node in live.items():
        entry = api[node_id]
        if entry["class_type"] != node["type"]:
            problems.append(f"node {node_id}: {node['type']} in the UI, {entry['class_type']} in the API file")
            continue
        node_def = defs[node["type"]]
        expected = {}
        for slot in node.get("inputs", []):
            if slot.get("link") is not None:
                _, src, src_slot, *_ = links[slot["link"]]
                expected[slot["name"]] = [str(src), src_slot]
        values, _ = widget_values(node, node_def)
        for key, value in values.items():
            expected.setdefault(key, value)
        actual = entry["inputs"]
        for key in sorted((set(expected) | set(actual)) - FRONTEND_INPUTS.get(node["type"], set())):
            a, e = actual.get(key), expected.get(key)
            same = (abs(a - e) < 1e-9) if isinstance(a, (int, float)) and isinstance(e, (int, float)) else a == e
            if not same:
                problems.append(f"node {node_id} ({node['type']}).{key}: UI {e!r}, API {a!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_api_prompt_is_complete(name, defs, files):
    api = load_api(name)
    problems = []
    for node_id, entry in api.items():
        node_def = defs[entry["class_type"]]
        specs = {s[0]: s for s in input_specs(node_def)}
        for key, value in entry["inputs"].items():
            if key in FRONTEND_INPUTS.get(entry["class_type"], set()):
                continue
            if key not in specs:
                problems.append(f"{node_id}: {entry['class_type']} has no input {key!r}")
            elif isinstance(value, list):
                src, slot = value
                if src not in api:
                    problems.append(f"{node_id}.{key}: links to missing node {src}")
                    continue
                out_type = defs[api[src]["class_type"]]["output"][slot]
                if not types_match(out_type, type_name(specs[key][2])):
                    problems.append(f"{node_id}.{key}: {out_type} does not fit {type_name(specs[key][2])}")
            elif specs[key][4]:
                why = check_value(entry["class_type"], key, specs[key][2], specs[key][3], value, files.get(entry["class_type"], set()))
                if why:
                    problems.append(f"{node_id}: {why}")
        for key, (_, group, *_rest) in specs.items():
            if group == "required" and key not in entry["inputs"]:
                problems.append(f"{node_id}: {entry['class_type']} lacks the required input {key}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_a_note_says_which_models_are_needed_and_where(name):
    notes = [n for n in load_ui(name)["nodes"] if n["type"] in FRONTEND_ONLY]
    assert notes, f"{name} has no Note"
    text = " ".join(str(v) for n in notes for v in n.get("widgets_values", []))
    assert "MODELS" in text.upper()
    loaders = {n["class_type"] for n in load_api(name).values() if "Loader" in n["class_type"]}
    if loaders:  # a graph that loads weights says in which models/ folder they go
        assert "models/" in text, f"{name}: the Note should name the models/ folders for {sorted(loaders)}"


def test_workflow_a_runs_on_a_fresh_install():
    """(a) needs no model files and loads the portrait the plugin copies into ComfyUI's input folder."""
    from ectfg_plugin.nodes.examples import EXAMPLE_PORTRAIT

    api = load_api(OFFLINE_CPU)
    assert not [n for n in api.values() if n["class_type"] in {t for t, inputs in file_inputs().items() if t != "LoadImage"}]
    images = [n["inputs"]["image"] for n in api.values() if n["class_type"] == "LoadImage"]
    assert images == [EXAMPLE_PORTRAIT]
    kinds = {n["class_type"] for n in api.values()}
    assert {"ECTFG_EmotionTrackEditor", "ECTFG_EmbeddedRenderer", "SaveVideo"} <= kinds


def test_core_fixture_covers_exactly_the_core_nodes_used():
    used = set()
    for name in NAMES:
        used |= {n["class_type"] for n in load_api(name).values()}
    ours = set(our_node_defs())
    assert used - ours == set(core_fixture()["nodes"]), "regenerate tests/data/comfy_core_nodes.json (see its 'about')"


def test_titles_read_as_titles():
    """The file name is the title in ComfyUI's Templates browser."""
    for name in NAMES:
        assert "_" not in name and name[0].isupper() and " " in name and len(name) <= 60, name


def test_example_workflows_is_the_only_template_folder():
    """ComfyUI also lists example/, examples/, workflow/ and workflows/ of a plugin: one folder, or every template twice."""
    assert WORKFLOWS.name == "example_workflows"
    assert not [d for d in ("example", "examples", "workflow", "workflows") if (ROOT / d).exists()]


# Core nodes that ComfyUI runs as outputs in these graphs (OUTPUT_NODE); ours say so on their class.
CORE_OUTPUT_NODES = {"SaveVideo", "SaveImage", "PreviewImage", "SaveAudio", "PreviewAudio", "SaveWEBM", "PreviewAny"}


def upstream(api: dict, node_id: str) -> set[str]:
    seen, todo = set(), [node_id]
    while todo:
        for value in api[todo.pop()]["inputs"].values():
            if isinstance(value, list) and len(value) == 2 and value[0] not in seen:
                seen.add(value[0])
                todo.append(value[0])
    return seen


@pytest.mark.parametrize("name", NAMES)
def test_no_output_runs_without_the_models(name):
    """ComfyUI runs the outputs that pass validation and calls the run a success: if any output did not need the
    model loaders, a missing model file would give a 'successful' run that writes nothing. So every output depends on
    every loader, and a missing file stops the whole graph with its message."""
    api = load_api(name)
    ours = our_node_defs()
    plugin_classes = load_plugin().NODE_CLASS_MAPPINGS
    outputs = [k for k, v in api.items() if v["class_type"] in CORE_OUTPUT_NODES
               or (v["class_type"] in ours and getattr(plugin_classes[v["class_type"]], "OUTPUT_NODE", False))]
    model_files = {t for t in file_inputs() if t not in ("LoadImage", "LoadAudio")}
    loaders = {k for k, v in api.items() if v["class_type"] in model_files or "ModelLoader" in v["class_type"]}
    assert outputs
    for out in outputs:
        missing = loaders - upstream(api, out)
        assert not missing, f"{name}: output {out} ({api[out]['class_type']}) runs without loader(s) {sorted(missing)}"


def test_registry_metadata_ships_the_templates_and_a_publish_workflow():
    """The Comfy Registry packs what [tool.comfy] includes; the publish workflow uses the documented action and secret."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11+")
    comfy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["comfy"]
    assert {"PublisherId", "DisplayName", "Icon", "includes", "requires-comfyui"} <= set(comfy)
    assert "example_workflows" in comfy["includes"]
    assert all((ROOT / folder).is_dir() for folder in comfy["includes"]), comfy["includes"]
    assert (ROOT / "web" / comfy["Icon"].rsplit("/web/", 1)[-1]).is_file()  # the icon URL points at a file of this repo
    publish = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert "Comfy-Org/publish-node-action@" in publish and "secrets.REGISTRY_ACCESS_TOKEN" in publish
    assert '"pyproject.toml"' in publish  # publishes on a version bump


@pytest.mark.parametrize("name", NAMES)
def test_core_model_loaders_carry_their_download(name):
    """A core loader's model file is listed in the node's properties.models (name, url, folder), so ComfyUI's frontend
    names the missing file, its folder and its source when the workflow is opened, before anything runs."""
    ui = load_ui(name)
    model_inputs = {t: inputs for t, inputs in file_inputs().items() if t not in ("LoadImage", "LoadAudio")}
    for node in ui["nodes"]:
        if node["type"] not in model_inputs:
            continue
        models = node.get("properties", {}).get("models") or []
        assert node["widgets_values"][0] in [m["name"] for m in models], f"{name}: node {node['id']} lists no download"
        for model in models:
            assert model["url"].startswith("https://") and model["url"].endswith(model["name"]) and model["directory"]
