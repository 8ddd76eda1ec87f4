"""Messages worded for whoever calls: the core names the value at fault (InputError.field) in words of its own, the
CLI adds its flag and help, a node the name of its input; nothing a node shows points at the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ectfg_core.cli import main
from ectfg_core.commands.content_option import DEFAULT_CONTENT
from ectfg_core.errors import InputError
from ectfg_core.pipeline import check_fps, check_strength
from ectfg_core.types.description import DEFAULT_CONTENT_AMOUNT

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return code, lines[0]


def test_cli_names_its_flags(capsys):
    code, line = _cli(capsys, "plan", "--text", "Hello there", "--emotion", "xyz")
    assert code == 2 and "--emotion: " in line and '"xyz" names no emotion' in line and "`ectfg plan --help`" in line
    code, line = _cli(capsys, "plan", "--text", "Hello there", "--emotion", "calm", "--content", "1.5")
    assert code == 2 and "--content" in line and "1.5 is out of range" in line and "0 (exactly the description)" in line
    code, line = _cli(capsys, "generate", "--text", "Hi", "--out", "x.mp4", "--content", "-1")
    assert code == 2 and "--content" in line


def test_the_cli_default_is_the_core_default():
    assert DEFAULT_CONTENT == DEFAULT_CONTENT_AMOUNT


@pytest.fixture(scope="module")
def tts_node():
    pytest.importorskip("torch", reason="the ComfyUI node adapters convert to torch tensors")
    from nodes.tts_node import EmotionalTTS

    return EmotionalTTS()


def _node_error(node, **inputs) -> str:
    values = {"text": "Hello there", "emotion": "calm", "voice": "en-us", "words_per_minute": 165, **inputs}
    with pytest.raises(InputError) as err:
        node.run(**values)
    message = str(err.value)
    assert "--" not in message and "ectfg plan" not in message and "\n" not in message
    return message


def test_node_names_its_inputs(tts_node):
    message = _node_error(tts_node, emotion="xyz")
    assert '"xyz" names no emotion' in message and "the `emotion` input of Emotional TTS" in message
    message = _node_error(tts_node, content=1.5)
    assert "1.5 is out of range" in message and "the `content` input of Emotional TTS" in message


def test_external_speech_node_names_its_content_input():
    torch = pytest.importorskip("torch", reason="the ComfyUI node adapters convert to torch tensors")
    from nodes.external_speech_node import ExternalSpeech

    audio = {"waveform": torch.zeros(1, 1, 16000), "sample_rate": 16000}
    with pytest.raises(InputError) as err:
        ExternalSpeech().run(audio, "Hello there", "calm", aligner="espeak-dtw", content=2.0)
    assert "the `content` input of External Speech" in str(err.value) and "--" not in str(err.value)


def test_node_input_declares_the_range(tts_node):
    spec = tts_node.INPUT_TYPES()["optional"]["content"]
    assert spec[0] == "FLOAT" and spec[1]["min"] == 0.0 and spec[1]["max"] == 1.0
    assert spec[1]["default"] == DEFAULT_CONTENT_AMOUNT


def test_checks_shared_with_nodes_name_no_flag():
    for check, value, field in ((check_fps, 500, "fps"), (check_strength, 3, "expression_strength")):
        with pytest.raises(InputError) as err:
            check(value)
        assert err.value.field == field and "--" not in str(err.value)


def _error_strings(path: Path) -> list[str]:
    """Literal text of every InputError/ModelError raised in a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("InputError", "ModelError"):
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append(part.value)
    return found


def test_emotion_errors_point_at_no_command_line():
    # The emotion package is reached from the nodes and the CLI alike; flags and commands are the CLI's to add.
    for path in sorted((ROOT / "ectfg_core" / "emotion").glob("*.py")):
        for text in _error_strings(path):
            assert "--" not in text and "`ectfg " not in text, f"{path.name}: {text!r}"


def test_library_messages_leave_flags_to_the_command_line():
    """A node user must never be told to pass a command-line flag: below ectfg_core/commands/, errors name the value at
    fault (InputError.field) and the CLI adds its flag (for_cli)."""
    import re

    root = Path(__file__).resolve().parents[1] / "ectfg_core"
    flagged = []
    for path in root.rglob("*.py"):
        if "commands" in path.relative_to(root).parts or path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("InputError", "ModelError"):
                text = " ".join(str(c.value) for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))
                if re.search(r"(?<![\w-])--(?!no-deps)[a-z]", text):
                    flagged.append(f"{path.relative_to(root)}:{node.lineno}")
    assert flagged == []
