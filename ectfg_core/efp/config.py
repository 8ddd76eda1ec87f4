"""The learned EmotionFluctuationPredictor's configuration, saved as config.json beside its safetensors weights."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ectfg_core.errors import InputError, ModelError
from ectfg_core.types.emotion import EMOTIONS

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
EFP_FORMAT = "ectfg.efp/1"
DEFAULT_BLEND = 0.5  # weight of the description plan against the learned model (1 = the plan only)


@dataclass
class EFPConfig:
    """Encoders are referenced by folder (absolute, or relative to the model folder); only our layers are saved."""

    audio_encoder: str | None  # wav2vec2 / HuBERT / WavLM / data2vec-audio (emotion2vec-style) folder; None: text only
    text_encoder: str | None  # BERT-style folder with its tokenizer; None: audio only
    audio_dim: int = 0  # hidden size of the audio encoder's states (0 without one)
    text_dim: int = 0
    hidden_size: int = 256
    num_layers: int = 2
    num_heads: int = 4
    dropout: float = 0.1
    audio_layer: int = -1  # which hidden state of the audio encoder to use (-1: the last)
    sample_rate: int = 16000
    audio_fps: float = 50.0  # frame rate of the time grid when there is no audio encoder
    chunk_seconds: float = 20.0  # long speech is encoded in chunks of this length (attention cost grows quadratically)
    emotions: list[str] = field(default_factory=lambda: list(EMOTIONS))
    format: str = EFP_FORMAT

    def __post_init__(self) -> None:
        if self.audio_encoder is None and self.text_encoder is None:
            raise InputError("the EFP model needs an audio encoder, a text encoder or both; name at least one encoder folder",
                             field="audio_encoder")
        if self.hidden_size % self.num_heads:
            raise ModelError(f"hidden_size {self.hidden_size} must be a multiple of num_heads {self.num_heads}")
        if list(self.emotions) != list(EMOTIONS):
            raise ModelError(f"this EFP model predicts {self.emotions}, but ectfg uses {list(EMOTIONS)}; retrain it")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, folder: str | Path) -> None:
        Path(folder, CONFIG_NAME).write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EFPConfig:
        if data.get("format") != EFP_FORMAT:
            raise ModelError(f"config format {data.get('format')!r} is not {EFP_FORMAT!r}; this is not an ectfg EFP model folder")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def load(cls, folder: str | Path) -> EFPConfig:
        path = Path(folder, CONFIG_NAME)
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except OSError:
            raise ModelError(f"{path} not found; an EFP model folder holds {CONFIG_NAME} and {WEIGHTS_NAME} "
                             "(see `ectfg train-efp`)") from None
        except (json.JSONDecodeError, TypeError) as err:
            raise ModelError(f"{path} is not a valid EFP config ({err}); retrain or restore the file") from None

    def resolve(self, value: str | None, folder: str | Path | None) -> Path | None:
        """An encoder folder from the config: absolute paths as written, relative ones next to the model folder."""
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute() and folder is not None:
            path = Path(folder) / path
        return path
