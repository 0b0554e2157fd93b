"""Confinement the student process applies to itself before any student code runs.

* **Landlock** (Linux >= 5.13, unprivileged, works where namespaces are
  refused): the process may read and execute only the folders it is given
  (the system folders and the Python installation), read and write only its
  own working folder, a few device files and its own ``/proc/<pid>``. Where the
  kernel's Landlock ABI allows it, TCP bind/connect are refused (ABI 4) and
  signals and abstract Unix sockets are scoped to the process's own
  descendants (ABI 6), so it cannot signal the grader or any other process.
* **seccomp**: a small BPF filter refuses system calls student code never
  needs (``DENIED``): ptrace and reading other processes' memory, mounting,
  namespaces (``unshare``, ``setns``, ``clone`` with a namespace flag;
  ``clone3`` answers ENOSYS so the C library falls back to ``clone``), kernel
  keyrings, ``bpf``, ``perf_event_open``, ``io_uring``, ``userfaultfd``,
  kernel modules, kexec, reboot, swap, ``syslog``, ``open_by_handle_at``.
  Calls of another ABI (x32, i386 on x86_64; arm32 on aarch64) answer ENOSYS.

Both are inherited by every child and cannot be undone. This file is loaded
standalone (no package imports) by ``student_main.py`` and ``zygote_main.py``
inside the sandbox, and imported by the grader to probe the kernel.
Plain ``ctypes`` and the three Landlock system calls: no compiled extension.
"""

import ctypes
import errno
import os
import stat
import struct
import sys

# ---------------------------------------------------------------- system call numbers
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(os.uname().machine.lower())
# asm-generic numbering for the newer calls is the same on both architectures
SYSCALLS = {
    "x86_64": {
        "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
        "seccomp": 317, "clone": 56, "clone3": 435,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "unshare": 272, "setns": 308,
        "add_key": 248, "request_key": 249, "keyctl": 250,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "init_module": 175, "finit_module": 313, "delete_module": 176,
        "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "swapon": 167, "swapoff": 168,
        "acct": 163, "syslog": 103, "quotactl": 179, "lookup_dcookie": 212,
        "name_to_handle_at": 303, "open_by_handle_at": 304, "iopl": 172, "ioperm": 173,
    },
    "aarch64": {
        "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
        "seccomp": 277, "clone": 220, "clone3": 435,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "unshare": 97, "setns": 268,
        "add_key": 217, "request_key": 218, "keyctl": 219,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "init_module": 105, "finit_module": 273, "delete_module": 106,
        "kexec_load": 104, "kexec_file_load": 294, "reboot": 142, "swapon": 224, "swapoff": 225,
        "acct": 89, "syslog": 116, "quotactl": 60, "lookup_dcookie": 18,
        "name_to_handle_at": 264, "open_by_handle_at": 265,
    },
}
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "unshare", "setns",
    "add_key", "request_key", "keyctl",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
    "acct", "syslog", "quotactl", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at", "iopl", "ioperm",
)
"""Refused with EPERM by the seccomp filter (those that exist on this architecture)."""
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone() with any of them is refused."""
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000

PR_SET_NO_NEW_PRIVS = 38
PR_GET_SECCOMP = 21

# ---------------------------------------------------------------- Landlock constants
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
RULE_PATH_BENEATH = 1
CREATE_RULESET_VERSION = 1 << 0
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
"""The only rights a rule on a (non-directory) file may carry."""

READ_DEVICES = ("/dev/urandom", "/dev/random", "/proc/cpuinfo", "/proc/meminfo", "/proc/sys/vm/overcommit_memory")
WRITE_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")
READ_ALWAYS = ("/sys/devices/system/cpu",)
"""Readable at every level: CPU counts for OpenBLAS and os.cpu_count(); nothing of anyone's."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class ConfinementError(OSError):
    """The student process could not confine itself; student code must not run."""


def _syscall(name, *args):
    number = SYSCALLS.get(_ARCH, {}).get(name)
    if number is None:
        raise ConfinementError(errno.ENOSYS, f"{name}: not known on {os.uname().machine}")
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise ConfinementError(code, f"{name}: {os.strerror(code)}")
    return result


def landlock_abi():
    """The kernel's Landlock ABI version (1 = Linux 5.13 ... 6 = 6.12, 7 = 6.15), 0 if
    Landlock is missing, disabled or refused (e.g. by a container's seccomp profile)."""
    if not sys.platform.startswith("linux"):
        return 0  # macOS has neither (and an unknown syscall number there is SIGSYS, not an error)
    try:
        return int(_syscall("landlock_create_ruleset", None, ctypes.c_size_t(0),
                            ctypes.c_uint32(CREATE_RULESET_VERSION)))
    except OSError:
        return 0


def seccomp_available():
    """Whether this kernel can install a seccomp filter on this architecture."""
    if _ARCH not in AUDIT_ARCH or not sys.platform.startswith("linux"):
        return False  # macOS's libc has no prctl
    _libc.prctl.restype = ctypes.c_int
    return _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


def fs_rights(abi):
    """Every file-system right the kernel's ABI knows (all of them are handled: denied unless allowed)."""
    rights = (1 << 13) - 1  # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


