#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu 22.04, Python 3.10 by default). It is safe to run again.
#
#   ROOT = $AUTOGRADER_ROOT, or Gradescope's /autograder
#   $ROOT/source   the unzipped autograder (this file is in it)
#   $ROOT/venv     the virtual environment made here: requirements.txt (the
#                  platform's dependencies: numpy, pytest, pyyaml, jsonschema, tqdm,
#                  ipython, matplotlib, psutil; no JupyterLab, no nbgrader), as
#                  wheels only, and the platform registered without a build
#
# Environment knobs (for trying a zip locally and for the project's tests):
#   AUTOGRADER_ROOT           use this folder in place of /autograder
#   AUTOGRADER_SETUP_PYTHON   interpreter to make the venv with (default python3)
#   AUTOGRADER_SKIP_APT=1     never call apt-get
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
PYTHON="${AUTOGRADER_SETUP_PYTHON:-python3}"
STUDENT_USER=autograder-student
STUDENT_UID=61000

say() { echo "setup.sh: $*"; }

apt_install() {
    # Best effort: the container may have no apt or no network; grading works without.
    if [ "${AUTOGRADER_SKIP_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
        say "cannot apt-get install $* here; going on without"
        return 1
    fi
    if [ -z "${APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
        || { say "apt-get install $* failed; going on without"; return 1; }
}

# 1. Isolation tools: bubblewrap (namespaces) and setpriv (util-linux, in the base image).
if ! command -v bwrap >/dev/null 2>&1; then
    apt_install bubblewrap || true
fi
command -v setpriv >/dev/null 2>&1 || apt_install util-linux || true

# 2. The virtual environment (Ubuntu's python3 needs python3-venv for ensurepip).
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install python3-venv || true
fi
# From here on nothing is readable by others unless step 4 opens it up, pip keeps
# no cache, and its temporary files live in a root-only folder removed on exit:
# no copy of the hidden material (reference/, course.yaml) is left readable by
# the student uid anywhere (tests/test_gradescope_hidden.py checks).
umask 077
SETUP_TMP="$(mktemp -d "$ROOT/.setup-tmp.XXXXXX")"
trap 'rm -rf "$SETUP_TMP"' EXIT
export TMPDIR="$SETUP_TMP" PIP_NO_CACHE_DIR=1
STAMP="$VENV/.autograder-setup"
# The venv is current when made by this Python for exactly this requirements.txt
# (`autograder gradescope --try` seeds one from the instructor's environment with
# the same stamp; keep the two in step: autograder/gradescope/tryenv.py).
WANT="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$SOURCE/requirements.txt" | cut -c1-16)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null || true)" = "$WANT" ] \
        && "$VENV/bin/python" -c 'import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ("numpy", "pytest", "yaml", "jsonschema", "tqdm", "IPython")))' \
            >/dev/null 2>&1; then
    say "virtual environment $VENV is up to date"
else
    say "making the virtual environment $VENV with $PYTHON ($WANT)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # Wheels only: nothing is compiled from source (an sdist would need a compiler and
    # minutes); pip byte-compiles what it installs, once, here.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-cache-dir \
        --only-binary :all: --requirement "$SOURCE/requirements.txt"
    echo "$WANT" > "$STAMP"
fi
# The platform itself: registered from $SOURCE (its dist-info, whose requirements the
# import rule walks, and a .pth), which is what `pip install --editable` gave without
# downloading setuptools and building.
"$VENV/bin/python" "$SOURCE/autograder/gradescope/install.py" "$SOURCE"
(cd / && "$VENV/bin/python" -c 'import autograder') \
    || { say "the platform is not importable from $VENV"; exit 1; }

# Work every submission's fresh container would otherwise repeat (about a fifth of a
# cold grade's CPU time): the platform and the hidden suites compiled to bytecode,
# and the import rule's list of installed modules (sandbox/imports.py), written
# from the folder run_autograder grades in. Both stay root's where the source is.
"$VENV/bin/python" -m compileall -q "$SOURCE/autograder" "$SOURCE/reference" >/dev/null 2>&1 \
    || say "could not precompile the platform; grading compiles it each run"
(cd "$SOURCE" && "$VENV/bin/python" -m autograder.sandbox.imports) \
    || say "could not list the installed modules; grading lists them each run"
# The hidden suite's collection, kept beside it (autograder/suite.py): a grade then imports
# neither pytest nor its collection, about a third of a cold grade.
(cd "$SOURCE" && "$VENV/bin/python" -m autograder.grading "__ASSIGNMENT__") \
    || say "could not keep the hidden suite's collection; each grade collects it"

# 3. The unprivileged user the sandbox runs student code as (uid 61000 + slot).
if command -v useradd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    if ! getent group "$STUDENT_UID" >/dev/null 2>&1; then
        groupadd --gid "$STUDENT_UID" "$STUDENT_USER" 2>/dev/null || true
    fi
    if ! getent passwd "$STUDENT_UID" >/dev/null 2>&1; then
        useradd --uid "$STUDENT_UID" --gid "$STUDENT_UID" --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "autograder sandbox" "$STUDENT_USER" 2>/dev/null \
            || say "could not create $STUDENT_USER; the sandbox uses uid $STUDENT_UID without a name"
    fi
fi

# 4. Permissions. The venv and the platform are readable by everyone (the student
#    process runs Python as uid 61000 where namespaces are refused); the hidden
#    material (reference solutions, hidden tests, course.yaml) is root's alone.
chmod go+rx "$ROOT" "$SOURCE"
chmod -R go+rX "$VENV" "$SOURCE/autograder"
if [ "$(id -u)" = 0 ]; then
    chown -R root:root "$SOURCE/reference" "$SOURCE/course.yaml"
fi
chmod -R go-rwx "$SOURCE/reference" "$SOURCE/course.yaml"
chmod 755 "$SOURCE/run_autograder"
[ -e "$ROOT/run_autograder" ] && chmod 755 "$ROOT/run_autograder"

say "ready ($("$VENV/bin/python" --version 2>&1); bubblewrap: $(command -v bwrap || echo none))"
