"""The blendshape reading: MediaPipe's expression head, trained on real faces, sees the emotion on rendered frames.

The reading itself is checked on made-up scores; the rendering is checked with Google's face_landmarker.task
(ECTFG_TEST_FACE_TASK or $ECTFG_MODELS_DIR/detection/, as in test_face_engines.py); without it those tests skip.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_face_engines import HOW_TO_GET, TASK

from ectfg_core.evaluate.blendshapes import BLENDSHAPE_RISE, paired, read_blendshapes
from ectfg_core.face.engines.tasks import tasks_available


def test_left_and_right_are_averaged():
    assert paired({"browDownLeft": 0.2, "browDownRight": 0.4, "jawOpen": 0.1}) == pytest.approx({"browDown": 0.3, "jawOpen": 0.1})


def test_a_class_is_shown_only_when_all_its_shapes_rise_over_the_still():
    still = {"browDownLeft": 0.3, "browDownRight": 0.3, "eyeSquintLeft": 0.2, "eyeSquintRight": 0.2}
    glare = {"browDownLeft": 0.7, "browDownRight": 0.6, "eyeSquintLeft": 0.5, "eyeSquintRight": 0.4}
    frown_only = {**glare, "eyeSquintLeft": 0.2, "eyeSquintRight": 0.25}
    reading = read_blendshapes("angry", [glare, glare], still)
    assert reading.shown and reading.rises["browDown"] == pytest.approx(0.35)
    assert not read_blendshapes("angry", [frown_only], still).shown
    # A face that starts out with a slight frown (the still) shows no new frown when it keeps it ...
    assert not read_blendshapes("angry", [still], still).shown
    # ... but a photo's broad smile kept when happy is asked for is a smile shown.
    grin = {"mouthSmileLeft": 0.9, "mouthSmileRight": 0.85}
    assert read_blendshapes("happy", [grin], grin).shown
    # Disgust is a nose sneer or a raised upper lip, whichever rose.
    assert read_blendshapes("disgusted", [{"mouthUpperUpLeft": BLENDSHAPE_RISE + 0.05}], {}).shown
    # Neutral: nothing rises far (the jaw of speech aside).
    assert read_blendshapes("neutral", [{"jawOpen": 0.6, "mouthSmileLeft": 0.05}], {}).shown
    assert not read_blendshapes("neutral", [{"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5}], {}).shown
    with pytest.raises(ValueError, match="unknown emotion"):
        read_blendshapes("bored", [still], still)


needs_task = pytest.mark.skipif(TASK is None or tasks_available() is not None,
                                reason=HOW_TO_GET if TASK is None else f"mediapipe.tasks does not import: {tasks_available()}")


@needs_task
@pytest.mark.parametrize("emotion", ["neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted"])
def test_the_expression_head_sees_each_class_on_a_rendered_face(emotion, biden_animator):
    from ectfg_core.face.engines.tasks import tasks_engine
    from ectfg_core.render.expressions import expression_row

    animator, still = biden_animator
    engine = tasks_engine(TASK)
    frame = animator.render(expression_row(emotion, 1.0))
    reading = read_blendshapes(emotion, [engine.detect(frame)[0].blendshapes], engine.detect(still)[0].blendshapes)
    assert reading.shown, reading.rises


@needs_task
@pytest.mark.parametrize(("name", "least"), [("biden", 0.3), ("hopper", 0.18)])
def test_anger_lowers_the_brows_as_the_expression_head_sees_it_on_older_faces(name, least, framed):
    """Anger read as stern, not angry, on older, heavy-browed faces and behind eyeglass rims: its frown stopped at the
    brows' lowering in a moderate posed frown. It now goes a third further. MediaPipe's expression head sees the
    brows come down (browDown over the still, held anger at full intensity), on the legacy face mesh's landmarks:
    Biden 0.34 before, 0.40 then; Hopper, whose brows sit behind her rims, 0.16 before, 0.28 then (on the Tasks
    engine's, which the modern stack renders from: Biden 0.33 before, 0.37 then; Hopper 0.31, 0.32).

    Since the fold guard stopped taking the lowered brows back (0.057 -> 0.075 face widths of driven AU4 on Biden),
    the head reads part of the deeper frown as a squint: browDown 0.34 on Biden, 0.23 on Hopper, eyeSquint up 0.07
    on Biden's near eye; re-detected landmarks put Hopper's AU4 at 0.004 (0.000 before).

    Since her eye corners are no longer painted over with the skin under her rims (glasses.py), Hopper reads 0.196
    (0.212 before; 0.299 against 0.321 on the Tasks engine's landmarks): the flat skin patch at the corners of her
    lowered lids had read as a little more squint and frown. Her sad, surprised and fearful brows and lids read
    further than before (browInnerUp +0.02 to +0.03, eyeSquint down 0.12 more for surprise)."""
    from test_expression_prototypes import held

    from ectfg_core.face.engines.tasks import tasks_engine
    from ectfg_core.render.renderer import PortraitAnimator

    portrait = framed(name)
    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    engine = tasks_engine(TASK)
    still = paired(engine.detect(portrait.image)[0].blendshapes)
    angry = paired(engine.detect(animator.render(held(animator, "angry", 1.0)))[0].blendshapes)
    assert angry["browDown"] - still["browDown"] > least


@pytest.fixture(scope="module")
def biden_animator(framed):
    from ectfg_core.render.renderer import PortraitAnimator

    portrait = framed("biden")
    return PortraitAnimator(portrait.image, portrait.landmarks, seed=0), np.asarray(portrait.image)


def test_the_arc_breakdown_carries_the_reading_when_the_engine_gives_scores():
    from ectfg_core.evaluate.breakdown import breakdown_lines, class_breakdown
    from ectfg_core.fer.labels import FrameLabels
    from ectfg_core.types.emotion import EMOTION_INDEX, NUM_EMOTIONS, EmotionTrack

    frames, fps = 10, 25.0
    asked = np.zeros((frames, NUM_EMOTIONS), np.float32)
    asked[:5, EMOTION_INDEX["happy"]] = 1.0
    asked[5:, EMOTION_INDEX["angry"]] = 1.0
    labels = FrameLabels(fps=fps, probs=asked, face=np.ones(frames, bool), classifier="test")
    points = np.random.default_rng(0).uniform(100, 400, (478, 2))
    landmarks = {i: points for i in range(frames)}
    smile, glare = {"mouthSmileLeft": 0.7, "mouthSmileRight": 0.7}, {"browDownLeft": 0.6, "browDownRight": 0.6}
    scores = {i: smile if i < 5 else glare for i in range(frames)}
    track = EmotionTrack(fps=fps, probs=asked, intensity=np.ones(frames, np.float32))
    happy, angry = class_breakdown(labels, landmarks, track, points, blendshapes=scores, still_blendshapes={})
    assert happy.blendshapes.shown and not angry.blendshapes.shown  # the glare lacks the squint
    assert angry.to_dict()["blendshapes"]["rises"]["eyeSquint"] == 0.0
    assert any("blendshapes: not shown" in line for line in breakdown_lines([happy, angry]))
    # Without scores (the legacy face mesh gives none) the rows carry no reading and print none.
    plain = class_breakdown(labels, landmarks, track, points)
    assert plain[0].blendshapes is None and not any("blendshapes" in line for line in breakdown_lines(plain))
