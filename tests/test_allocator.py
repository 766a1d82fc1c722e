"""The malloc tuning is opt-in, applied once, can be vetoed, and never breaks a run."""

import platform
import subprocess
import sys

from qml.sim.allocator import retain_freed_memory


def _in_subprocess(env_value: str | None, explicit: bool = True) -> str:
    code = (
        "from qml.sim.allocator import retain_freed_memory as r, retain_on_request as q; import qml; "
        "v = float(qml.expval(qml.Circuit(1).add('H', 0), 'X0')); "
        + ("print(r(), r(), v)" if explicit else "print(q(), q(), v)")
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


def test_off_by_default_and_on_when_asked_on_linux_glibc():
    assert _in_subprocess(None, explicit=False).split()[:2] == ["False", "False"]  # a simulation alone
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    first, second, _ = _in_subprocess("1", explicit=False).split()
    assert first == second == str(glibc)
    first, second, _ = _in_subprocess(None).split()
    assert first == second == str(glibc)
