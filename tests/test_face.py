import numpy as np
import pytest

from ectfg_core.errors import InputError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.face.framing import check_size, frame_portrait
from ectfg_core.face.masks import extract_masks
from ectfg_core.types.face import LIPS_INNER, LIPS_OUTER, NUM_LANDMARKS


def test_landmarks_on_the_bundled_portrait_are_anatomically_ordered(astronaut):
    lm = detect_landmarks(astronaut)
    pts = lm.points
    assert pts.shape == (NUM_LANDMARKS, 2)
    x0, y0, x1, y1 = lm.bbox
    assert 60 < x1 - x0 < 140  # her face is about 90 px wide in the 512 px photograph
    assert pts[10, 1] < pts[1, 1] < pts[13, 1] < pts[152, 1]  # forehead, nose tip, lips, chin from top to bottom
    assert pts[33, 0] < pts[263, 0]  # image-left eye corner is left of the other


def test_no_face_is_a_clear_error():
    flat = np.full((256, 256, 3), 127, dtype=np.uint8)
    with pytest.raises(InputError, match="no face found"):
        detect_landmarks(flat)


def _half_length(astronaut: np.ndarray, side: int = 300) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The bundled photograph shrunk to `side` px and set into a 1024 px picture of soft noise: her face about 55 px
    wide in it, as in a half-length portrait or a speaker on a stage."""
    from PIL import Image, ImageFilter

    noise = np.random.default_rng(0).normal(120, 25, (1024, 1024, 3)).clip(0, 255).astype(np.uint8)
    canvas = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(6))
    at = (600, 200)
    canvas.paste(Image.fromarray(astronaut).resize((side, side), Image.Resampling.LANCZOS), at)
    return np.asarray(canvas), side / astronaut.shape[1], at


def test_a_small_face_in_a_large_picture_is_found(astronaut):
    """MediaPipe's detector looks at the whole picture shrunk to a small square, where a face under about a tenth of
    its width is a few pixels across: a 1024 px picture with a 55 px face found no face at all (nor with a 90 px
    one). Overlapping crops are looked at one by one when the whole picture shows none; the face found is the one
    that is there."""
    picture, scale, (ox, oy) = _half_length(astronaut)
    found = detect_landmarks(picture)
    expected = detect_landmarks(astronaut).points * scale + np.array([ox, oy])
    error = np.linalg.norm(found.points - expected, axis=1)
    assert np.median(error) < 0.05 * found.face_width, np.median(error)
    framed = frame_portrait(picture, size=512)  # and `ectfg generate` frames it like any portrait
    assert framed.landmarks.face_width > 150


def test_wrong_image_shapes_are_named():
    with pytest.raises(InputError, match="expected an RGB image"):
        detect_landmarks(np.zeros((64, 64, 5), dtype=np.uint8))
    with pytest.raises(InputError, match="at least 128 pixels"):
        detect_landmarks(np.zeros((16, 16, 3), dtype=np.uint8))


def test_largest_face_wins(astronaut):
    # Two copies side by side: a full-size face and a half-size one; the big one must be chosen.
    small = astronaut[::2, ::2]
    canvas = np.full((512, 768, 3), 200, dtype=np.uint8)
    canvas[:, :512] = astronaut
    canvas[128:384, 512:768] = small
    lm = detect_landmarks(canvas)
    assert lm.bbox[2] < 512 and lm.face_width > 60


def test_framing_centres_the_face_at_the_requested_size(portrait):
    assert portrait.image.shape == (512, 512, 3)
    x0, y0, x1, y1 = portrait.landmarks.bbox
    assert 0.3 < (x1 - x0) / 512 < 0.5
    assert abs((x0 + x1) / 2 - 256) < 40


@pytest.mark.parametrize("size", [100, 513, 4096])
def test_bad_sizes_are_rejected(size):
    with pytest.raises(InputError, match="multiple of 8"):
        check_size(size)


def test_center_crop_mode(astronaut):
    framed = frame_portrait(astronaut[:, :400], size=256, crop="center")
    assert framed.image.shape == (256, 256, 3)
    assert framed.crop_box == (0, 56, 400, 456)


def test_masks_cover_their_regions_and_do_not_overlap(portrait):
    masks = extract_masks(portrait.landmarks)
    assert masks.stacked().shape == (3, 512, 512)
    pts = portrait.landmarks.points

    def at(mask, idx):
        return np.array([mask[int(round(y)), int(round(x))] for x, y in pts[idx]])

    assert at(masks.lip, LIPS_INNER).min() > 0.85  # the inner corners sit near the soft tip of the grown outline
    assert at(masks.lip, LIPS_OUTER).min() > 0.5
    assert at(masks.expression, [33, 263, 105, 334, 1]).min() > 0.9  # eyes, brows, nose tip
    assert masks.pose[40, 256] > 0.5 or masks.pose[80, 256] > 0.5  # hair above the face
    assert masks.pose[500, 10] < 0.01 and masks.expression[500, 10] < 0.01  # a bottom corner is background
    total = masks.lip + masks.expression + masks.pose
    assert total.max() <= 1.0 + 1e-5
