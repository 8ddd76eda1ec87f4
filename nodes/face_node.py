"""FaceMaskExtractor node: portrait -> framed portrait, landmarks, and lip / expression / pose masks."""

from __future__ import annotations

from ectfg_core.face.framing import MAX_SIZE, MIN_SIZE, frame_portrait
from ectfg_core.face.masks import extract_masks

from .convert import frames_to_image, image_to_numpy, mask_to_tensor
from .face_engine import COMFY_FACE_MODEL, COMFY_FACE_MODEL_INPUT, COMFY_FACE_MODEL_TOOLTIP, use_face_engine
from .types import CATEGORY, FACE


class FaceMaskExtractor:
    DESCRIPTION = (
        "Finds the largest face with MediaPipe (ComfyUI's own face model when connected, else the plugin's engine; "
        "the console says which), frames it as a square portrait, and returns "
        "soft lip, expression and pose masks at the output resolution plus the landmarks the renderer and the "
        "diffusion sampler need. The masks are standard MASKs for any masking node."
    )
    CATEGORY = f"{CATEGORY}/face"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "MASK", "MASK", "MASK", FACE)
    RETURN_NAMES = ("portrait", "lip_mask", "expression_mask", "pose_mask", "face")
    OUTPUT_TOOLTIPS = (
        "The framed portrait (size x size).",
        "Mouth region: where lip motion happens.",
        "Face without the mouth region (brows, eyes, cheeks, chin): where the expression shows.",
        "Head outside the face (hair, ears, neck): what head pose moves.",
        "Framed portrait with its 478 landmarks, for the Embedded Renderer and the diffusion sampler.",
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "image": ("IMAGE", {"tooltip": "A portrait with one clearly visible face (the largest face is used). "
                                               "From a batch, the first image is used."}),
                "size": ("INT", {"default": 512, "min": MIN_SIZE, "max": MAX_SIZE, "step": 8,
                                 "tooltip": "Square output size in pixels (a multiple of 8). 512 suits SD1.5-based samplers."}),
                "crop": (["face", "center"], {"default": "face",
                                              "tooltip": "face: frame around the detected face. center: take the central "
                                                         "square of the image (for portraits that are already framed)."}),
            },
            "optional": {
                COMFY_FACE_MODEL_INPUT: (COMFY_FACE_MODEL, {"tooltip": COMFY_FACE_MODEL_TOOLTIP}),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, size: int) -> bool | str:
        # Listing `size` here replaces ComfyUI's own min/max check for it, so the range is checked here too. A linked
        # size arrives as None (its value is not known before the run) and is checked by the core library instead.
        if size is None:
            return True
        if not MIN_SIZE <= int(size) <= MAX_SIZE:
            return f"size {size} is out of range; use {MIN_SIZE} to {MAX_SIZE} pixels"
        if int(size) % 8:
            # The widget snaps to steps of 8, but API prompts and converted inputs can send any number.
            return f"size {size} is not a multiple of 8; use e.g. {int(size) // 8 * 8} or {int(size) // 8 * 8 + 8}"
        return True

    def run(self, image, size: int, crop: str, face_detection_model=None):
        use_face_engine(face_detection_model)
        portrait = frame_portrait(image_to_numpy(image), size=size, crop=crop)
        masks = extract_masks(portrait.landmarks)
        return (frames_to_image([portrait.image]), mask_to_tensor(masks.lip), mask_to_tensor(masks.expression),
                mask_to_tensor(masks.pose), portrait)
