"""Hallo's face-image projection (ArcFace embedding -> cross-attention tokens) as a diffusers model that saves and loads."""

from __future__ import annotations

from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.embeddings import ImageProjection
from diffusers.models.modeling_utils import ModelMixin


class FaceImageProjection(ImageProjection, ModelMixin, ConfigMixin):
    """diffusers' ImageProjection (the same layers and weight names), with a config so that a pipeline folder holds it."""

    @register_to_config
    def __init__(self, image_embed_dim: int = 512, cross_attention_dim: int = 768, num_image_text_embeds: int = 4):
        super().__init__(image_embed_dim=image_embed_dim, cross_attention_dim=cross_attention_dim,
                         num_image_text_embeds=num_image_text_embeds)
