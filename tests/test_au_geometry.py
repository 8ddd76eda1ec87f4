"""Action-unit geometry: known landmark movements on the bundled portrait's real landmarks read as the right AUs,
head motion reads as none, and the EMFACS prototypes accept and reject the faces they should."""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.evaluate.au_geometry import (
    AU_NAMES,
    CHEEK,
    CHIN_BOSS,
    INNER_BROW,
    LIP_CORNER,
    LOWER_INNER,
    LOWER_LID,
    NEUTRAL_CORNER_LIFT,
    NOSE_WING,
    OUTER_BROW,
    THRESHOLDS,
    UPPER_INNER,
    UPPER_LID,
    UPPER_LIP_TOP,
    FaceAxes,
    au_values,
    inner_lip_gap,
    median_au,
    prototype_check,
)

JAW = [152, 148, 176, 149, 377, 400, 378, 17, 84, 314, 14, 87, 317, 18, 200, 199, 175]


@pytest.fixture(scope="module")
def smiling(portrait) -> np.ndarray:
    """The bundled portrait's landmarks: the astronaut smiles, her mouth corners well above her lip line."""
    return portrait.landmarks.points.astype(np.float64)


@pytest.fixture(scope="module")
def still(smiling) -> np.ndarray:
    """The same face with a neutral mouth: corners lowered to where a neutral mouth keeps them."""
    return neutral_mouth(smiling)


def neutral_mouth(points: np.ndarray) -> np.ndarray:
    axes = FaceAxes.of(points)
    out = points.copy()
    lip_line = axes.local(points[[13, 14]])[:, 1].mean()
    for corner in LIP_CORNER.values():
        out[corner] += (lip_line - NEUTRAL_CORNER_LIFT - axes.local(points[[corner]])[0, 1]) * axes.width * axes.ey
    return out


class Face:
    """Moves groups of landmarks by (across, down) amounts in face widths of the still; across > 0 = outward."""

    def __init__(self, still: np.ndarray):
        self.axes = FaceAxes.of(still)
        self.points = still.copy()

    def move(self, index, across: float = 0.0, down: float = 0.0, outward: bool = False) -> Face:
        for i in np.atleast_1d(index):
            side = np.sign((self.points[i] - self.axes.origin) @ self.axes.ex) if outward else 1.0
            self.points[i] += self.axes.width * (side * across * self.axes.ex + down * self.axes.ey)
        return self

    def both(self, groups: dict, across: float = 0.0, down: float = 0.0, inward: bool = False) -> Face:
        """Move the subject's right and left group mirror-wise (across > 0: away from the midline, or towards it if inward)."""
        for side, index in groups.items():
            out = -1.0 if side == "R" else 1.0
            self.move(index, (-out if inward else out) * across, down)
        return self

    def head_moved(self, degrees: float = 8.0, scale: float = 1.07, shift=(13.0, -9.0)) -> np.ndarray:
        a = np.radians(degrees)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        centre = self.points.mean(axis=0)
        return (self.points - centre) @ (scale * rot).T + centre + np.array(shift)


def present(values: dict) -> set[str]:
    return {n for n in AU_NAMES if values[n] >= THRESHOLDS[n]}


def test_the_still_and_a_moved_head_show_no_action_unit(still):
    assert present(au_values(still, still)) <= {"AU25"}  # a state: the photo's own lips may be parted
    moved = au_values(Face(still).head_moved(), still)
    assert max(abs(v) for k, v in moved.items() if k != "AU25") < 1e-6
    assert prototype_check("neutral", moved).present
    assert not prototype_check("happy", moved).present


def test_raised_brows_are_au1_and_au2_even_under_head_motion(still):
    inner = Face(still).both(INNER_BROW, down=-0.03).head_moved()
    values = au_values(inner, still)
    assert values["AU1"] == pytest.approx(0.03, abs=1e-6) and "AU2" not in present(values)
    outer = au_values(Face(still).both(OUTER_BROW, down=-0.03).head_moved(-6.0), still)
    assert outer["AU2"] == pytest.approx(0.03, abs=1e-6) and "AU1" not in present(outer)
    lowered = au_values(Face(still).both(INNER_BROW, down=0.03).points, still)
    assert lowered["AU1"] == pytest.approx(-0.03, abs=1e-6)  # signed: the opposite movement is negative


