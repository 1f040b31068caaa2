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

    def test_unknown_kind(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: flat", "kind: flatt"))
        assert (p.row, p.column, p.value, p.code) == (24, "indicators[0].rules[1].kind", "flatt", "union_tag_invalid")

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


KINDS = ("bonus（加分）、discretionary（视情扣分）、disqualify（取消评价资格）、earned（得分项）、exceed（超出目标加分）、"
         "external（按其他文件扣分）、flat（一次性扣分）、given（给定得分）、per_count（每次扣分）、per_level（按级别扣分）、"
         "periodic（按期考核）、rate_shortfall（比率低于目标扣分）、rater（评分人打分）、shortfall（低于目标扣分）、"
         "task（按任务计分）、threshold（低于限值扣分）、unscored（不计分）、veto（一票否决）")
PER_COUNT_FIELDS = "id、kind、text、per、cap、reading、note、records_until、excludes"


class TestTeachingErrors:
    """An unknown field lists what is allowed there and the nearest; an unknown kind lists the kinds by their
    Chinese names; a missing field says what it means, with an example from a real clause."""

    def test_misspelt_field_of_a_rule(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: 0.5\n        pre: 1"))
        assert (p.row, p.value, p.rule) == (23, "1", "1.1.1")
        assert p.message == f"未知字段 pre（拼写是否有误？是否为 per？每次扣分（per_count）可用的字段：{PER_COUNT_FIELDS}）"

    def test_field_of_another_kind(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: 0.5\n        amount: 1"))
        assert p.message == ("未知字段 amount（每次扣分（per_count）没有这个字段，加分（bonus）、一次性扣分（flat）、"
                             f"低于限值扣分（threshold）才有；每次扣分（per_count）可用的字段：{PER_COUNT_FIELDS}）")

    def test_field_like_none(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: 0.5\n        zzz: 1"))
        assert p.message == f"未知字段 zzz（拼写是否有误？每次扣分（per_count）可用的字段：{PER_COUNT_FIELDS}）"

    def test_misspelt_field_of_a_node(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("    points: 10\n    rules", "    pionts: 10\n    rules"))
        assert (p.row, p.column, p.value, p.rule) == (17, "indicators[0].pionts", "10", "1")
        assert p.message == ("未知字段 pionts（拼写是否有误？是否为 points？指标可用的字段：id、name、text、points、weight、combine、"
                             "start、gate、fail、optional、not_applicable、eligibility_min、children、rules、reading）")

    def test_misspelt_field_inside_grades(self, tmp_path):
        _, (missing, unknown) = problems(tmp_path, GOOD.replace("  reading: 左闭右开", "  readng: 左闭右开"))
        assert (unknown.row, unknown.column) == (10, "grades.readng")
        assert unknown.message == "未知字段 readng（拼写是否有误？是否为 reading？等次可用的字段：text、reading、bands）"
        assert missing.message == "缺少必填字段 reading：等次界限的读法（如“90 分以上”含不含 90 分、89.5 分属哪一档）"

    def test_unknown_kind_lists_the_kinds_by_their_chinese_names(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: flat", "kind: flatt"))
        assert (p.row, p.column, p.value, p.rule) == (24, "indicators[0].rules[1].kind", "flatt", "1.1.2")
        assert p.message == f"未知的规则类型 kind: flatt，是否为 flat（一次性扣分）？可用的类型：{KINDS}"

    def test_a_kind_written_by_its_chinese_name(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: flat", "kind: 一次性扣分"))
        assert p.message == f"未知的规则类型 kind: 一次性扣分，是否为 flat（一次性扣分）？可用的类型：{KINDS}"

    def test_unknown_kind_like_none(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: flat", "kind: xyz"))
        assert p.message == f"未知的规则类型 kind: xyz。可用的类型：{KINDS}"

    def test_missing_kind(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("        kind: flat\n", ""))
        assert (p.row, p.column, p.code) == (23, "indicators[0].rules[1].kind", "union_tag_not_found")
        assert p.message == f"缺少规则类型 kind；可用的类型：{KINDS}"

    def test_missing_parameter_says_what_it_means_with_a_clause(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("        per: 0.5\n", ""))
        assert (p.row, p.column, p.value, p.rule) == (19, "indicators[0].rules[0].per", None, "1.1.1")
        assert p.message == ("缺少必填字段 per：每次（每件、每项、每个）扣的分数；台账「次数/数量」是次数，空白算 1 次。"
                             "例：「业务办件超期，预警每次扣0.5分」写作 per: 0.5")

    def test_missing_rounding_of_a_rate_rule(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("kind: per_count", "kind: rate_shortfall\n        target: 98"))
        assert p.message == ("缺少必填字段 rounding：不足一步的部分怎么算（原文多未写明，须由细则选定）：proportional 按比例折算；"
                             "whole_steps_down 不足一步不扣；whole_steps_up 不足一步按一步扣。"
                             "例：「接通率低于 98%，每下降 1 个百分点，扣 0.5 分」写作 rounding: whole_steps_down")

    def test_missing_text_of_a_rule(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("        text: 扣2分\n", ""))
        assert p.message == ("缺少必填字段 text：条款原文：原文件中写明这一条的最短一段文字，逐字照录（kaohe rubric check 核对）。"
                             "例：text: 业务办件超期，预警每次扣0.5分")

    def test_missing_name_of_a_node(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("    name: 指标一\n", ""))
        assert (p.row, p.column) == (15, "indicators[0].name")
        assert p.message == "缺少必填字段 name：指标名称，照原文。例：name: 大厅建设管理"

    def test_missing_date(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("{start: 2020-01-01, end: 2020-12-31}", "{start: 2020-01-01}"))
        assert (p.row, p.column) == (5, "period.end")
        assert p.message == "缺少必填字段 end：考核期最后一天，YYYY-MM-DD。例：end: 2020-12-31"

    def test_other_messages_still_name_the_field(self, tmp_path):
        _, (p,) = problems(tmp_path, GOOD.replace("per: 0.5", "per: abc"))
        assert p.message == "字段 per：应为数字"


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
