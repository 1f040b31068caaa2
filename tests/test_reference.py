"""docs/reference.md and the JSON Schema are generated from the models: current, complete, and right about the
bundled rubrics and the examples."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SEEDS

from kaohe.cli import main
from kaohe.coverage import normalise, read_source
from kaohe.reference import PARTS, _yaml_rule, markdown, schema
from kaohe.rubric import Node, Rubric, _raw, bundled, rubric_path
from kaohe.rules import RuleBase, kinds

jsonschema = pytest.importorskip("jsonschema")  # installed with nbformat, which kaohe needs

MODELS = [Rubric, Node, *PARTS]
KINDS = [k.model for k in kinds().values()]


def test_docs_reference_is_current():
    """Regenerate with: python -m kaohe.reference > docs/reference.md"""
    assert (ROOT / "docs" / "reference.md").read_text(encoding="utf-8") == markdown()


class TestEveryFieldIsDescribed:
    @pytest.mark.parametrize("model", [*MODELS, RuleBase, *KINDS], ids=lambda m: m.__name__)
    def test_in_chinese(self, model):
        fields = [f for f in model.model_fields if f != "kind"]
        assert [f for f in fields if not model.model_fields[f].description] == []
        assert all(any("\u4e00" <= c <= "\u9fff" for c in model.model_fields[f].description) for f in fields)

    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_each_part_has_a_chinese_name_and_summary(self, model):
        assert model.model_config.get("title") and model.model_config["json_schema_extra"]["description"]


def example_documents() -> list[str]:
    return [normalise(read_source(p).flat) for p in [*SEEDS.glob("*.txt"), *ROOT.glob("examples/*/示例文件.md")]]


class TestKindExamples:
    @pytest.mark.parametrize("model", KINDS, ids=lambda m: m.name())
    def test_each_kind_has_a_label_and_an_example_that_validates(self, model):
        assert model.label and model.example["text"]
        assert model.sample().describe()

    @pytest.mark.parametrize("model", KINDS, ids=lambda m: m.name())
    def test_the_example_is_a_clause_of_a_document(self, model):
        """From one of the four source documents or an example document, word for word."""
        assert any(normalise(model.example["text"]) in doc for doc in example_documents())

    @pytest.mark.parametrize("model", KINDS, ids=lambda m: m.name())
    def test_the_yaml_in_the_reference_reads_back_as_the_example(self, model):
        (rule,) = yaml.safe_load("\n".join(_yaml_rule(model)))
        assert model.model_validate(rule) == model.sample()


def as_editor_reads(value):
    """YAML as yaml-language-server reads it (YAML 1.2: 2020-01-01 is a string, not a date)."""
    if isinstance(value, dict):
        return {k: as_editor_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_reads(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def rubric_files() -> list[Path]:
    return [v.path for vs in bundled().values() for v in vs.values()] + sorted(ROOT.glob("examples/*/rubric.yaml"))


def raw(path: Path):
    """The file as an editor sees it; a draft (based_on) merged with its base first, as kaohe reads it."""
    return as_editor_reads(_raw(path, ())[0])


@pytest.fixture(scope="module")
def validator():
    s = schema()
    jsonschema.Draft7Validator.check_schema(s)
    return jsonschema.Draft7Validator(s)


class TestSchema:
    @pytest.mark.parametrize("path", rubric_files(), ids=lambda p: p.parent.name if p.name == "rubric.yaml" else p.stem)
    def test_every_bundled_rubric_and_example_is_valid(self, validator, path):
        assert [e.message for e in validator.iter_errors(raw(path))] == []

    def test_a_rule_of_each_kind_is_one_branch_keyed_by_a_required_kind(self):
        """What yaml-language-server needs to complete and check a rule: one oneOf branch per kind, each with
        ``kind`` as a required constant and no other fields allowed."""
        s = schema()
        branches = s["definitions"]["Node"]["properties"]["rules"]["items"]["oneOf"]
        defs = [s["definitions"][b["$ref"].rsplit("/", 1)[1]] for b in branches]
        assert [d["properties"]["kind"]["const"] for d in defs] == list(kinds())
        assert all("kind" in d["required"] and d["additionalProperties"] is False for d in defs)
        assert [d["title"] for d in defs][:2] == ["加分（bonus）", "视情扣分（discretionary）"]

    def test_field_titles_are_left_to_the_chinese_descriptions(self):
        s = schema()
        props = [p for d in [s, *s["definitions"].values()] for p in d.get("properties", {}).values()]
        assert [p for p in props if "title" in p] == []
        assert s["title"] == "细则" and s["properties"]["indicators"]["description"] == "一级指标（每个下面是下级指标或规则）"

    @pytest.mark.parametrize("model", KINDS, ids=lambda m: m.name())
    def test_each_kind_example_is_valid(self, validator, model):
        data = raw(rubric_path("hengnan-2020-township"))
        data["indicators"][0]["children"][0]["rules"] = [{"kind": model.name(), **model.example}]
        assert [e.message for e in validator.iter_errors(data)] == []

    @pytest.mark.parametrize(("change", "error"), [
        ({"pre": 1}, "Additional properties are not allowed ('pre' was unexpected)"),
        ({"kind": "flatt"}, None),
        ({"per": -1}, None),
    ])
    def test_a_broken_rule_is_caught(self, validator, change, error):
        data = copy.deepcopy(raw(rubric_path("hengnan-2020-township")))
        rule = data["indicators"][0]["children"][0]["rules"][0]
        assert rule["kind"] == "shortfall"
        rule.update({"kind": "per_count", "per": 0.5, **change})
        rule.pop("target", None)
        errors = list(validator.iter_errors(data))
        assert errors
        if error:
            assert any(error in e.message for x in errors for e in [x, *(x.context or [])])


class TestSchemaCommand:
    def test_prints_the_schema(self, capsys):
        assert main(["rubric", "schema"]) == 0
        assert json.loads(capsys.readouterr().out) == schema()

    def test_writes_it(self, capsys, tmp_path):
        assert main(["rubric", "schema", "--out", str(tmp_path / "细则.schema.json")]) == 0
        assert json.loads((tmp_path / "细则.schema.json").read_text(encoding="utf-8")) == schema()
        assert "# yaml-language-server: $schema=细则.schema.json" in capsys.readouterr().err
