"""Reading the shared workflows (frontend format 0.4 + API-format twins) against node definitions.

They live in example_workflows/, the folder ComfyUI (and the Comfy Registry) shows in the Templates browser: each
<title>.json with its thumbnail <title>.jpg, the file name being the title users see. The API twins and the layouts
sit in the api/ and layout/ subfolders, which the browser does not list.

Node definitions have the shape of ComfyUI's /object_info entries: ours are built from NODE_CLASS_MAPPINGS, core ones
come from tests/data/comfy_core_nodes.json (taken from ComfyUI 0.8's /object_info; test_comfy_server.py checks it
against a live server and rewrites it when ECTFG_UPDATE_FIXTURES=1).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "example_workflows"
API_DIR = WORKFLOWS / "api"
# The four shared workflows by title (the file names): (a) offline CPU, (b) GPU diffusion, (c) external speech,
# (d) frames to diffusion.
OFFLINE_CPU = "Talking face on the CPU, offline"
GPU_DIFFUSION = "Photoreal talking face with Hallo diffusion on the GPU"
EXTERNAL_SPEECH = "Talking face from your own speech recording"
FRAMES_TO_DIFFUSION = "Talking face refined by a Stable Diffusion checkpoint"
CORE_FIXTURE = ROOT / "tests" / "data" / "comfy_core_nodes.json"

FRONTEND_ONLY = {"Note", "MarkdownNote"}  # drawn by the frontend, never sent to the server
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
CONTROL_VALUES = {"fixed", "increment", "decrement", "randomize"}
MUTED_MODES = {2, 4}  # never / bypass: not part of the API prompt
# Inputs the frontend itself adds to some node types (its audio player widget); the server ignores them.
FRONTEND_INPUTS = {"LoadAudio": {"audioUI"}}


def load_plugin():
    """The plugin loaded the way ComfyUI loads a custom node folder (a package named after the folder)."""
    if "ectfg_plugin" in sys.modules:
        return sys.modules["ectfg_plugin"]
    root = Path(os.environ.get("ECTFG_PLUGIN_DIR") or ROOT)  # the same plugin folder the server tests install
    spec = importlib.util.spec_from_file_location("ectfg_plugin", root / "__init__.py", submodule_search_locations=[str(root)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["ectfg_plugin"] = module
    spec.loader.exec_module(module)
    return module


def our_node_defs() -> dict[str, dict]:
    defs = {}
    for name, cls in load_plugin().NODE_CLASS_MAPPINGS.items():
        inputs = cls.INPUT_TYPES()
        defs[name] = {
            "input": {k: v for k, v in inputs.items() if k in ("required", "optional")},
            "input_order": {k: list(v) for k, v in inputs.items() if k in ("required", "optional")},
            "output": list(cls.RETURN_TYPES),
            "output_name": list(getattr(cls, "RETURN_NAMES", cls.RETURN_TYPES)),
        }
    return defs


def core_fixture() -> dict:
    return json.loads(CORE_FIXTURE.read_text(encoding="utf-8"))


def all_node_defs() -> dict[str, dict]:
    return {**core_fixture()["nodes"], **our_node_defs()}


def file_inputs() -> dict[str, list[str]]:
    """Inputs whose choices are the files of the user's install (models, input files): any name is accepted here."""
    return core_fixture()["file_inputs"]


def normalize_core_def(node_def: dict, files: list[str]) -> dict:
    """An /object_info entry reduced to what the workflow checks use, with install-specific file lists emptied."""
    out = {"input": {}, "input_order": node_def.get("input_order", {}), "output": node_def["output"],
           "output_name": node_def["output_name"]}
    for group in ("required", "optional"):
        entries = {}
        for name, spec in node_def.get("input", {}).get(group, {}).items():
            kind = spec[0]
            options = dict(spec[1]) if len(spec) > 1 and isinstance(spec[1], dict) else {}
            options.pop("tooltip", None)
            if name in files:
                kind = [] if isinstance(kind, list) else kind
                options.pop("options", None)
            entries[name] = [kind, options]
        if entries:
            out["input"][group] = entries
    return out


