"""The malloc tuning is applied once, can be switched off, and never breaks a run."""

import platform
import subprocess
import sys

from qml.allocator import retain_freed_memory


def _in_subprocess(env_value: str | None) -> str:
    code = (
        "from qml.allocator import retain_freed_memory as r; import qml; "
        "print(r(), r(), float(qml.expval(qml.Circuit(1).add('H', 0), 'X0')))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env["QML_RETAIN_MEMORY"] = env_value
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_retain_is_idempotent():
    assert retain_freed_memory() is retain_freed_memory()


def test_switched_off_by_environment():
    first, second, value = _in_subprocess("0").split()
    assert (first, second) == ("False", "False")
    assert abs(float(value) - 1.0) < 1e-12


def test_on_by_default_on_linux_glibc():
    first, second, _ = _in_subprocess(None).split()
    assert first == second
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert first == "True"