def test_brow_lowerer_is_brows_drawn_together_and_down(still):
    frown = au_values(Face(still).both(INNER_BROW, across=0.01, down=0.01, inward=True).points, still)
    assert "AU4" in present(frown)
    slightly_down = au_values(Face(still).both(INNER_BROW, down=0.01).points, still)
    assert "AU4" not in present(slightly_down)  # the same lowering without the pull together is too little
    assert "AU4" in present(au_values(Face(still).both(INNER_BROW, down=0.03).points, still))  # a clear lowering is
    sad_brows = au_values(Face(still).both(INNER_BROW, across=0.015, down=-0.03, inward=True).points, still)
    assert {"AU1", "AU4"} <= present(sad_brows)  # raised inner brows drawn together: AU1 + AU4
    apart = Face(still).both(INNER_BROW, across=0.02).points
    assert au_values(apart, still)["AU4"] < 0


def test_lids_read_as_raiser_or_tightener(still):
    wide = au_values(Face(still).both(UPPER_LID, down=-0.012).points, still)
    assert "AU5" in present(wide) and wide["AU7"] < 0
    narrowed = au_values(Face(still).both(LOWER_LID, down=-0.012).both(UPPER_LID, down=0.004).points, still)
    assert "AU7" in present(narrowed) and "AU5" not in present(narrowed)


def test_smile_needs_corners_up_and_cheeks_raised(still):
    corners = {"R": [LIP_CORNER["R"]], "L": [LIP_CORNER["L"]]}
    smile = Face(still).both(corners, across=0.02, down=-0.03).both(CHEEK, down=-0.015).points
    values = au_values(smile, still)
    assert {"AU6", "AU12"} <= present(values) and "AU20" not in present(values)
    assert prototype_check("happy", values).present
    assert not prototype_check("neutral", values).present
    no_cheeks = au_values(Face(still).both(corners, across=0.02, down=-0.03).points, still)
    assert not prototype_check("happy", no_cheeks).present
    stretched = au_values(Face(still).both(corners, across=0.03).points, still)
    assert "AU20" in present(stretched) and not prototype_check("happy", stretched).detail["AU12"]["present"]
    down = au_values(Face(still).both(corners, down=0.02).points, still)
    assert "AU15" in present(down) and down["AU12"] < 0


def test_sad_surprised_fearful_disgusted_and_angry_prototypes(still):
    corners = {"R": [LIP_CORNER["R"]], "L": [LIP_CORNER["L"]]}
    sad = Face(still).both(INNER_BROW, across=0.015, down=-0.03, inward=True).both(corners, down=0.02).points
    assert prototype_check("sad", au_values(sad, still)).present

    surprised = Face(still).both(INNER_BROW, down=-0.04).both(OUTER_BROW, down=-0.04).both(UPPER_LID, down=-0.012)
    surprised.move(JAW, down=0.06)
    values = au_values(surprised.points, still)
    assert prototype_check("surprised", values).present and {"AU25", "AU26"} <= present(values)
    assert not prototype_check("fearful", values).present  # no brows drawn together, no lip stretch

    fearful = Face(still).both(INNER_BROW, across=0.02, down=-0.03, inward=True).both(OUTER_BROW, down=-0.03)
    fearful.both(UPPER_LID, down=-0.012).both(corners, across=0.03)
    assert prototype_check("fearful", au_values(fearful.points, still)).present

    disgusted = Face(still).both(NOSE_WING, down=-0.02).move(UPPER_LIP_TOP, down=-0.02).points
    values = au_values(disgusted, still)
    assert {"AU9", "AU10"} <= present(values) and prototype_check("disgusted", values).present
    assert not prototype_check("disgusted", au_values(still, still)).present

    angry = Face(still).both(INNER_BROW, across=0.015, down=0.015, inward=True).both(LOWER_LID, down=-0.012)
    angry.both(corners, across=-0.01).move(UPPER_LIP_TOP, down=0.012).move([17], down=-0.006)
    values = au_values(angry.points, still)
    assert prototype_check("angry", values).present, prototype_check("angry", values).summary()
    assert not prototype_check("angry", au_values(sad, still)).present


