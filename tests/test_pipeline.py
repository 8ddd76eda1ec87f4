"""The whole CPU pipeline as a user judges it: different emotions look and sound different; the mouth follows speech."""

import numpy as np
import pytest

from ectfg_core.audio.features import frame_features, median_pitch
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.pipeline import predict_track, speak
from ectfg_core.render.renderer import PortraitAnimator

TEXT = "Well, here we are again. I really did not expect this today."
FPS = 25.0


def _render_clip(portrait, spoken, seed=0):
    prediction, audio = predict_track(spoken.plan, spoken.speech, FPS)
    animator = PortraitAnimator(portrait.image, portrait.landmarks, seed=seed)
    controls = animator.controls_for(spoken.speech.phonemes, audio.energy, prediction.track, prediction.track.num_frames, FPS)
    return animator, controls, prediction


def _corner_lift(frame):
    """Mouth-corner height above the lip line in face widths (positive = smiling), measured on the image."""
    lm = detect_landmarks(frame)
    p = lm.points
    return float(((p[13, 1] + p[14, 1]) / 2 - (p[61, 1] + p[291, 1]) / 2) / lm.face_width)


def _lip_gap(frame):
    lm = detect_landmarks(frame)
    return float((lm.points[14, 1] - lm.points[13, 1]) / lm.face_width)


@pytest.fixture(scope="module")
def joyful_and_furious():
    return speak(TEXT, "joyful"), speak(TEXT, "furious")


def test_joyful_and_furious_voices_differ(joyful_and_furious):
    joyful, furious = joyful_and_furious
    rms = [float(np.sqrt(np.mean(s.speech.samples**2))) for s in (joyful, furious)]
    assert rms[1] > 1.1 * rms[0]  # fury is louder
    assert median_pitch(joyful.speech.samples, 22050) > 1.05 * median_pitch(furious.speech.samples, 22050)
    assert {w.emotion for w in joyful.plan.words} == {"happy"} and {w.emotion for w in furious.plan.words} == {"angry"}


def test_joyful_and_furious_faces_differ(portrait, joyful_and_furious):
    lifts = []
    for spoken in joyful_and_furious:
        animator, controls, _ = _render_clip(portrait, spoken)
        quiet = [i for i in range(len(controls)) if controls[i, 0] < 0.15][:: max(1, len(controls) // 12)][:6]
        lifts.append(np.mean([_corner_lift(animator.render(controls[i])) for i in quiet]))
    assert lifts[0] > lifts[1] + 0.03, lifts  # joyful corners are clearly higher than furious ones


def test_mouth_moves_with_speech_and_rests_in_pauses(portrait):
    spoken = speak("Yes. ... No. ... Maybe later.", "neutral")
    animator, controls, prediction = _render_clip(portrait, spoken)
    audio = frame_features(spoken.speech.samples, spoken.speech.sample_rate, FPS, len(controls))
    silent = [i for i in np.argsort(audio.energy)[:40] if 3 < i < len(controls) - 3][:5]
    assert max(audio.energy[silent]) < 0.05
    rest_gap = np.mean([_lip_gap(animator.render(controls[i])) for i in silent])
    # Every spoken word opens the mouth at some point, measured on the rendered image ("Maybe" only briefly,
    # between its two lip closures), and on average clearly.
    widest = []
    for word in spoken.speech.words:
        frames = range(int(word.start * FPS), int(np.ceil(word.end * FPS)))
        widest.append(max(_lip_gap(animator.render(controls[i])) for i in frames))
        assert widest[-1] > rest_gap + 0.012, (word.word, widest[-1], rest_gap)
    assert np.mean(widest) > rest_gap + 0.025
    # In pauses the mouth comes back to rest: never more open than the portrait's own mouth, and on this toothy-smile
    # portrait with a calm voice the lips close over the grin (partly, as far as the track's calm reaches).
    rest = _lip_gap(portrait.image)
    assert rest_gap < rest - 0.01


def test_same_seed_same_video_other_seed_other_motion(portrait):
    spoken = speak("Hello there.", "happy")
    _, a, _ = _render_clip(portrait, spoken, seed=1)
    _, b, _ = _render_clip(portrait, spoken, seed=1)
    _, c, _ = _render_clip(portrait, spoken, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_interrupted_generation_leaves_no_files(astronaut, tmp_path):
    from ectfg_core.pipeline import JobOptions, generate
    from ectfg_core.progress import Interrupted, Progress

    class StopAfterTenSteps(Progress):
        """Presses Cancel after ten steps of one stage."""

        def __init__(self, stage_to_stop):
            super().__init__()
            self.stage_to_stop, self.current, self.steps, self.stages = stage_to_stop, None, 0, []

        def stage(self, name, total):
            self.current = name
            self.stages.append(name)

        def advance(self, steps=1):
            if self.current == self.stage_to_stop:
                self.steps += steps
                if self.steps >= 10:
                    self.request_stop()
            super().advance(steps)

    # Cancel while the speech is synthesised (a long text takes seconds there) and while frames are rendered.
    for stage in ("speech", "render"):
        progress = StopAfterTenSteps(stage)
        with pytest.raises(Interrupted):
            generate(tmp_path / "clip.mp4", "This sentence is long enough to need many frames.", "sad", astronaut,
                     JobOptions(size=128), progress=progress)
        assert 10 <= progress.steps < 100 and progress.stages[-1] == stage  # stopped in that stage, at once
        assert list(tmp_path.iterdir()) == []


def test_worker_processes_render_the_same_frames_in_order(portrait):
    """`ectfg generate` renders in forked workers: the video must not depend on who rendered a frame."""
    from ectfg_core.render.parallel import render_in_workers

    animator, controls, _ = _render_clip(portrait, speak("Hello there.", "furious"), seed=3)
    rows = controls[:: max(1, len(controls) // 10)]
    here = [animator.render(row) for row in rows]
    there = render_in_workers(animator, rows, 2)
    assert all(np.array_equal(a, b) for a, b in zip(here, there, strict=True))
    stopped = render_in_workers(animator, rows, 2)  # an interruption: the consumer leaves after two frames
    assert [np.array_equal(next(stopped), here[i]) for i in range(2)] == [True, True]
    stopped.close()
