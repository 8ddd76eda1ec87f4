"""CTC forced alignment: the Viterbi path recovers known boundaries; the wav2vec2 loader is the one users run."""

from __future__ import annotations

import numpy as np
import pytest

from ectfg_core.align.ctc import forced_align, group_words, min_frames
from ectfg_core.align.transcript import build_transcript
from ectfg_core.errors import InputError, ModelError
from ectfg_core.text import number_words, spoken_form

BLANK = 0


def emissions(num_frames: int, vocab: int, runs: list[tuple[int, int, int]], rng: np.random.Generator,
              peak: float = 0.9) -> np.ndarray:
    """Log-probs where label `l` dominates frames [a, b) of each run and blank dominates elsewhere, plus noise."""
    p = rng.uniform(0.0, 0.02, size=(num_frames, vocab))
    p[:, BLANK] += peak
    for label, a, b in runs:
        p[a:b, BLANK] = rng.uniform(0.0, 0.05, size=b - a)
        p[a:b, label] += peak
    p /= p.sum(axis=1, keepdims=True)
    return np.log(p)


def test_viterbi_recovers_the_known_label_runs() -> None:
    rng = np.random.default_rng(0)
    runs = [(3, 5, 9), (4, 12, 13), (7, 20, 26), (3, 30, 34)]
    spans = forced_align(emissions(40, 8, runs, rng), [r[0] for r in runs], blank=BLANK)
    assert [(s.label, s.start, s.end) for s in spans] == runs
    assert all(s.score > 0.8 for s in spans)


def test_repeated_letters_need_and_get_a_blank_between_them() -> None:
    rng = np.random.default_rng(1)
    # "l l": the same label twice, separated by blank frames 6..7.
    runs = [(5, 2, 6), (5, 8, 11)]
    spans = forced_align(emissions(14, 8, runs, rng), [5, 5], blank=BLANK)
    assert [(s.start, s.end) for s in spans] == [(2, 6), (8, 11)]
    assert min_frames([5, 5]) == 3 and min_frames([5, 6]) == 2


def test_path_is_forced_even_where_the_emissions_disagree() -> None:
    # The model hears label 2 everywhere, but the transcript says 3 then 4: both still get frames, in order.
    lp = np.log(np.full((10, 5), 0.01))
    lp[:, 2] = np.log(0.96)
    spans = forced_align(lp, [3, 4], blank=BLANK)
    assert spans[0].start == 0 or spans[0].start < spans[1].start
    assert spans[0].end <= spans[1].start and spans[1].end <= 10


def test_too_little_audio_and_bad_labels_are_input_errors() -> None:
    lp = np.log(np.full((3, 6), 1 / 6))
    with pytest.raises(InputError, match="too short"):
        forced_align(lp, [1, 2, 3, 4], blank=BLANK)
    with pytest.raises(InputError, match="blank"):
        forced_align(lp, [0, 1], blank=BLANK)
    with pytest.raises(InputError, match="vocabulary"):
        forced_align(lp, [9], blank=BLANK)
    with pytest.raises(InputError, match="frames"):
        forced_align(np.zeros((0, 6)), [1], blank=BLANK)


def test_letters_stretch_to_the_next_letter_within_a_word() -> None:
    rng = np.random.default_rng(2)
    runs = [(3, 1, 2), (4, 5, 6), (5, 10, 12), (6, 15, 18)]
    spans = forced_align(emissions(20, 8, runs, rng), [3, 4, 5, 6], blank=BLANK)
    words = group_words(spans, [[0, 1], [2, 3]])
    assert [(w.start, w.end) for w in words] == [(1, 6), (10, 18)]
    assert [(s.start, s.end) for s in words[0].letters] == [(1, 5), (5, 6)]


