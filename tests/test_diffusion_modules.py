"""The backbone's own modules: gated fusion (eq. 5-6), audio attention (eq. 7-9), reference sharing, motion frames,
per-frame normalisation, region masks, and the full-size architecture against Hallo's checkpoint layout."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import torch
from diffusion_tiny import tiny_models

from ectfg_core.diffusion.audio_attention import AudioAttentionBlock
from ectfg_core.diffusion.conditioning import ConditioningSlot, FrameConditioning, ReferenceFeatures
from ectfg_core.diffusion.config import Architecture
from ectfg_core.diffusion.gated_fusion import GatedEmotionFusion, emotion_features, frame_windows
from ectfg_core.diffusion.keymap import Duplicate, hallo_to_ours, ours_to_hallo
from ectfg_core.diffusion.models import DiffusionModels
from ectfg_core.diffusion.reference import ReferenceReadProcessor
from ectfg_core.diffusion.regions import hallo_regions, mask_pyramid
from ectfg_core.diffusion.unet import FrameGroupNorm
from ectfg_core.types.emotion import EmotionTrack

DATA = Path(__file__).parent / "data"


def test_gated_fusion_is_eq_5_and_6_and_starts_as_the_identity():
    torch.manual_seed(0)
    fusion = GatedEmotionFusion(window=3, tokens=4, dim=8, hidden=16)
    audio = torch.randn(2, 5, 4, 8)
    emotion = torch.rand(2, 5, 3, 8)
    assert torch.equal(fusion(audio, emotion), audio)  # zero emotion output layer: c = f_a exactly
    torch.nn.init.normal_(fusion.emotion_proj[-1].weight)
    f_emo = fusion.project_emotion(emotion)
    gate = torch.sigmoid(audio @ fusion.gate.weight.T + fusion.gate.bias)  # eq. 6
    expected = audio + gate * f_emo  # eq. 5
    assert torch.allclose(fusion(audio, emotion), expected, atol=1e-6)
    assert torch.equal(fusion(audio, emotion, scale=0.0), audio)
    assert torch.allclose(fusion(audio, emotion, scale=0.5), audio + gate * f_emo * 0.5, atol=1e-6)


def test_emotion_features_and_windows_follow_the_track():
    probs = np.eye(7, dtype=np.float32)[[0, 1, 1]]
    track = EmotionTrack(fps=25.0, probs=probs, intensity=np.array([0.2, 0.5, 1.0], np.float32))
    feats = emotion_features(track, 5)
    assert feats.shape == (5, 8)
    assert feats[1, 1] == 0.5 and feats[2, 1] == 1.0 and feats[4, 7] == 1.0  # padded with the last frame
    windows = frame_windows(torch.arange(4.0)[:, None], 5)
    assert windows[0, :, 0].tolist() == [0, 0, 0, 1, 2] and windows[3, :, 0].tolist() == [1, 2, 3, 3, 3]


def test_audio_attention_shortcut_for_silent_rows_is_exact_and_regions_are_separate():
    torch.manual_seed(0)
    block = AudioAttentionBlock(dim=16, heads=2, head_dim=8, audio_dim=12).eval()
    for conv in (block.zero_conv_full, block.zero_conv_face, block.zero_conv_lip):
        torch.nn.init.normal_(conv.weight, std=0.2)
    hidden = torch.randn(4, 9, 16)
    audio = torch.randn(4, 3, 12)
    audio[:2] = 0.0  # the unconditional half of classifier-free guidance
    masks = torch.rand(3, 1, 9)
    cond = FrameConditioning(num_frames=2, audio_tokens=audio, masks=[masks])
    full = block(hidden, cond, 0)
    cond.null_audio_rows = 2
    assert torch.allclose(block(hidden, cond, 0), full, atol=1e-6)
    # Lip weight 0: the lip mask no longer matters; pose weight 0: the pose mask no longer matters.
    other = masks.clone()
    other[2] = torch.rand(1, 9)
    a = block(hidden, FrameConditioning(2, audio, masks=[masks], region_weights=(1.0, 1.0, 0.0)), 0)
    b = block(hidden, FrameConditioning(2, audio, masks=[other], region_weights=(1.0, 1.0, 0.0)), 0)
    c = block(hidden, FrameConditioning(2, audio, masks=[other], region_weights=(1.0, 1.0, 1.0)), 0)
    assert torch.allclose(a, b, atol=1e-6) and not torch.allclose(b, c, atol=1e-4)


def test_reference_rows_attend_to_the_portrait_and_the_other_rows_only_to_themselves():
    torch.manual_seed(0)
    from diffusers.models.attention_processor import Attention, AttnProcessor2_0

    attn = Attention(query_dim=8, heads=2, dim_head=4).eval()
    slot = ConditioningSlot()
    hidden = torch.randn(4, 6, 8)  # 2 unconditional + 2 conditional rows of one video
    plain = AttnProcessor2_0()(attn, hidden)
    reference = ReferenceFeatures(tokens={"layer": torch.randn(1, 6, 8)})
    with slot.use(FrameConditioning(num_frames=2, audio_tokens=None, reference=reference, reference_rows=slice(2, 4))):
        shared = ReferenceReadProcessor(slot, "layer")(attn, hidden)
    assert torch.allclose(shared[:2], plain[:2], atol=1e-6)
    keys = torch.cat([hidden[2:], reference.tokens["layer"].expand(2, -1, -1)], dim=1)
    expected = AttnProcessor2_0()(attn, hidden[2:], encoder_hidden_states=keys)
    assert torch.allclose(shared[2:], expected, atol=1e-5)
    assert not torch.allclose(shared[2:], plain[2:], atol=1e-3)


def test_temporal_modules_normalise_each_frame_and_see_the_motion_frames():
    torch.manual_seed(0)
    norm = FrameGroupNorm(2, 4)
    x = torch.randn(2, 4, 3, 5, 5)  # (videos, channels, frames, h, w)
    per_frame = torch.nn.functional.group_norm(x.transpose(1, 2).reshape(6, 4, 5, 5), 2, norm.weight, norm.bias)
    assert torch.allclose(norm(x), per_frame.reshape(2, 3, 4, 5, 5).transpose(1, 2), atol=1e-6)

    models = tiny_models()
    denoiser = models.denoiser
    assert set(denoiser.motion_frame_layers()) == {"mid_block.motion_modules.0"}
    module = denoiser.unet.mid_block.motion_modules[0]
    hidden = torch.randn(3, 64, 4, 4)  # 3 frames of one video at the mid block
    cond = FrameConditioning(num_frames=3, audio_tokens=None,
                             motion_frames={"mid_block.motion_modules.0": torch.randn(1, 2, 16, 64)})
    with torch.no_grad():
        alone = module(hidden, None, None, None, 3, None)
        with denoiser.slot.use(cond):
            continued = module(hidden, None, None, None, 3, None)
    assert continued.shape == alone.shape == hidden.shape
    assert not torch.allclose(continued, alone, atol=1e-4)


def test_full_size_architecture_has_exactly_hallos_checkpoint_keys_and_shapes():
    hallo = json.loads(gzip.decompress((DATA / "hallo_net_keys.json.gz").read_bytes()))  # Hallo's Net, built on meta
    models = DiffusionModels.build(Architecture.full(), on_meta=True)
    ours = {k: list(v.shape) for k, v in models.hallo_state_dict().items()}
    covered = set()
    for key, shape in hallo.items():
        target = hallo_to_ours(key)
        assert target is not None and str(target) in ours, key
        assert ours[str(target)] == shape, key
        if not isinstance(target, Duplicate):
            covered.add(str(target))
    assert covered == set(ours)
    assert {h for k in ours for h in ours_to_hallo(k)} == set(hallo)
    assert sum(1 for k in hallo if k.startswith("denoising_unet.") and ".audio_modules." in k) > 0
    assert not any(k.startswith("reference_unet.conv_out") for k in hallo)


def test_hallo_region_masks_on_the_portrait(portrait):
    regions = hallo_regions(portrait.landmarks)
    height, width = portrait.image.shape[:2]
    assert regions.pose.shape == regions.lip.shape == (height, width)
    total = regions.pose + regions.expression + regions.lip
    # Background, face and lip cover the image about once (Hallo's saturating subtraction overlaps a little at the mouth).
    assert total.min() > 0.98 and total.max() < 1.1
    mouth = portrait.landmarks.points[[13, 14]].mean(axis=0).round().astype(int)
    eye = portrait.landmarks.points[159].round().astype(int)
    assert regions.lip[mouth[1], mouth[0]] > 0.8
    assert regions.expression[eye[1], eye[0]] > 0.5
    assert regions.pose[5, 5] > 0.9  # the corner is background
    x0, y0, x1, y1 = portrait.landmarks.bbox
    assert regions.face_box[int((y0 + y1) / 2), int((x0 + x1) / 2)] == 1.0 and regions.face_box[2, 2] == 0.0
    pyramid, sizes = mask_pyramid(regions.stacked(), (height // 8, width // 8), 4)
    assert sizes == [(64, 64), (32, 32), (16, 16), (8, 8)]
    assert [tuple(level.shape) for level in pyramid] == [(3, 1, 4096), (3, 1, 1024), (3, 1, 256), (3, 1, 64)]
