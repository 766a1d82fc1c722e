"""Environment variables are read in qml/config.py only, parsed strictly and documented once."""

import ast
import pathlib
import re

import pytest

from qml import config
from qml.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_parse_bytes():
    assert config.parse_bytes("1.5K") == 1536
    assert config.parse_bytes("2G") == 2 * 2**30
    assert config.parse_bytes("64MB") == 64 * 2**20
    assert config.parse_bytes("1048576") == 2**20
    with pytest.raises(ConfigError, match=r"expected e\.g\. 512M"):
        config.parse_bytes("lots")
    with pytest.raises(ConfigError, match=r"must be positive"):
        config.parse_bytes("0")


def test_unset_means_the_defaults(monkeypatch):
    for name in config.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert config.memory_limit() is None
    assert config.retain_memory() is None
    assert config.ledger_path() == pathlib.Path.home() / ".qml" / "ledger.sqlite"
    assert config.run_id() is None
    assert config.ibm_usd_per_second(1.6) == 1.6
    assert config.cache_dir() is None
    monkeypatch.setenv("QML_CACHE_DIR", "   ")  # blank is unset
    assert config.cache_dir() is None


def test_values_are_parsed(monkeypatch, tmp_path):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "4G")
    monkeypatch.setenv("QML_RETAIN_MEMORY", "Yes")
    monkeypatch.setenv("QML_LEDGER", "~/x/l.sqlite")
    monkeypatch.setenv("QML_RUN_ID", "run-abc")
    monkeypatch.setenv("QML_IBM_USD_PER_SECOND", "0.96")
    monkeypatch.setenv("QML_CACHE_DIR", str(tmp_path))
    assert config.memory_limit() == 4 * 2**30
    assert config.retain_memory() is True
    assert config.ledger_path() == pathlib.Path.home() / "x" / "l.sqlite"
    assert config.run_id() == "run-abc"
    assert config.ibm_usd_per_second(1.6) == 0.96
    assert config.cache_dir() == tmp_path
    monkeypatch.setenv("QML_RETAIN_MEMORY", "0")
    assert config.retain_memory() is False


@pytest.mark.parametrize(
    ("name", "value", "call", "match"),
    [
        ("QML_MEMORY_LIMIT", "plenty", config.memory_limit, r"QML_MEMORY_LIMIT: cannot read a byte count"),
        ("QML_RETAIN_MEMORY", "maybe", config.retain_memory, r"QML_RETAIN_MEMORY='maybe' is neither"),
        ("QML_IBM_USD_PER_SECOND", "cheap", lambda: config.ibm_usd_per_second(1.6), r"is not a price"),
        ("QML_IBM_USD_PER_SECOND", "-1", lambda: config.ibm_usd_per_second(1.6), r"e\.g\. 1\.60"),
    ],
)
def test_bad_values_are_errors_that_name_the_variable(monkeypatch, name, value, call, match):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=match):
        call()


def test_unknown_setting_is_refused():
    with pytest.raises(ConfigError, match=r"'QML_NOPE' is not a qml setting"):
        config.raw("QML_NOPE")


def _environment_reads(tree: ast.AST) -> list[str]:
    """String constants passed to os.environ.get / os.getenv / os.environ[...]."""
    found = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get"):
                target = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            target = node.slice
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            found.append(target.value)
    return found


def test_qml_variables_are_read_in_config_only():
    offenders = []
    for path in sorted((ROOT / "qml").rglob("*.py")):
        if path.name == "config.py" and path.parent.name == "qml":
            continue
        reads = [v for v in _environment_reads(ast.parse(path.read_text())) if v.startswith("QML_")]
        offenders += [f"{path.relative_to(ROOT)}: {v}" for v in reads]
    assert not offenders, f"read these through qml.config: {offenders}"


def test_every_qml_variable_the_package_names_is_a_setting():
    named = set()
    for path in (ROOT / "qml").rglob("*.py"):
        named |= set(re.findall(r"\bQML_[A-Z_]+[A-Z]\b", path.read_text()))
    assert named - set(config.SETTINGS) == set()


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Environment variables") :]
    for name in config.SETTINGS:
        assert f"| `{name}` |" in table, name


def test_info_lists_the_settings_that_are_set(monkeypatch):
    from qml.apps.cli import thread_report

    monkeypatch.setenv("QML_RUN_ID", "run-xyz")
    rows = dict(thread_report())
    assert "QML_RUN_ID=run-xyz" in rows["qml settings"]