def test_transcripts_spell_numbers_and_mark_unspellable_words() -> None:
    assert number_words(42) == "forty two" and number_words(1905) == "one thousand nine hundred five"
    assert spoken_form("3rd") == "three rd"
    vocab = {"<pad>": 0, "|": 1, **{c: i + 2 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz'")}}
    t = build_transcript(["Café", "42", "&", "don't"], vocab, "|", wildcard=99)
    assert t.letters[0] == list("cafe") and t.letters[1] == list("fortytwo") and t.letters[2] == ["*"]
    assert t.letters[3] == list("don't")
    # Word delimiters between words and inside the spoken number, never inside a word's letter positions.
    assert t.labels.count(1) == 4
    for positions in t.word_labels:
        assert all(t.labels[p] != 1 for p in positions)


@pytest.fixture(scope="module")
def w2v_folder(tmp_path_factory):
    from speech_tiny import tiny_wav2vec2

    return tiny_wav2vec2(tmp_path_factory.mktemp("models") / "wav2vec2" / "tiny-w2v")


def test_tiny_wav2vec2_aligns_through_the_user_loading_code(w2v_folder) -> None:
    from ectfg_core.align.wav2vec2 import Wav2Vec2Aligner

    aligner = Wav2Vec2Aligner(w2v_folder)
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(44100 * 2)).astype(np.float32)
    result = aligner.align(audio, 44100, ["Hello", "there", "42"])
    assert [w.word for w in result.words] == ["Hello", "there", "42"]
    assert result.method == "ctc:tiny-w2v" and 0.0 <= result.confidence <= 1.0
    prev = 0.0
    for w in result.words:
        assert prev - 1e-9 <= w.start < w.end <= 2.0 + 1e-6
        prev = w.end
    letters = "".join(p.symbol for p in result.phonemes)
    assert letters == "hellothere" + "fortytwo"
    assert all(result.words[p.word_index].start - 1e-9 <= p.start < p.end <= result.words[p.word_index].end + 1e-9
               for p in result.phonemes)


def test_word_times_follow_the_emissions(w2v_folder, monkeypatch) -> None:
    """The glue (letters, delimiters, 20 ms frames, seconds) on emissions whose answer is known."""
    from ectfg_core.align.wav2vec2 import Wav2Vec2Aligner

    aligner = Wav2Vec2Aligner(w2v_folder)
    v = aligner.vocab
    rng = np.random.default_rng(3)
    # "HI" at frames 10-14, delimiter at 30, "YOU" at 50-59.
    runs = [(v["H"], 10, 12), (v["I"], 13, 15), (v["|"], 30, 31), (v["Y"], 50, 52), (v["O"], 54, 56), (v["U"], 58, 60)]
    lp = emissions(100, len(v), runs, rng)
    monkeypatch.setattr(aligner, "emissions", lambda *a, **k: (lp, 0.02))
    result = aligner.align(np.zeros(32000, np.float32), 16000, ["hi", "you"])
    assert [(round(w.start, 3), round(w.end, 3)) for w in result.words] == [(0.2, 0.3), (1.0, 1.2)]
    assert result.confidence > 0.6  # each letter's frames carry about 0.7 of the probability


def test_missing_or_broken_aligner_folders_say_what_to_do(tmp_path, w2v_folder, monkeypatch) -> None:
    from ectfg_core.align.wav2vec2 import Wav2Vec2Aligner, load_aligner

    monkeypatch.delenv("ECTFG_MODELS_DIR", raising=False)
    with pytest.raises(ModelError, match="wav2vec2-base-960h.*ECTFG_MODELS_DIR"):
        load_aligner("wav2vec2-base-960h")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelError, match=r"missing model\.safetensors or pytorch_model\.bin, vocab\.json, preprocessor_config\.json"):
        Wav2Vec2Aligner(broken)
    # By name, from $ECTFG_MODELS_DIR/wav2vec2/<name>.
    monkeypatch.setenv("ECTFG_MODELS_DIR", str(w2v_folder.parent.parent))
    assert load_aligner("tiny-w2v").folder == w2v_folder
