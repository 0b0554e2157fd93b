"""The student process: runs notebook cells and answers the grader's calls.

Started by ``autograder.sandbox.process`` (already isolated and limited);
speaks ``protocol`` frames on the descriptors that were its stdin/stdout,
while the student's own prints go to the output pipe. Nothing here is
trusted by the grader: whatever this process sends back is decoded as plain
data with limits.
"""

import builtins
import importlib.util
import linecache
import os
import signal
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_module(name, filename):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_protocol():
    return _load_module("_autograder_protocol", "protocol.py")


def _load_confine():
    return _load_module("_autograder_confine", "confine.py")


_IMPORTS = _load_module("_autograder_imports", "imports.py")
"""The import rule (imports.py), loaded now: once confined, this folder may be unreadable."""


SETUP_FAILED = 121  # exit status: the sandbox could not set up the student process (the grader's problem)


def confine_self(config, confine=None):
    """Landlock and seccomp as ``config["confine"]`` asks (see confine.py), then
    decide whether kill(-1) after each cell is safe here. Returns what is in
    force; raises confine.ConfinementError if something asked for failed."""
    confine = confine or _load_confine()
    applied = confine.confine(config.get("confine") or {})
    if config.get("kill_strays") == "if-signals-scoped":
        # as the grader's own user, kill(-1) reaches only the student's processes once Landlock scopes signals
        config["kill_strays"] = bool(applied.get("signals"))
    return applied


class _Timeout(BaseException):
    """Raised by SIGALRM when a cell or call runs past its soft time limit."""


def _on_alarm(signum, frame):
    raise _Timeout()


class _IPythonStub:
    """Stands in for ``get_ipython()``: magics and shell escapes do nothing."""

    def _skip(self, *args, **kwargs):
        print(f"[autograder] skipped IPython magic/shell command: {args[:2]}", file=sys.stderr)

    run_line_magic = run_cell_magic = system = getoutput = magic = _skip

    def __getattr__(self, name):
        return self._skip


_MISSING = object()
MAX_REPORTED_FUNCTIONS = 2000
"""More functions and classes than this: none are reported (the grader fetches each by name)."""


MAX_REPORTED_METHODS = 200


def _method_names(value):
    """The public plain functions ``value``'s class (and its bases) define and ``value`` itself does
    not shadow: ``obj.name(...)`` then costs the grader one round trip (``RemoteMethod``). Read from
    the classes' dictionaries, so no student code runs; anything odd reports none."""
    try:
        cls = type(value)
        if cls is type or cls is types.FunctionType:
            return []
        names = []
        for klass in type.__getattribute__(cls, "__mro__"):
            if klass is object:
                continue
            for name, member in type.__getattribute__(klass, "__dict__").items():
                if type(name) is str and not name.startswith("_") and type(member) is types.FunctionType:
                    names.append(name)
        try:
            own = object.__getattribute__(value, "__dict__")
        except AttributeError:  # __slots__: nothing of its own shadows a method
            own = {}
        if type(own) is not dict:
            return []
        found = [n for n in dict.fromkeys(names) if n not in own]
        return found if len(found) <= MAX_REPORTED_METHODS else []
    except Exception:
        return []


