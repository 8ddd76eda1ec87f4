"""The diffusion backbone (Hallo-style, GPU) with TIE-TFG's gated emotion fusion.

Public API (import from the submodules; importing this package does not load torch or diffusers):
    config.Architecture, config.SamplerSettings      shapes (full = Hallo's, small, tiny) and sampling settings
    weights.load_models(root, emotion, device, dtype) Hallo's weights from ComfyUI's models/ folders (or a converted
                                                     pipeline folder), ours on top
    files.locate(root)                               which files are needed and where they are
    guided_pipeline.EmotionGuidedPipeline            the networks as a diffusers DiffusionPipeline (save/from_pretrained)
    animate.audio_emotion_tokens(...)                speech + emotion track -> fused tokens (eq. 5-6)
    animate.animate(models, portrait, tokens, ...)   the video (frames, H, W, 3) 0..1
    sampler.EmotionGuidedSampler                     the DDIM sampler itself (tensors in, frames out)
    gated_fusion.GatedEmotionFusion                  c = f_a + sigmoid(W_g f_a + b_g) * f_emo
    weights.save_emotion_weights / load_emotion_weights, export_hallo_checkpoint
    train.train_sampler(models, data_dir, out_dir)   training of the fusion and the audio attention
    bench.run_sampler_bench(size, steps, ...)        seconds per frame and peak memory (optionally next to Hallo)
"""
