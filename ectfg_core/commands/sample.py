"""`ectfg sample`: text + description + portrait -> photoreal MP4 with the diffusion backbone (GPU; Hallo's weights)."""

from __future__ import annotations

import argparse
import sys

from ectfg_core.commands.common import add_speech_options


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("sample", help="write an MP4 with the diffusion sampler (Hallo weights, GPU recommended)")
    cmd.add_argument("--image", help="portrait PNG/JPEG (default: the bundled public-domain NASA astronaut portrait)")
    add_speech_options(cmd)
    cmd.add_argument("--out", required=True, help="output .mp4 path; a .json sidecar with plan, track and settings is written beside it")
    cmd.add_argument("--models", help="models folder: ComfyUI's models/ or Hallo's pretrained_models/ (default: $ECTFG_MODELS_DIR)")
    cmd.add_argument("--emotion-weights",
                     help="trained emotion fusion .safetensors (default: <models>/ectfg/emotion_fusion.safetensors if present)")
    cmd.add_argument("--fps", type=float, default=25.0, help="video frame rate (default 25, as Hallo)")
    cmd.add_argument("--size", type=int, default=512, help="square frame size, a multiple of 64 (default 512)")
    cmd.add_argument("--steps", type=int, default=40, help="DDIM steps (default 40)")
    cmd.add_argument("--cfg", type=float, default=3.5, help="classifier-free guidance scale (default 3.5)")
    cmd.add_argument("--seed", type=int, default=42, help="noise seed; the same seed gives the same video (default 42)")
    cmd.add_argument("--clip-length", type=int, default=16, help="frames per clip (default 16)")
    cmd.add_argument("--guide", choices=("renderer", "none"), default="renderer",
                     help="start from the embedded renderer's frames (default), so expressions follow the emotion arc")
    cmd.add_argument("--guide-strength", type=float, default=0.8,
                     help="noise on the guide frames: 0 keeps them, 1 ignores them (default 0.8)")
    cmd.add_argument("--emotion-scale", type=float, default=1.0, help="weight of the emotion features in the gated fusion (default 1)")
    cmd.add_argument("--pose-weight", type=float, default=1.0, help="weight of the pose region's audio attention (default 1)")
    cmd.add_argument("--expression-weight", type=float, default=1.0, help="weight of the expression region's audio attention (default 1)")
    cmd.add_argument("--lip-weight", type=float, default=1.0, help="weight of the lip region's audio attention (default 1)")
    cmd.add_argument("--face-embedding", help="ArcFace embedding of the portrait (.npy or .pt with 512 numbers, as Hallo's face_emb)")
    cmd.add_argument("--precision", choices=("auto", "fp16", "bf16", "fp32"), default="auto", help="weights precision (auto: fp16 on GPU)")
    cmd.add_argument("--device", help="cuda, cuda:1 or cpu (default: the GPU if there is one)")
    cmd.add_argument("--crop", choices=("face", "center"), default="face", help="frame the largest face (default) or the centre")
    cmd.add_argument("--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(handler=run)


def load_face_embedding(path: str):
    import numpy as np

    from ectfg_core.errors import InputError

    try:
        if path.endswith(".npy"):
            values = np.load(path)
        else:
            import torch

            values = torch.load(path, map_location="cpu", weights_only=True)
            values = values.numpy() if hasattr(values, "numpy") else np.asarray(values)
    except (OSError, ValueError, RuntimeError) as err:
        raise InputError(f"cannot read the face embedding {path}: {err}; give a .npy or .pt file with 512 numbers") from None
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    if values.size != 512:
        raise InputError(f"face embedding {path} has {values.size} numbers; an ArcFace embedding has 512")
    return values


def run(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from ectfg_core.diffusion.config import SamplerSettings
    from ectfg_core.diffusion.device import compute_device, pick_dtype
    from ectfg_core.diffusion.files import locate
    from ectfg_core.diffusion.inputs import animate, audio_emotion_tokens
    from ectfg_core.diffusion.weights import load_models
    from ectfg_core.errors import InputError
    from ectfg_core.face.framing import frame_portrait
    from ectfg_core.media.audio import fit_to_frames
    from ectfg_core.media.images import load_image
    from ectfg_core.media.video import atomic_output, write_mp4
    from ectfg_core.pipeline import check_fps, predict_track, render_frames, sidecar_payload, speak
    from ectfg_core.progress import TerminalProgress

    if not args.out.lower().endswith(".mp4"):
        raise InputError(f"output {args.out} must end in .mp4")
    settings = SamplerSettings(steps=args.steps, guidance_scale=args.cfg, seed=args.seed, clip_length=args.clip_length,
                               fps=check_fps(args.fps), guide_strength=args.guide_strength, emotion_scale=args.emotion_scale,
                               region_weights=(args.pose_weight, args.expression_weight, args.lip_weight)).validate()
    device = compute_device(args.device)
    dtype = pick_dtype(device, args.precision)
    files = locate(args.models, args.emotion_weights)  # fail on missing weights before any work
    embedding = load_face_embedding(args.face_embedding) if args.face_embedding else None
    progress = TerminalProgress(enabled=not args.quiet and sys.stderr.isatty())

    portrait = frame_portrait(load_image(args.image), size=args.size, crop=args.crop)
    spoken = speak(args.text, args.emotion, voice=args.voice)
    prediction, audio = predict_track(spoken.plan, spoken.speech, settings.fps)
    track = prediction.track
    guides = None
    if args.guide == "renderer":
        guides = np.stack(list(render_frames(portrait, spoken.speech, track, audio, args.seed, progress)))
    models = load_models(files=files, device=device, dtype=dtype, progress=progress)
    conditioning = audio_emotion_tokens(models, spoken.speech.samples, spoken.speech.sample_rate, track.num_frames,
                                        settings.fps, track, settings)
    video = animate(models, portrait, conditioning, settings, guide_frames=guides, face_embedding=embedding, progress=progress)
    frames = (video.numpy() * 255.0).round().astype(np.uint8)
    samples = fit_to_frames(spoken.speech.samples, spoken.speech.sample_rate, len(frames), settings.fps)
    write_mp4(args.out, frames, settings.fps, samples, spoken.speech.sample_rate)
    payload = sidecar_payload(prediction, spoken, settings.fps, args.size, args.seed, args.voice)
    payload["diffusion"] = {
        "steps": settings.steps, "cfg": settings.guidance_scale, "clip_length": settings.clip_length,
        "guide": args.guide, "guide_strength": settings.guide_strength, "emotion_scale": settings.emotion_scale,
        "region_weights": list(settings.region_weights), "emotion_weights": models.emotion_weights,
        "precision": str(dtype).replace("torch.", ""), "device": str(device),
    }
    sidecar = args.out[:-4] + ".json"
    with atomic_output(sidecar) as tmp:
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    if models.emotion_weights is None:
        print("note: no trained emotion weights; the emotion arc comes from the guide frames only", file=sys.stderr)
    print(f"wrote {args.out} ({len(frames)} frames, {len(frames) / settings.fps:.2f} s) and {sidecar}")
    return 0