def test_chin_raiser_lip_gap_and_medians(still):
    raised = au_values(Face(still).move(CHIN_BOSS, down=-0.02).points, still)
    assert "AU17" in present(raised)
    closed = still.copy()
    closed[LOWER_INNER] = still[UPPER_INNER]
    assert inner_lip_gap(closed) == pytest.approx(0.0, abs=1e-9)
    opened = Face(closed).move(JAW, down=0.05).points
    assert inner_lip_gap(opened) == pytest.approx(0.05, abs=1e-3)
    assert "AU25" in present(au_values(opened, closed)) and "AU25" not in present(au_values(closed, still))
    frames = [Face(still).both(INNER_BROW, down=-d).points for d in (0.0, 0.02, 0.03, 0.04, 0.5)]  # one outlier frame
    values, components = median_au(frames, still)
    assert values["AU1"] == pytest.approx(0.03, abs=1e-6) and components["inner_brow"] == pytest.approx(0.03, abs=1e-6)
    assert np.isnan(median_au([], still)[0]["AU1"])
    with pytest.raises(ValueError):
        prototype_check("bored", values)


def test_a_smiling_photo_is_measured_from_a_neutral_mouth(smiling, still):
    own = au_values(smiling, smiling)
    assert "AU12" in present(own) and not prototype_check("neutral", own).present  # a viewer sees the photo's smile
    released = au_values(neutral_mouth(smiling), smiling)  # the renderer relaxes the photo's smile
    assert abs(released["AU12"]) < 1e-6 and abs(released["AU15"]) < 1e-6
    present_, detail = prototype_check("neutral", released)
    assert present_ and detail["AU15"]["role"] == "absent" and not detail["AU15"]["present"]
    assert au_values(still, still)["AU12"] == pytest.approx(0.0, abs=1e-9)


def test_expression_sheet_script_tells_surprise_from_neutral(tmp_path):
    import importlib.util
    import json
    from pathlib import Path

    from PIL import Image

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("expression_sheet", root / "scripts" / "expression_sheet.py")
    sheet_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sheet_script)
    out, numbers = tmp_path / "sheet.png", tmp_path / "sheet.json"
    # A face without glasses: rims over the brows hide a brow raise from the landmark detectors (see the README).
    argv = ["--portraits", str(root / "tests/data/portraits/biden.jpg"), "--classes", "neutral", "surprised",
            "--frames", "3", "--size", "256", "--out", str(out), "--json", str(numbers)]
    assert sheet_script.main(argv) == 0
    assert Image.open(out).size == (3 * sheet_script.TILE, sheet_script.TILE)  # the still, then one tile per class
    results = json.loads(numbers.read_text())["results"]["biden"]
    neutral, surprised = results["neutral"], results["surprised"]
    assert surprised["au"]["AU1"] > neutral["au"]["AU1"] + THRESHOLDS["AU1"]  # brows go up for surprise only
    assert surprised["au"]["AU26"] > neutral["au"]["AU26"]
    assert neutral["frames_measured"] == 3 and neutral["bilabials"] > 0 and neutral["rest_gap"] is not None
    assert set(neutral["fer"]) == {"mini-xception", "small-cnn", "face-api"}


def test_classifier_calibration_reads_a_labelled_folder_class_by_class(tmp_path, capsys):
    """The calibration script reads posed photos labelled the two ways public sets label them (JAFFE's codes in the
    file name, a folder per class), down to the tight 48-pixel grey crops CK+ collections keep."""
    import importlib.util
    from pathlib import Path

    from PIL import Image

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("classifier_calibration", root / "scripts" / "classifier_calibration.py")
    calibration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibration)
    biden = Image.open(root / "tests/data/portraits/biden.jpg").convert("RGB")
    biden.save(tmp_path / "JB.NE1.1.jpg")
    (tmp_path / "happiness").mkdir()
    Image.open(root / "tests/data/portraits/obama_smile.jpg").save(tmp_path / "happiness" / "S001_001_00000009.png")
    (tmp_path / "neutral").mkdir()
    width, height = biden.size
    tight = biden.crop((int(0.3 * width), int(0.18 * height), int(0.78 * width), int(0.66 * height))).convert("L")
    tight.resize((48, 48)).save(tmp_path / "neutral" / "S002_001_00000001.png")
    (tmp_path / "notes.txt").write_text("not a photo")
    assert calibration.posed_class(Path("KA.AN1.39.tiff")) == "angry"
    assert calibration.main(["--folder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) == {"neutral", "happy"}
    assert " 2 photos " in lines["neutral"] and " 1 photo " in lines["happy"]
    assert "no face" not in out  # the face in the 48-pixel crop was found
    # Obama's grin reads as happy to every classifier, each named with its agreement.
    assert "agree: mini-xception 100%  small-cnn 100%  face-api 100%" in lines["happy"]