def _add_path(ruleset_fd, path, access, handled):
    """Allow ``access`` beneath ``path`` (file rights only for a file). Missing paths are skipped."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_RIGHTS
        access &= handled
        # struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd
        attr = ctypes.create_string_buffer(struct.pack("=Qi", access, fd))
        _syscall("landlock_add_rule", ctypes.c_int(ruleset_fd), ctypes.c_int(RULE_PATH_BENEATH), attr,
                 ctypes.c_uint32(0))
        return True
    finally:
        os.close(fd)


def apply_landlock(read, write, abi=None):
    """Restrict this process (and what it starts) to reading and executing
    beneath ``read`` and reading and writing beneath ``write``; returns what is
    in force: ``{"abi", "tcp", "signals"}``. Raises ConfinementError."""
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        raise ConfinementError(errno.EOPNOTSUPP, "Landlock is not available")
    handled = fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # no rule: no TCP bind or connect
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    ruleset = _syscall("landlock_create_ruleset", ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                       ctypes.c_uint32(0))
    try:
        readable = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
        for path in list(read) + list(READ_ALWAYS) + list(READ_DEVICES):
            _add_path(ruleset, path, readable, handled)
        # its own /proc/<pid> (what /proc/self is now): fds, maps, status
        _add_path(ruleset, f"/proc/{os.getpid()}", FS_READ_FILE | FS_READ_DIR, handled)
        for path in WRITE_DEVICES:
            _add_path(ruleset, path, FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE, handled)
        for path in write:
            if not _add_path(ruleset, path, handled, handled):
                raise ConfinementError(errno.ENOENT, f"the working folder {path} does not exist")
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise ConfinementError(ctypes.get_errno(), "no_new_privs")
        _syscall("landlock_restrict_self", ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return {"abi": abi, "tcp": abi >= 4, "signals": abi >= 6}


# ---------------------------------------------------------------- seccomp
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000


def seccomp_program(arch=None):
    """The BPF filter as bytes (struct sock_filter[]): u16 code, u8 jt, u8 jf, u32 k."""
    arch = arch or _ARCH
    numbers = SYSCALLS[arch]
    denied = sorted({numbers[name] for name in DENIED if name in numbers})
    # layout: header, one test per denied call, clone checks, the returns at the end
    code = []  # (op, jt, jf, k) with jt/jf as labels or ints
    code.append((_LD_W_ABS, 0, 0, 4))  # seccomp_data.arch
    code.append((_JEQ, 1, 0, AUDIT_ARCH[arch]))
    code.append((_RET, 0, 0, RET_ERRNO | errno.ENOSYS))  # another ABI: i386, arm32
    code.append((_LD_W_ABS, 0, 0, 0))  # seccomp_data.nr
    if arch == "x86_64":
        code.append((_JGE, "enosys", 0, X32_SYSCALL_BIT))  # the x32 ABI
    for number in denied:
        code.append((_JEQ, "eperm", 0, number))
    code.append((_JEQ, "enosys", 0, numbers["clone3"]))  # its flags are in memory: let libc fall back to clone
    code.append((_JEQ, 0, "allow", numbers["clone"]))
    code.append((_LD_W_ABS, 0, 0, 16))  # low 32 bits of args[0] (little-endian): the clone flags
    code.append((_JSET, "eperm", 0, CLONE_NAMESPACE_FLAGS))
    labels = {"allow": len(code), "eperm": len(code) + 1, "enosys": len(code) + 2}
    code += [(_RET, 0, 0, RET_ALLOW), (_RET, 0, 0, RET_ERRNO | errno.EPERM), (_RET, 0, 0, RET_ERRNO | errno.ENOSYS)]
    out = bytearray()
    for index, (op, jt, jf, k) in enumerate(code):
        jt = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - index - 1 if isinstance(jf, str) else jf
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("seccomp program too long for a jump")
        out += struct.pack("=HBBI", op, jt, jf, k)
    return bytes(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp():
    """Install the filter on every thread of this process (TSYNC). Raises ConfinementError."""
    if _ARCH not in AUDIT_ARCH:
        raise ConfinementError(errno.ENOSYS, f"no seccomp filter for {os.uname().machine}")
    program = seccomp_program()
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise ConfinementError(ctypes.get_errno(), "no_new_privs")
    # SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_TSYNC = 1
    _syscall("seccomp", ctypes.c_uint(1), ctypes.c_uint(1), ctypes.byref(fprog))


# ---------------------------------------------------------------- both
def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def confine(spec):
    """Apply what ``spec`` asks for, before any student code runs; returns what
    is in force. ``spec``: ``{"landlock": ABI expected (0: none), "read": [...],
    "write": [...], "seccomp": bool}``. Raises ConfinementError if anything asked
    for could not be applied (the student's code must then not run)."""
    applied = {"landlock": 0, "tcp": False, "signals": False, "seccomp": False}
    if not spec:
        return applied
    if spec.get("landlock") and _threads() != 1:  # Landlock binds the calling thread only
        raise ConfinementError(errno.EBUSY, "the student process has more than one thread before confinement")
    if spec.get("landlock"):
        done = apply_landlock(spec.get("read", []), spec.get("write", []))
        applied.update(landlock=done["abi"], tcp=done["tcp"], signals=done["signals"])
    if spec.get("seccomp"):
        apply_seccomp()
        applied["seccomp"] = True
    return applied
