"""The one reader and schema of experiment files: missing files, suffixes, parse errors, [quick]
overrides, and every method's layout (LAYOUTS, check_layout)."""

from pathlib import Path

import pytest

from qml.errors import ConfigError
from qml.tables import LAYOUTS, check_layout, merge, method_of, read_table, with_quick


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


# -- the one schema: LAYOUTS and check_layout ---------------------------------------------------
CIRCUITS = Path(__file__).resolve().parent.parent / "circuits"


@pytest.mark.parametrize("path", sorted(CIRCUITS.glob("*.toml")), ids=lambda p: p.name)
def test_every_experiment_file_in_circuits_fits_its_layout(path):
    data = read_table(path)
    layout = check_layout(data, path)
    assert layout.method == method_of(data) == data.get("method", "vqe")
    assert set(data) <= set(layout.keys)


def test_every_method_has_a_runner_module_and_a_command():
    import importlib

    for method, layout in LAYOUTS.items():
        assert layout.method == method
        importlib.import_module(layout.runner)
        assert layout.command.startswith("qml ")
    assert {"vqe", "sweep", "adapt", "predict", "submit"} <= set(LAYOUTS)


def test_method_of_reads_the_method_or_the_kind_of_file():
    assert method_of({"method": "adapt", "problem": {}}) == "adapt"
    assert method_of({"problem": {"name": "h2"}}) == "vqe"
    assert method_of({"circuit": "c.qasm", "observables": "Z0"}) == "submit"
    assert method_of({"observables": "Z0"}) == "submit"
    assert method_of({}) == "vqe"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"method": "qaoa"}, r"unknown method 'qaoa'; valid methods: vqe, sweep, adapt, predict, submit"),
        ({"problem": {}, "predict": {}}, r"\[predict\] belongs to method 'predict' files"),
        ({"method": "predict", "problem": {}, "ansatz": {}}, r"\[ansatz\] belongs to method 'vqe' files"),
        (
            {"method": "predict", "predict": {"epochs": 3}},
            r"unknown key 'epochs' in \[predict\]; valid keys: model",
        ),
        ({"method": "adapt", "quick": {"adapt": {"size": 2}}}, r"unknown key 'size' in \[quick.adapt\]"),
        ({"quick": {"name": "x"}}, r"unknown key 'name' in \[quick\]"),
        ({"quick": 3}, r"\[quick\] must be a table of overrides"),
        ({"check": [1]}, r"\[check\] must be a table"),
        (
            {"circuit": "c.json", "quick": {}},
            r"unknown key 'quick' at the top level of a 'submit' experiment",
        ),
        (
            {"circuit": "c.json", "seed": 1},
            r"unknown key 'seed' .* valid keys: name, description, method, circuit",
        ),
    ],
)
def test_check_layout_names_the_file_the_key_and_the_valid_keys(data, match):
    with pytest.raises(ConfigError, match=match) as info:
        check_layout(data, "exp.toml")
    assert str(info.value).startswith("exp.toml: ")
