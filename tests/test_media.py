import numpy as np
import pytest

from ectfg_core.errors import InputError
from ectfg_core.media.audio import fit_to_frames, frame_count, read_wav, write_wav
from ectfg_core.media.images import load_image
from ectfg_core.media.video import probe_durations, write_mp4


def test_wav_round_trip(tmp_path):
    samples = (0.5 * np.sin(np.arange(8000) / 8000 * 2 * np.pi * 440)).astype(np.float32)
    write_wav(tmp_path / "a.wav", samples, 8000)
    back, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and back.shape == (1, 8000)
    assert np.abs(back[0] - samples).max() < 1e-3


def test_audio_is_fitted_to_whole_frames():
    assert frame_count(1.01, 25) == 26 and frame_count(1.0, 25) == 25
    fitted = fit_to_frames(np.ones(22050), 22050, 26, 25)
    assert len(fitted) == round(26 / 25 * 22050) and fitted[-1] == 0.0


def test_mp4_has_h264_and_aac_of_equal_length(tmp_path):
    frames = [np.full((64, 64, 3), i * 5, dtype=np.uint8) for i in range(50)]
    audio = fit_to_frames(0.2 * np.random.default_rng(0).standard_normal(30000).astype(np.float32), 22050, 50, 25)
    out = write_mp4(tmp_path / "clip.mp4", iter(frames), 25, audio, 22050)
    info = probe_durations(out)
    assert info["has_h264"] and info["has_aac"]
    assert info["width"] == 64 and info["height"] == 64
    assert abs(info["video"] - 2.0) <= 1 / 25 and abs(info["audio"] - info["video"]) <= 1 / 25


def test_failed_encoding_leaves_no_file(tmp_path):
    def frames():
        yield np.zeros((64, 64, 3), dtype=np.uint8)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        write_mp4(tmp_path / "broken.mp4", frames(), 25)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_a_failed_run(tmp_path):
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"the user's earlier video")
    with pytest.raises(InputError):
        write_mp4(target, iter([]), 25)
    assert target.read_bytes() == b"the user's earlier video"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def test_unreadable_images_are_named(tmp_path):
    with pytest.raises(InputError, match="image not found"):
        load_image(tmp_path / "missing.png")
    bogus = tmp_path / "bogus.png"
    bogus.write_bytes(b"not an image at all")
    with pytest.raises(InputError, match="cannot read the image"):
        load_image(bogus)


def _png_header(path, width: int, height: int) -> None:
    """A PNG that says it is width x height (its pixels are never read: the size is refused first)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(8000, 6000), (12000, 9000), (20000, 20000)])
def test_a_huge_image_is_refused_by_its_size_without_a_traceback(tmp_path, recwarn, width, height):
    """Over 40 megapixels the portrait is refused by name and size. From 89 megapixels PIL also warned about a
    'decompression bomb' on the console, and from 179 it raised its own error: a traceback instead of the message."""
    path = tmp_path / "poster.png"
    _png_header(path, width, height)
    with pytest.raises(InputError, match="40 megapixels") as err:
        load_image(path)
    assert str(path) in str(err.value)
    assert not [w for w in recwarn if "decompression bomb" in str(w.message).lower()]


def test_bundled_portrait_loads():
    img = load_image(None)
    assert img.shape == (512, 512, 3) and img.dtype == np.uint8


def test_a_sideways_phone_photo_and_a_16_bit_scan_load_upright_and_toned(tmp_path):
    """A phone stores portrait photos sideways with an EXIF orientation; a 16-bit grayscale scan clipped to white
    in PIL's own conversion. Both must give the portrait a viewer sees, so its face is found."""
    from PIL import Image

    from ectfg_core.face.detect import detect_landmarks

    upright = load_image(None)
    sideways = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)  # turned left, as the sensor saw it
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    sideways.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    turned = load_image(tmp_path / "phone.jpg")
    assert turned.shape == upright.shape
    assert np.abs(turned.astype(int) - upright.astype(int)).mean() < 4  # JPEG round trip only
    gray16 = (upright.mean(axis=2) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "scan16.png")
    scan = load_image(tmp_path / "scan16.png")
    assert scan.dtype == np.uint8 and np.abs(scan[..., 0].astype(int) - upright.mean(axis=2)).max() <= 1
    detect_landmarks(scan)  # raises if no face is found
