"""FaceMaskExtractor node: portrait -> framed portrait, landmarks, and lip / expression / pose masks."""

from __future__ import annotations

from ectfg_core.face.framing import frame_portrait
from ectfg_core.face.masks import extract_masks

from .convert import frames_to_image, image_to_numpy, mask_to_tensor
from .types import CATEGORY, FACE


class FaceMaskExtractor:
    DESCRIPTION = (
        "Finds the largest face with MediaPipe (offline), frames it as a square portrait, and returns soft lip, "
        "expression and pose masks at the output resolution plus the landmarks for later stages."
    )
    CATEGORY = f"{CATEGORY}/face"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "MASK", "MASK", "MASK", FACE)
    RETURN_NAMES = ("portrait", "lip_mask", "expression_mask", "pose_mask", "face")
    OUTPUT_TOOLTIPS = (
        "The framed portrait (size x size).",
        "Mouth region.",
        "Face without the mouth region (brows, eyes, cheeks, chin).",
        "Head outside the face (hair, ears, neck): what head pose moves.",
        "Framed portrait with its 478 landmarks, for the renderer and sampler.",
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "image": ("IMAGE", {"tooltip": "A portrait with one clearly visible face; the largest face is used."}),
                "size": ("INT", {"default": 512, "min": 128, "max": 2048, "step": 8, "tooltip": "Square output size in pixels."}),
                "crop": (["face", "center"], {"default": "face", "tooltip": "Frame around the face, or take the central square."}),
            }
        }

    def run(self, image, size: int, crop: str):
        portrait = frame_portrait(image_to_numpy(image), size=size, crop=crop)
        masks = extract_masks(portrait.landmarks)
        return (frames_to_image([portrait.image]), mask_to_tensor(masks.lip), mask_to_tensor(masks.expression),
                mask_to_tensor(masks.pose), portrait)
