# Two commands do all the set-up on a fresh machine with Python 3.10+ and pip:
#   make demo   venv + dependencies (+ Debian packages the sandbox and tests use, when root),
#               then release HW1, grade the sample submissions and build HW1's Gradescope zip
#               (which checks HW1 once: a later `autograder gradescope hw1 --try` reuses that)
#   make test   the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[author,dev]'
	touch $(STAMP)

# bubblewrap: the sandbox's namespaces; chromium: the report screenshot test.
# Installed only when running as root with apt (CI, Gradescope-like boxes).
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; \
	  command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	  command -v setpriv >/dev/null || missing="$$missing util-linux"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "not root: skipping Debian packages (bubblewrap, chromium); isolation will be partial"; fi

demo: $(STAMP) system-deps
	$(PY) -m autograder.demo
	$(PY) -m autograder.cli gradescope hw1

# Both cores: each test module runs whole on one worker (module fixtures such as the
# Gradescope zip's setup.sh run once), modules spread over the workers.
test: $(STAMP) system-deps
	$(PY) -m pytest -q -n 2 --dist loadscope

bench: $(STAMP) system-deps
	$(PY) benchmarks/bench_grade.py

clean:
	rm -rf $(VENV) release demo-out build .pytest_cache
