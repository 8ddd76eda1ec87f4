"""Test helpers to run a real ComfyUI with this plugin: server process, HTTP and websockets.

Used by test_comfy_server.py and test_frontend.py. Nothing here modifies the ComfyUI checkout: the server runs with
--base-directory pointing at a temporary folder whose custom_nodes/ holds a symlink to the plugin, so models,
input, output and user settings all live (and die) with that folder.

Environment:
  ECTFG_COMFYUI_DIR     a ComfyUI checkout (tests skip without it)
  ECTFG_COMFYUI_PYTHON  its interpreter (default: the one running the tests)
  ECTFG_PLUGIN_DIR      the plugin folder to install (default: this repository)
  ECTFG_ARTIFACTS       where screenshots and server logs are kept (default: /tmp/ectfg-artifacts)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import websocket


def stop_process_group(proc: subprocess.Popen | None, timeout: float) -> None:
    """Terminate a process started in its own group (and its children); kill it if it does not exit in time."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "example_workflows"
START_TIMEOUT_S = 120


def comfyui_dir() -> Path | None:
    value = os.environ.get("ECTFG_COMFYUI_DIR")
    if not value:
        return None
    path = Path(value)
    return path if (path / "main.py").is_file() else None


def comfyui_python() -> str:
    return os.environ.get("ECTFG_COMFYUI_PYTHON") or sys.executable


def plugin_dir() -> Path:
    return Path(os.environ.get("ECTFG_PLUGIN_DIR") or ROOT).resolve()


def artifacts_dir() -> Path:
    path = Path(os.environ.get("ECTFG_ARTIFACTS") or "/tmp/ectfg-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even if it is killed (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_workflow(name: str) -> dict:
    return json.loads((WORKFLOWS / name).read_text(encoding="utf-8"))


# --- websockets (ComfyUI's /ws, Chromium's DevTools), through websocket-client ---


class WebSocket:
    """A websocket-client connection with the calls the tests make: whole messages in, text out, errors as builtins."""

    def __init__(self, url: str, timeout: float = 30.0):
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)

    def send_text(self, text: str) -> None:
        self.ws.send(text)

    def recv(self, timeout: float) -> str | bytes:
        """The next whole message (text as str, binary as bytes; pings are answered); raises TimeoutError."""
        self.ws.settimeout(timeout)
        try:
            return self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise TimeoutError("no websocket message in time") from None
        except websocket.WebSocketConnectionClosedException:
            raise ConnectionError("websocket closed by the server") from None

    def close(self) -> None:
        self.ws.close()


# --- ComfyUI server ---


class HTTPFailure(AssertionError):
    """An HTTP error answer; `body` is the parsed JSON when there is some."""

    def __init__(self, method: str, path: str, status: int, raw: bytes):
        try:
            self.body = json.loads(raw)
        except ValueError:
            self.body = raw.decode(errors="replace")
        self.status = status
        super().__init__(f"{method} {path} -> {status}: {json.dumps(self.body)[:3000]}")


class ComfyServer:
    """A ComfyUI process on 127.0.0.1 with the plugin installed in a temporary base directory."""

    def __init__(self, comfy_dir: Path, python: str | None = None, settings: dict | None = None):
        self.comfy_dir = comfy_dir
        self.python = python or comfyui_python()
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="ectfg-comfy-"))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "server.log"
        self.settings = settings or {}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> ComfyServer:
        (self.base / "custom_nodes").mkdir()
        (self.base / "custom_nodes" / "ectfg").symlink_to(plugin_dir(), target_is_directory=True)
        if self.settings:
            user = self.base / "user" / "default"
            user.mkdir(parents=True)
            (user / "comfy.settings.json").write_text(json.dumps(self.settings), encoding="utf-8")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GLOG_minloglevel="2")
        cmd = [self.python, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
               "--base-directory", str(self.base), "--disable-auto-launch"]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.comfy_dir, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.get("/system_stats", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise TimeoutError(f"ComfyUI did not answer within {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        stop_process_group(self.proc, timeout=15)
        if getattr(self, "_log", None):
            self._log.close()
            shutil.copyfile(self.log_path, artifacts_dir() / f"comfyui-{self.port}.log")
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def get(self, path: str, timeout: float = 30):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return json.loads(response.read())

    def post(self, path: str, payload: dict | None = None, timeout: float = 30):
        data = json.dumps(payload or {}).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            raise HTTPFailure("POST", path, err.code, err.read()) from None
        return json.loads(body) if body.strip() else None

    def websocket(self) -> tuple[WebSocket, str]:
        client_id = uuid.uuid4().hex
        return WebSocket(f"ws://127.0.0.1:{self.port}/ws?clientId={client_id}"), client_id

    def output_path(self, entry: dict) -> Path:
        return self.base / entry.get("type", "output") / entry.get("subfolder", "") / entry["filename"]


class Run:
    """One queued prompt followed over the websocket: its messages, in order, until it ends."""

    def __init__(self, server: ComfyServer, prompt: dict, ws: WebSocket, client_id: str):
        answer = server.post("/prompt", {"prompt": prompt, "client_id": client_id})
        self.prompt_id = answer["prompt_id"]
        self.ws = ws
        self.messages: list[dict] = []

    def follow(self, until: set[str], timeout: float, stop_when=None) -> dict:
        """Read messages until one of type `until` for this prompt arrives (returned) or stop_when(msg) is true."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [m["type"] for m in self.messages][-20:]
                raise TimeoutError(f"no {until} for prompt {self.prompt_id} within {timeout} s; last messages: {seen}")
            raw = self.ws.recv(timeout=left)
            if isinstance(raw, bytes):
                continue  # binary previews
            msg = json.loads(raw)
            data = msg.get("data") or {}
            if data.get("prompt_id") not in (None, self.prompt_id):
                continue
            self.messages.append(msg)
            if msg["type"] in until and data.get("prompt_id") == self.prompt_id:
                return msg
            if stop_when is not None and stop_when(msg):
                return msg

    def of_type(self, kind: str) -> list[dict]:
        return [m["data"] for m in self.messages if m["type"] == kind]

    def executed(self) -> dict[str, dict]:
        return {d["node"]: d["output"] for d in self.of_type("executed")}

    def executing_nodes(self) -> list[str]:
        return [d["node"] for d in self.of_type("executing") if d.get("node") is not None]
