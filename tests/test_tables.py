"""The one reader of experiment files: missing files, suffixes, parse errors and [quick] overrides."""

import pytest

from qml.errors import ConfigError
from qml.tables import merge, read_table, with_quick


def test_reads_toml_and_json_where_allowed(tmp_path):
    t = tmp_path / "e.toml"
    t.write_text('[problem]\nname = "h2"\n')
    assert read_table(t) == {"problem": {"name": "h2"}}
    j = tmp_path / "e.json"
    j.write_text('{"circuit": "c.qasm"}')
    assert read_table(j, (".toml", ".json")) == {"circuit": "c.qasm"}
    with pytest.raises(ConfigError, match=r"e\.json: experiment files are TOML; expected a \.toml file"):
        read_table(j)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("bad.toml", "[problem\n", r"bad\.toml: invalid TOML"),
        ("bad.json", "{", r"bad\.json: invalid JSON"),
        ("list.json", "[1, 2]", r"list\.json: the top level must be a table"),
    ],
)
def test_errors_name_the_file(tmp_path, name, text, match):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        read_table(p, (".toml", ".json"))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no experiment file at"):
        read_table(tmp_path / "nothing.toml")


def test_quick_overrides_merge_recursively_without_touching_the_input():
    data = {"problem": {"name": "tfim", "n": 8}, "quick": {"problem": {"n": 4}}}
    assert with_quick(data, quick=True) == {"problem": {"name": "tfim", "n": 4}}
    assert with_quick(data, quick=False) == {"problem": {"name": "tfim", "n": 8}}
    assert data["problem"]["n"] == 8
    merged = merge({"a": {"b": [1]}}, {})
    merged["a"]["b"].append(2)
    with pytest.raises(ConfigError, match=r"\[quick\] must be a table"):
        with_quick({"quick": 3}, quick=True)