def workflow_names() -> list[str]:
    return sorted(p.stem for p in WORKFLOWS.glob("*.json"))


def load_ui(name: str) -> dict:
    return json.loads((WORKFLOWS / f"{name}.json").read_text(encoding="utf-8"))


def load_api(name: str) -> dict:
    return json.loads((API_DIR / f"{name}.json").read_text(encoding="utf-8"))


def input_specs(node_def: dict) -> list[tuple[str, str, object, dict, bool]]:
    """(name, group, type, options, is_widget) in the frontend's order."""
    out = []
    for group in ("required", "optional"):
        specs = node_def.get("input", {}).get(group, {})
        for name in node_def.get("input_order", {}).get(group, list(specs)):
            kind = specs[name][0]
            options = specs[name][1] if len(specs[name]) > 1 and isinstance(specs[name][1], dict) else {}
            is_widget = isinstance(kind, list) or kind in WIDGET_TYPES
            out.append((name, group, kind, options, is_widget))
    return out


def type_name(kind) -> str:
    return "COMBO" if isinstance(kind, list) else str(kind)


def types_match(output_type: str, input_type: str) -> bool:
    if output_type == "*" or input_type == "*":
        return True
    return output_type in input_type.split(",") or input_type in output_type.split(",")


def check_value(node_type: str, name: str, kind, options: dict, value, files: set[str]) -> str | None:
    """Why `value` is not acceptable for this widget, or None."""
    where = f"{node_type}.{name}={value!r}"
    if name in files:
        return None if isinstance(value, str) and value else f"{where}: a file name is needed"
    if isinstance(kind, list) or kind == "COMBO":
        choices = kind if isinstance(kind, list) else options.get("options", [])
        return None if value in choices else f"{where}: not one of {choices[:10]}"
    if kind == "BOOLEAN":
        return None if isinstance(value, bool) else f"{where}: not a boolean"
    if kind == "STRING":
        return None if isinstance(value, str) else f"{where}: not a string"
    if kind in ("INT", "FLOAT"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{where}: not a number"
        if kind == "INT" and value != int(value):
            return f"{where}: not a whole number"
        if "min" in options and value < options["min"]:
            return f"{where}: below the minimum {options['min']}"
        if "max" in options and value > options["max"]:
            return f"{where}: above the maximum {options['max']}"
    return None


def widget_values(node: dict, node_def: dict) -> tuple[dict[str, object], list[str]]:
    """Map a UI node's widgets_values onto its widget inputs (the frontend's order) and report problems."""
    values = list(node.get("widgets_values") or [])
    mapped, problems, i = {}, [], 0
    for name, _group, kind, options, is_widget in input_specs(node_def):
        if not is_widget:
            continue
        if i >= len(values):
            problems.append(f"node {node['id']} ({node['type']}) has no widget value for {name}")
            break
        mapped[name] = values[i]
        i += 1
        control = options.get("control_after_generate")
        if control is None:  # the frontend adds the control to INT inputs named seed / noise_seed by default
            control = kind == "INT" and name in ("seed", "noise_seed")
        if control:
            if i >= len(values) or values[i] not in CONTROL_VALUES:
                problems.append(f"node {node['id']} ({node['type']}): {name} lacks its control_after_generate value")
            elif values[i] != "fixed":  # shared graphs give the same result when re-queued (and hit the cache)
                problems.append(f"node {node['id']} ({node['type']}): {name} is set to {values[i]!r}; keep it 'fixed'")
            i += 1
    extra = values[i:]
    uploads = [k for spec in input_specs(node_def) for k in ("image_upload", "audio_upload", "video_upload") if spec[3].get(k)]
    if extra and not uploads:
        problems.append(f"node {node['id']} ({node['type']}) has {len(extra)} widget value(s) no input takes: {extra}")
    return mapped, problems
