"""A broken rubric names the file, the line, the YAML path, the field and the value."""

import pytest

from kaohe.errors import RubricError
from kaohe.rubric import load_rubric

# Line numbers below are counted by hand from this text (line 1 = "id: t").
GOOD = """\
id: t
version: 1
title: 测试细则
source: {title: 文件, issuer: 办公室, doc_no: 〔2020〕1号, file: x.txt}
period: {start: 2020-01-01, end: 2020-12-31}
applies_to: [乡镇]
points: 10
grades:
  text: 90 分以上为优秀
  reading: 左闭右开
  bands:
    - {grade: 优秀, min: 9}
    - {grade: 不合格}
indicators:
  - id: "1"
    name: 指标一
    points: 10
    rules:
      - id: 1.1.1
        kind: per_count
        text: 每次扣0.5分
        per: 0.5
      - id: 1.1.2
        kind: flat
        text: 扣2分
        amount: 2
"""


def load(tmp_path, text):
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    return p, load_rubric(p)


def problems(tmp_path, text):
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as exc:
        load_rubric(p)
    return str(p), exc.value.problems


class TestGoodRubric:
    def test_loads(self, tmp_path):
        _, r = load(tmp_path, GOOD)
        assert list(r.rules) == ["1.1.1", "1.1.2"] and r.ref == "t@1"


class TestFieldErrors:
    def test_bad_number_names_path_line_field_and_value(self, tmp_path):
        file, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: abc"))
        assert (p.file, p.row, p.column, p.value, p.rule) == (file, 22, "indicators[0].rules[0].per", "abc", "1.1.1")
        assert "字段 per" in p.message and "数字" in p.message

    def test_negative_amount(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("amount: 2", "amount: -2"))
        assert (p.row, p.column, p.value) == (26, "indicators[0].rules[1].amount", "-2")

    def test_unknown_kind_lists_the_known_ones(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: flat", "kind: flatt"))
        assert (p.row, p.column, p.value, p.code) == (24, "indicators[0].rules[1].kind", "flatt", "union_tag_invalid")
        assert "flatt" in p.message and "'per_count'" in p.message and "'rate_shortfall'" in p.message

    def test_missing_field(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("        text: 扣2分\n", ""))
        assert (p.column, p.code, p.value) == ("indicators[0].rules[1].text", "missing", None)
        assert p.row == 23  # the rule's own line: the field has none

    def test_unknown_field(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: 0.5\n        pre: 1"))
        assert (p.column, p.code) == ("indicators[0].rules[0].pre", "extra_forbidden")

    def test_every_problem_at_once(self, tmp_path):
        bad = GOOD.replace("per: 0.5", "per: abc").replace("amount: 2", "amount: x").replace("version: 1", "version: 0")
        _, ps = problems(tmp_path, bad)
        assert sorted(p.column for p in ps) == ["indicators[0].rules[0].per", "indicators[0].rules[1].amount", "version"]

    def test_rate_rule_must_declare_its_rounding(self, tmp_path):
        rate = GOOD.replace("kind: per_count", "kind: rate_shortfall\n        target: 98")
        _, (p,) = problems(tmp_path, rate)
        assert (p.column, p.code) == ("indicators[0].rules[0].rounding", "missing")

    def test_duplicate_rule_id(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("id: 1.1.2", "id: 1.1.1"))
        assert "1.1.1" in p.message and "重复" in p.message


class TestUnsafeYaml:
    def test_duplicate_key_is_an_error_not_last_wins(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: 0.5\n        per: 5"))
        assert (p.row, p.code, p.column) == (23, "duplicate_key", "indicators[0].rules[0].per")

    def test_python_tag_is_refused(self, tmp_path):
        marker = tmp_path / "pwned"
        _, (p,) = problems(tmp_path, GOOD.replace("title: 测试细则", f"title: !!python/object/apply:os.system ['touch {marker}']"))
        assert p.code == "unsafe_yaml" and p.row == 3
        assert not marker.exists()

    def test_tab_indentation(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("    name: 指标一", "\tname: 指标一"))
        assert (p.code, p.row) == ("yaml_syntax", 16)

    def test_unknown_bundled_id_lists_the_known(self):
        with pytest.raises(RubricError) as exc:
            load_rubric("hengnan-2021-township")
        assert "hengnan-2020-township" in exc.value.problems[0].message