class StudentRuntime:
    """Holds the student's namespace and the objects the grader refers to."""

    def __init__(self, protocol, chan_in, chan_out, kill_strays_allowed=False):
        self.protocol = protocol
        self.kill_strays_allowed = kill_strays_allowed
        self.reader = protocol.FrameReader(chan_in)
        self.chan_out = chan_out
        stub = _IPythonStub()
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: stub}
        self.objects = {}
        self.next_id = 1
        self.functions = {}
        """{name: (object, type name)} of the namespace's plain functions and classes, as last
        reported to the grader (``_report_functions``)."""

    # -------------------------------------------------------------- encoding
    def _store(self, value):
        ref = self.next_id
        self.next_id += 1
        self.objects[ref] = value
        return {"t": "ref", "id": ref, "type": type(value).__name__, "callable": callable(value),
                "methods": _method_names(value)}

    def _lookup_ref(self, node):
        try:
            return self.objects[node["id"]]
        except KeyError:
            raise self.protocol.ProtocolError("unknown object reference") from None

    def _lookup_global(self, name):
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined in your notebook")
        return self.namespace[name]

    def send(self, header, value=None, has_value=False):
        """Reply with ``header`` (and ``value``); a value that cannot cross becomes an
        ``unusable`` answer, which keeps what the header says of the namespace."""
        buffers = []
        state = {key: header[key] for key in ("functions", "ref") if key in header}
        if has_value:
            encoder = self.protocol.Encoder(self._store)
            try:
                header = dict(header, value=encoder.encode(value))
                buffers = encoder.buffers
            except (self.protocol.ProtocolError, RecursionError, ValueError, TypeError, OverflowError) as exc:
                header = {"ok": False, "kind": "unusable",
                          "message": f"the value returned cannot be sent back for grading: {exc}", **state}
                buffers = []
        try:
            frame = self.protocol.pack(header, buffers)
        except self.protocol.ProtocolError as exc:
            frame = self.protocol.pack({"ok": False, "kind": "unusable",
                                        "message": f"the value returned is too large to grade: {exc}", **state}, [])
        self.protocol.write_frame(self.chan_out, frame)

    # -------------------------------------------------------------- running
    def _trimmed_traceback(self, exc):
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.dirname(os.path.abspath(f.filename)) != HERE
                  and not f.filename.startswith("<frozen importlib")]
        lines = traceback.format_list(frames[-8:])
        lines += traceback.format_exception_only(type(exc), exc)
        return "".join(lines)[-3000:]

    def _guarded(self, timeout, work):
        """Run ``work()`` under a soft SIGALRM deadline; returns (header, value, has_value)."""
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(0.001, float(timeout)))
        try:
            value = work()
            return {"ok": True}, value, True
        except _Timeout:
            return {"ok": False, "kind": "timeout", "message": f"stopped after {timeout:g} s"}, None, False
        except SystemExit as exc:
            return {"ok": False, "kind": "exit", "message": f"called sys.exit({exc.code!r})"}, None, False
        except KeyboardInterrupt:
            return {"ok": False, "kind": "timeout", "message": "interrupted"}, None, False
        except MemoryError:
            return {"ok": False, "kind": "memory", "message": "ran out of memory (MemoryError)"}, None, False
        except BaseException as exc:  # the student's own error: report it, carry on
            return {"ok": False, "kind": "error", "message": self._trimmed_traceback(exc),
                    "exception": type(exc).__name__}, None, False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.kill_strays()

    def kill_strays(self):
        """No process a cell or call started outlives it (setsid, double fork
        and fork loops included): kill(-1) reaches every process this uid may
        signal except this one. Only where that set is the student's own
        processes (a dedicated uid or a private PID namespace)."""
        if not self.kill_strays_allowed:
            return
        for _ in range(50):
            try:
                os.kill(-1, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                break
            try:
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            except ChildProcessError:
                pass

    def run_cells(self, request):
        """Run ``cells`` in order, answering each as ``run_cell`` does, each under its time
        limit or what is left of the submission's ``budget`` (seconds from now), whichever
        is less; a cell with no time left is not run (``budget``)."""
        end = time.monotonic() + float(request.get("budget", 0))
        limit = float(request.get("timeout", 30))
        for cell in request["cells"]:
            left = end - time.monotonic()
            if left <= 0:
                self.send({"ok": False, "kind": "budget", "message": "the submission's time is used up"})
                continue
            self.run_cell({"source": cell["source"], "label": cell["label"], "timeout": min(limit, left)})

    def run_cell(self, request):
        source, label = request["source"], request["label"]
        filename = f"<{label}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

        def work():
            code = compile(source, filename, "exec")
            exec(code, self.namespace)  # noqa: S102 - this process exists to run it

        timeout = request.get("timeout", 30)
        header, _, _ = self._guarded(timeout, work)
        header["timeout"] = timeout
        self._report_functions(header, full=True)
        sys.stdout.flush()
        sys.stderr.flush()
        self.send(header)

    def call(self, request, buffers):
        """Call the target (a stored object, a global by name, or an expression the test
        defined) with the decoded arguments; reply with its value and the array arguments
        it changed in place. ``keep`` in the target: store what a name or expression
        resolved to and say its reference (``ref``), so the grader's proxy stays bound to it."""
        decoder = self.protocol.Decoder(buffers, self._lookup_ref, self._lookup_global)
        target = request["target"]
        extra = {}
        if "ref" in target:
            func = self.objects.get(target["ref"], _MISSING)
        elif "define" in target:
            func = eval(target["define"], dict(self.namespace))  # noqa: S307 - source written by the instructor
        else:
            name = target.get("name")
            func = (self.namespace.get(name, _MISSING) if type(name) is str and not name.startswith("__")
                    else _MISSING)
        if func is _MISSING:
            self.send({"ok": False, "kind": "missing", "message": f"`{target.get('name')}` is not defined"})
            return
        if target.get("keep") and "ref" not in target:
            extra["ref"] = self._store(func)["id"]
        args = decoder.decode(request["args"])
        kwargs = decoder.decode(request["kwargs"])
        sent = list(args) + list(kwargs.values())
        np = sys.modules.get("numpy")
        pristine = [a.copy() if np is not None and isinstance(a, np.ndarray) else None for a in sent]
        method = request.get("method")
        attribute = request.get("attribute")
        called = []

        def work():
            if attribute is not None:
                return getattr(func, attribute)
            target_callable = getattr(func, method) if method else func
            called.append(target_callable)
            return target_callable(*args, **kwargs)

        header, value, has_value = self._guarded(request.get("timeout", 10), work)
        header.update(extra)
        if header["ok"] and np is not None and any(old is not None for old in pristine):
            changed = [i for i, (old, new) in enumerate(zip(pristine, sent))
                       if old is not None and not (isinstance(new, np.ndarray) and old.shape == new.shape
                                                   and np.array_equal(old, new, equal_nan=True))]
            header["mutated"] = self._argument_names(changed, called, len(args), list(kwargs)) if changed else []
        self._report_functions(header, full=False)
        sys.stdout.flush()
        sys.stderr.flush()
        self.send(header, value, has_value)

    def _argument_names(self, indices, called, positional, keywords):
        """The names of the arguments at ``indices`` (positional first, then keywords):
        the callee's own parameter names (``X``, ``y``) where its signature says them.
        Looked up only when an argument changed (reading a signature may run student
        code, so under the soft deadline too)."""
        names = [f"argument {i + 1}" for i in range(positional)] + [str(k) for k in keywords]
        if called and any(i < positional for i in indices):
            header, found, _ = self._guarded(2, lambda: parameter_names(called[0], positional))
            if header["ok"] and isinstance(found, list):
                names[:positional] = found
        return [names[i] for i in indices]

    def _report_functions(self, header, full):
        """Put ``functions`` ({name: type name} of the namespace's plain functions and
        classes) in ``header`` when it differs from what the grader was last told. After
        a call (``full`` False) only a changed binding of a reported name is looked for;
        a function that a call newly defines stays unreported (the grader then fetches it,
        as it does every name not reported)."""
        namespace = self.namespace
        try:
            if not full and all(namespace.get(name, _MISSING) is value for name, (value, _) in self.functions.items()):
                return
            found = {}
            for name, value in list(namespace.items()):
                if type(name) is str and not name.startswith("_") and (
                        type(value) is types.FunctionType or isinstance(value, type)):
                    type_name = type(value).__name__
                    if type(type_name) is str:
                        found[name] = (value, type_name[:80])
        except Exception:  # a hostile key (its own __eq__): report nothing, so the grader fetches every name
            found = {}
        if len(found) > MAX_REPORTED_FUNCTIONS:
            found = {}
        if {name: t for name, (_, t) in found.items()} != {name: t for name, (_, t) in self.functions.items()}:
            header["functions"] = {name: t for name, (_, t) in found.items()}
        self.functions = found

    def define(self, request):
        scope = dict(self.namespace)
        value = eval(request["source"], scope)  # noqa: S307 - source written by the instructor
        self.send({"ok": True}, value, True)

    def serve(self):
        while True:
            try:
                request, buffers = self.reader.read()
            except self.protocol.ChannelClosed:
                return
            try:
                self.dispatch(request, buffers)
            except Exception as exc:  # a malformed request: answer, don't die
                self.send({"ok": False, "kind": "protocol", "message": f"{type(exc).__name__}: {exc}"})
            if request.get("op") == "bye":
                return

    def dispatch(self, request, buffers):
        """Answer one request from the grader."""
        op = request.get("op")
        if op == "run_cell":
            self.run_cell(request)
        elif op == "run_cells":
            self.run_cells(request)
        elif op == "call":
            self.call(request, buffers)
        elif op == "get":
            self.get(request.get("name"))
        elif op == "define":
            self.define(request)
        elif op == "release":
            self.objects.pop(request.get("id"), None)
        elif op != "bye":
            self.send({"ok": False, "kind": "protocol", "message": f"unknown op {op!r}"})

    def get(self, name):
        """The value of a global of the student's namespace (a reference if not plain data)."""
        if name in self.namespace and not str(name).startswith("__"):
            self.send({"ok": True}, self.namespace[name], True)
        else:
            self.send({"ok": False, "kind": "missing", "message": f"`{name}` is not defined"})


def parameter_names(func, count):
    """The names of the first ``count`` positional parameters of ``func`` (``X``, ``y``),
    or ``argument N`` where the signature does not say."""
    names = [f"argument {i + 1}" for i in range(count)]
    try:
        import inspect

        params = [p for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except Exception:  # no signature (a builtin, a hostile object): keep the positions
        return names
    for i, param in enumerate(params[:count]):
        names[i] = param.name
    return names


def _apply_limits(config):
    """OS limits, set before any student code runs (lowering is always allowed)."""
    import resource

    limits = config.get("limits", {})
    mb = 1024 * 1024

    def cap(which, value):
        try:
            soft, hard = resource.getrlimit(which)
            value = int(value)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    cap(resource.RLIMIT_AS, limits.get("memory_mb", 768) * mb)
    cap(resource.RLIMIT_CPU, limits.get("submission_timeout_s", 300) + 1)
    cap(resource.RLIMIT_FSIZE, limits.get("max_file_mb", 16) * mb)
    cap(resource.RLIMIT_NOFILE, limits.get("max_open_files", 256))
    cap(resource.RLIMIT_CORE, 0)
    if config.get("dedicated_uid"):
        cap(resource.RLIMIT_NPROC, limits.get("max_processes", 64))


def _add_site_paths(config):
    """The site directories the grader's ``site`` found (``process.site_paths``): this process
    runs without ``site`` (``python -I -S``)."""
    import site  # its module only: without -S it would also run every .pth file's code

    for path in config.get("site_paths", []):
        if path not in sys.path:
            sys.path.append(path)
    site.setquit()  # exit(), quit(), help() and copyright as a notebook knows them
    site.setcopyright()
    site.sethelper()


def _strip_grader_paths(config):
    """Drop the course's folders from sys.path (editable installs put them there)."""
    hidden = [os.path.abspath(p) for p in config.get("strip_paths", [])]

    def is_hidden(entry):
        entry = os.path.abspath(entry or ".")
        return any(entry == h or entry.startswith(h + os.sep) for h in hidden) and "site-packages" not in entry

    sys.path[:] = [p for p in sys.path if not is_hidden(p)]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__name__.lower()
                        and "editable" not in getattr(f, "__name__", "").lower()]


def main():
    import json

    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    try:
        _apply_limits(config)
        _add_site_paths(config)
        _strip_grader_paths(config)
        protocol = _load_protocol()
        applied = confine_self(config)
    except BaseException as exc:  # never run student code half set up
        try:
            os.write(2, f"[autograder] student process setup failed: {exc}\n".encode())
        finally:
            os._exit(SETUP_FAILED)
    # set up and confined: say so before any student code can write on the channel
    protocol.write_frame(1, protocol.pack({"op": "ready", "confined": applied}, []))
    serve_std_fds(config, protocol)


def serve_std_fds(config, protocol=None):
    """Serve on fds 0 (requests) and 1 (replies); the student's prints go to fd 2.
    Limits and sys.path are already in place. Also the zygote's children end here."""
    chan_in, chan_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # the student's prints go to the captured output pipe
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stdin = open(os.devnull)
    protocol = protocol or _load_protocol()
    import numpy  # noqa: F401 - warm: almost every notebook imports it first

    # as in Jupyter, the notebook's folder (here the working folder, which holds the
    # assignment's support files) is importable: `from solver import Solver` works
    sys.path.insert(0, os.getcwd())
    if config.get("imports") is not None:
        # the grader's importable set (imports.py): the same refusal in validate and grading
        _IMPORTS.install(config["imports"])

    StudentRuntime(protocol, chan_in, chan_out, bool(config.get("kill_strays"))).serve()
    os._exit(0)


if __name__ == "__main__":
    main()
