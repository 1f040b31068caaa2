"""The rubric workbook (kaohe/workbook.py, `kaohe rubric export/import`): every bundled rubric and example survives
export and import unchanged; the workbook shows what a clerk expects (headers, Chinese 计分方式 with a drop-down,
text ids); a clerk's edits import as intended; each bad cell is located by sheet, row, column and value; the same
rubric gives the same bytes; a params file may name the workbook and scores as with the YAML.

The small rubric TINY, laid out by hand on sheet 细则 (header = row 1):
    row 2  1       政务公开 (一级, 60)
    row 3  1.1     信息发布 (二级, 60)
    row 4  1.1.1   每次扣分, 每次分值 0.5
    row 5  1.1.10  一次性扣分, 扣分/加分 2
    row 6  2       政务服务 (一级, 40)
    row 7  2.1     视情扣分, 最低 1, 最高 3
"""

import copy
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from conftest import ROOT
from openpyxl import load_workbook

from kaohe import workbook
from kaohe.cli import main
from kaohe.config import Run
from kaohe.errors import KaoheError, RubricError
from kaohe.rubric import RUBRIC_DIR, Node, Rubric, _raw, load_rubric
from kaohe.rules import kinds
from kaohe.verify import _plan

FILES = sorted(RUBRIC_DIR.glob("*.yaml")) + sorted((ROOT / "examples").glob("*/rubric.yaml"))

TINY = {
    "id": "tiny-county", "version": 1, "title": "示例县政务公开考核细则",
    "source": {"title": "示例县考核方案", "issuer": "示例县政务公开办", "doc_no": "示公开办〔2026〕1号", "file": "方案.docx"},
    "period": {"start": date(2026, 1, 1), "end": date(2026, 12, 31)},
    "applies_to": ["乡镇", "街道"], "points": 100,
    "indicators": [
        {"id": "1", "name": "政务公开", "points": 60, "children": [
            {"id": "1.1", "name": "信息发布", "points": 60, "rules": [
                {"id": "1.1.1", "kind": "per_count", "text": "栏目更新不及时的，每次扣0.5分", "per": 0.5},
                {"id": "1.1.10", "kind": "flat", "text": "未设置政策解读专栏的，扣2分", "amount": 2}]}]},
        {"id": "2", "name": "政务服务", "points": 40, "rules": [
            {"id": "2.1", "kind": "discretionary", "text": "大厅管理不规范的，视情况扣1-3分", "min": 1, "max": 3}]}],
}


def tiny(tmp_path: Path, data=TINY, pending=None) -> Path:
    return workbook.write(data, tmp_path / "细则.xlsx", pending)


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    """Rows of a sheet (from row 2) as header -> value, empty cells left out."""
    ws = load_workbook(path)[sheet]
    head = [c.value for c in ws[1]]
    return [{h: c.value for h, c in zip(head, row) if c.value is not None} for row in ws.iter_rows(min_row=2)]


def edit(path: Path, sheet: str, cells: dict[tuple[int, str], object]) -> Path:
    """Set cells by (row, header) as a clerk would type them, and save."""
    wb = load_workbook(path)
    ws = wb[sheet]
    head = {c.value: c.column for c in ws[1]}
    for (row, header), value in cells.items():
        ws.cell(row, head[header]).value = value
    wb.save(path)
    return path


def literals(annotation) -> set[str]:
    """The words a Literal (or an optional one) allows."""
    return {a for a in get_args(annotation) if isinstance(a, str)} | \
        {w for a in get_args(annotation) if not isinstance(a, str) for w in literals(a)}


def problems_of(path: Path) -> list:
    with pytest.raises(RubricError) as exc:
        load_rubric(path)
    return exc.value.problems


class TestRoundTrip:
    @pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
    def test_import_of_export_is_the_same_rubric(self, path, tmp_path):
        data, _ = _raw(path, ())  # a draft over a base version is exported whole
        out = workbook.write(data, tmp_path / "细则.xlsx")
        back, problems = workbook.read(out)
        assert problems == []
        assert Rubric.model_validate(back) == load_rubric(path) == load_rubric(out)

    @pytest.mark.parametrize("rid", ["hengnan-2020-township", "langxi-2019@2"])
    def test_cli_export_then_import_writes_yaml_that_loads_to_the_same_rubric(self, rid, tmp_path, capsys):
        xlsx, yml = tmp_path / "细则.xlsx", tmp_path / "细则.yaml"
        assert main(["rubric", "export", rid, "--out", str(xlsx)]) == 0
        assert "已导出细则工作簿" in capsys.readouterr().out
        assert main(["rubric", "import", str(xlsx), "--out", str(yml)]) == 0
        assert f"已写出 {yml}" in capsys.readouterr().out
        assert load_rubric(yml) == load_rubric(rid)
        text = yml.read_text(encoding="utf-8")
        assert text.startswith("# 本文件由细则工作簿 细则.xlsx 生成（kaohe rubric import）。\n")

    def test_the_yaml_has_a_comment_before_each_top_level_indicator(self, tmp_path, capsys):
        yml = tmp_path / "细则.yaml"
        assert main(["rubric", "import", str(tiny(tmp_path)), "--out", str(yml)]) == 0
        lines = yml.read_text(encoding="utf-8").splitlines()
        at = lines.index("indicators:")
        assert lines[at + 1] == "  # 1 政务公开：60 分，2 条规则"
        assert "  # 2 政务服务：40 分，1 条规则" in lines
        assert "        per: 0.5" in lines and "    id: '1'" not in lines and "  - id: '1'" in lines

    def test_numbers_come_back_as_excel_shows_them_and_ids_as_text(self, tmp_path):
        data, _ = workbook.read(tiny(tmp_path))
        rule = data["indicators"][0]["children"][0]["rules"][0]
        assert isinstance(rule["per"], Decimal) and str(rule["per"]) == "0.5"
        assert [r["id"] for r in data["indicators"][0]["children"][0]["rules"]] == ["1.1.1", "1.1.10"]
        assert data["period"] == {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}

    def test_an_empty_rubric_is_written_and_reads_back_empty(self, tmp_path):
        data, problems = workbook.read(workbook.write({}, tmp_path / "空.xlsx"))
        assert data == {} and problems == []


class TestLayout:
    def test_sheets_headers_drop_down_and_text_ids(self, tmp_path):
        path = tiny(tmp_path)
        wb = load_workbook(path)
        assert wb.sheetnames == ["细则", "细则信息", "等次", "评优", "读法", "填写说明", "_lists"]
        assert wb["_lists"].sheet_state == "hidden"
        ws = wb["细则"]
        head = [c.value for c in ws[1]]
        assert head[:8] == ["编号", "一级指标", "二级指标", "分值", "权重", "条款原文", "计分方式", "每次分值"]
        assert head[-4:] == ["其他参数", "读法", "说明", "待确认"]
        for named in ("扣分/加分", "上限", "目标值", "步长", "计步方式", "最低", "最高", "各级分值", "级别", "否决效果",
                      "合成方式", "起算", "可不适用"):
            assert named in head
        assert ws.freeze_panes == "B2"
        kind_col = "G"
        checks = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        assert checks[f"{kind_col}2:{kind_col}507"].type == "list"
        assert checks[f"{kind_col}2:{kind_col}507"].formula1 == f"=_lists!$A$1:$A${len(workbook.kind_names())}"
        names = [c.value for c in wb["_lists"]["A"]]
        assert names[:4] == ["每次扣分", "一次性扣分", "视情扣分", "低于目标扣分"]
        assert {"视情加分", "按级别加分", "一票否决", "加分", "得分项"} <= set(names)
        assert len(names) == len(kinds()) + 2
        assert ws.column_dimensions["A"].number_format == "@"
        assert ws["A5"].value == "1.1.10" and ws["A5"].data_type == "s"

    def test_rows_follow_the_document_nodes_by_level_rules_under_them(self, tmp_path):
        rows = sheet_rows(tiny(tmp_path), "细则")
        assert rows[:6] == [
            {"编号": "1", "一级指标": "政务公开", "分值": 60},
            {"编号": "1.1", "二级指标": "信息发布", "分值": 60},
            {"编号": "1.1.1", "条款原文": "栏目更新不及时的，每次扣0.5分", "计分方式": "每次扣分", "每次分值": 0.5},
            {"编号": "1.1.10", "条款原文": "未设置政策解读专栏的，扣2分", "计分方式": "一次性扣分", "扣分/加分": 2},
            {"编号": "2", "一级指标": "政务服务", "分值": 40},
            {"编号": "2.1", "条款原文": "大厅管理不规范的，视情况扣1-3分", "计分方式": "视情扣分", "最低": 1, "最高": 3}]

    def test_facts_grades_awards_and_readings(self, tmp_path):
        data, _ = _raw(RUBRIC_DIR / "hengnan-2020-township.yaml", ())
        path = workbook.write(data, tmp_path / "细则.xlsx")
        info = {r["项目"]: r["内容"] for r in sheet_rows(path, "细则信息") if "项目" in r}
        assert info["编号"] == "hengnan-2020-township" and info["版本"] == 1 and info["文号"] == "清公开办函〔2020〕4号"
        assert info["考核期开始"] == "2020-01-01" and info["适用类别"] == "乡镇、街道、乡镇（街道）" and info["满分"] == 100
        assert info["一票否决等次"] == "不合格"
        assert sheet_rows(path, "等次")[:4] == [{"等次": "优秀", "下限（含）": 90}, {"等次": "良好", "下限（含）": 80},
                                               {"等次": "合格", "下限（含）": 60}, {"等次": "不合格"}]
        award = sheet_rows(path, "评优")[0]
        assert award["最低分"] == 90 and award["名额"] == 6 and "名称" not in award
        readings = {r["编号"]: r for r in sheet_rows(path, "读法") if r}
        assert readings["R2"]["涉及"] == "计分方式:比率低于目标扣分" and readings["R1"]["涉及"] == "封顶"
        assert readings["R7"]["涉及"] == "1.1.1a、1.1.1b"

    def test_parameters_in_named_columns_the_rest_in_other_as_yaml(self, tmp_path):
        by_id = {}
        for f in ("langxi-2019.yaml", "hengnan-2020-township.yaml"):
            data, _ = _raw(RUBRIC_DIR / f, ())
            by_id.update({r.get("编号"): r for r in sheet_rows(workbook.write(data, tmp_path / f"{f}.xlsx"), "细则")})
        assert by_id["5.1"]["计分方式"] == "比率低于目标扣分" and by_id["5.1"]["目标值"] == 98
        assert by_id["5.1"]["计步方式"] == "整步（不足一步不扣）" and by_id["5.1"]["每次分值"] == 0.5
        assert by_id["veto"]["计分方式"] == "一票否决" and by_id["veto"]["级别"] == "国家、省、市"
        rater = next(r for r in by_id.values() if r.get("计分方式") == "评分人打分")
        assert rater["其他参数"] == "{records_until: 2020-01-31}"

    def test_bonus_variants_and_node_structures_by_their_chinese_names(self, tmp_path):
        data, _ = _raw(ROOT / "examples" / "staged-website" / "rubric.yaml", ())
        rows = {r["编号"]: r for r in sheet_rows(workbook.write(data, tmp_path / "x.xlsx"), "细则") if "编号" in r}
        assert rows["3.1"]["计分方式"] == "按级别加分" and rows["3.1"]["各级分值"] == "国家 3、省 2、市 1"
        assert rows["3.3"]["计分方式"] == "视情加分" and "bonus" not in rows["3.3"].get("其他参数", "")
        assert rows["1.1"]["否决效果"] == "单项否决" and rows["1.1"]["否决得分"] == 59
        assert rows["3"]["起算"] == "从零起计" and rows["3"]["其他参数"].startswith("{gate: {node: '2', above: 80")
        assert rows["2"]["其他参数"] == "{fail: {below: 60, grade: 不合格, text: 扣分指标得分低于60分的，评定为不合格}}"

    def test_the_guide_lists_every_kind_with_its_parameters(self, tmp_path):
        guide = [[c for c in row if c] for row in load_workbook(tiny(tmp_path))["填写说明"].iter_rows(values_only=True)]
        kinds_said = {row[0]: row for row in guide if row and row[0] in workbook.kind_names()}
        assert set(kinds_said) == set(workbook.kind_names())
        rate = kinds_said["比率低于目标扣分"][1]
        assert rate.startswith("*「目标值」：") and "；「步长」：" in rate and "；*「每次分值」：" in rate
        assert "（工作簿中选：按比例、整步（不足一步不扣）、整步（不足一步按一步））" in rate and "其他参数 decimals：" in rate
        assert kinds_said["每次扣分"][2] == "例：业务办件超期，预警每次扣0.5分 → 每次分值 0.5"
        assert kinds_said["视情加分"][2] == "例：视情加1-3分 → 最低 1，最高 3"
        assert "bonus" not in kinds_said["视情加分"][1] and "其他参数 bonus" in kinds_said["视情扣分"][1]
        assert kinds_said["按其他文件扣分"][1].startswith("*其他参数 document：")

    def test_every_field_of_every_kind_is_explained_and_every_fixed_value_has_its_words(self):
        for name, kind in kinds().items():  # 填写说明 says what each parameter means from the model's description
            for field, info in kind.model.model_fields.items():
                assert info.description or field == "kind", (name, field)
        for field in workbook.ENUM_SOURCES:
            assert set(workbook.enum_values(field)) == set(workbook.ENUMS[field]), field
        for model, field in ((Node, "combine"), (Node, "start"), (Rubric, "aggregate"), (Rubric, "status")):
            assert literals(model.model_fields[field].annotation) == set(workbook.ENUMS[field]), field

    def test_text_a_workbook_cannot_hold_is_refused_by_its_place(self, tmp_path):
        data = copy.deepcopy(TINY)
        data["indicators"][1]["name"] = "政务\x0b服务"
        with pytest.raises(KaoheError) as exc:
            workbook.write(data, tmp_path / "x.xlsx")
        assert str(exc.value).startswith("无法写出细则工作簿：「细则」第 6 行「一级指标」含有控制字符 U+000B（垂直制表符）")
        assert not (tmp_path / "x.xlsx").exists()

    def test_same_rubric_same_bytes(self, tmp_path):
        data, _ = _raw(RUBRIC_DIR / "langxi-2019.yaml", ())
        a = workbook.write(data, tmp_path / "a.xlsx", {"C.1": "互评日期待核"}).read_bytes()
        b = workbook.write(copy.deepcopy(data), tmp_path / "b.xlsx", {"C.1": "互评日期待核"}).read_bytes()
        assert a == b


class TestClerkEdits:
    def test_a_changed_amount_and_a_new_rule_row_import_as_intended(self, tmp_path):
        path = tiny(tmp_path)
        wb = load_workbook(path)
        ws = wb["细则"]
        ws["H4"] = 0.1  # 1.1.1 每次分值 0.5 -> 0.1, typed as a number
        ws.insert_rows(6)  # a new clause under 1.1, after 1.1.10
        ws["A6"], ws["F6"], ws["G6"], ws["H6"], ws["J6"] = "1.1.11", "错别字每处扣0.2分，最多扣2分", "每次扣分", 0.2, 2
        wb.save(path)
        expected = copy.deepcopy(TINY)
        rules = expected["indicators"][0]["children"][0]["rules"]
        rules[0]["per"] = Decimal("0.1")
        rules.append({"id": "1.1.11", "kind": "per_count", "text": "错别字每处扣0.2分，最多扣2分", "per": Decimal("0.2"),
                      "cap": 2})
        data, _ = workbook.read(path)
        per = data["indicators"][0]["children"][0]["rules"][0]["per"]
        assert per == Decimal("0.1") and str(per) == "0.1"  # not 0.1000000000000000055…
        imported = load_rubric(path)
        assert imported == Rubric.model_validate(expected)
        assert imported.rules["1.1.1"].per == Decimal("0.1") and str(imported.rules["1.1.1"].per) == "0.1"
        assert list(imported.rules) == ["1.1.1", "1.1.10", "1.1.11", "2.1"]

    def test_a_bonus_variant_chosen_from_the_drop_down(self, tmp_path):
        path = edit(tiny(tmp_path), "细则", {(7, "计分方式"): "视情加分"})
        assert load_rubric(path).rules["2.1"].bonus is True

    def test_a_level_column_added_for_a_deeper_tree(self, tmp_path):
        path = tiny(tmp_path)
        wb = load_workbook(path)
        ws = wb["细则"]
        ws.insert_cols(4)
        ws["D1"] = "三级指标"
        ws.insert_rows(4)
        ws["A4"], ws["D4"], ws["E4"] = "1.1.0", "栏目更新", 60
        wb.save(path)
        r = load_rubric(path)
        assert r.level["1.1.0"] == 3 and r.rule_node["1.1.1"].id == "1.1.0"


class TestBadCells:
    """Each problem names the sheet, the row as Excel shows it, the column header, the value and the id."""

    def test_unknown_kind_lists_the_chinese_names(self, tmp_path):
        (p,) = problems_of(edit(tiny(tmp_path), "细则", {(4, "计分方式"): "按次扣分"}))
        assert (p.sheet, p.row, p.column, p.value, p.rule, p.code) == ("细则", 4, "计分方式", "按次扣分", "1.1.1", "unknown_kind")
        assert p.message.startswith("未知的计分方式「按次扣分」；可选：每次扣分、一次性扣分、视情扣分、")
        assert "视情加分" in p.message and "一票否决" in p.message

    def test_a_number_that_is_not_a_number(self, tmp_path):
        (p,) = problems_of(edit(tiny(tmp_path), "细则", {(4, "每次分值"): "0.5分"}))
        assert (p.sheet, p.row, p.column, p.value, p.rule, p.code) == ("细则", 4, "每次分值", "0.5分", "1.1.1", "not_a_number")
        assert p.message == "「每次分值」应为数字"
        assert str(p) == ("文件 " + str(tmp_path / "细则.xlsx") + "，工作表「细则」，第 4 行，「每次分值」列，"
                          "值 '0.5分'，规则 1.1.1：「每次分值」应为数字 [not_a_number]")

    def test_a_row_still_marked_pending(self, tmp_path):
        path = tiny(tmp_path, pending={"1.1.10": "金额未识别：原文“扣2分”是否每次"})
        assert sheet_rows(path, "细则")[3]["待确认"] == "金额未识别：原文“扣2分”是否每次"
        (p,) = problems_of(path)
        assert (p.sheet, p.row, p.column, p.rule, p.code) == ("细则", 5, "待确认", "1.1.10", "pending")
        assert p.message == "第 5 行仍标为待确认：金额未识别：原文“扣2分”是否每次"

    def test_pending_on_a_fact_and_on_something_the_workbook_does_not_hold(self, tmp_path):
        path = tiny(tmp_path, pending={"period": "考核期未写明", "附件3": "附件3 未找到"})
        info = [r for r in sheet_rows(path, "细则信息") if "待确认" in r]
        assert [(r["项目"], r["待确认"]) for r in info] == [("考核期开始", "考核期未写明"), ("考核期结束", "考核期未写明"),
                                                           ("附件3", "附件3 未找到")]
        assert [(p.sheet, p.row, p.code) for p in problems_of(path)] == [("细则信息", 9, "pending"), ("细则信息", 10, "pending"),
                                                                        ("细则信息", 13, "pending")]

    def test_a_rule_row_before_any_node(self, tmp_path):
        path = tiny(tmp_path)
        wb = load_workbook(path)
        wb["细则"].insert_rows(2)
        wb["细则"]["A2"], wb["细则"]["F2"], wb["细则"]["G2"], wb["细则"]["H2"] = "0.1", "迟报每次扣1分", "每次扣分", 1
        wb.save(path)
        (p,) = problems_of(path)
        assert (p.sheet, p.row, p.column, p.value, p.rule, p.code) == ("细则", 2, "计分方式", "每次扣分", "0.1", "rule_before_node")

    def test_a_level_skipped(self, tmp_path):
        path = tiny(tmp_path)
        wb = load_workbook(path)
        ws = wb["细则"]
        ws.insert_cols(4)
        ws["D1"] = "三级指标"
        ws.insert_rows(7)  # under 2 (一级), a 三级 name with no 二级 between
        ws["A7"], ws["D7"] = "2.0.1", "办事指南"
        wb.save(path)
        problems = problems_of(path)
        p = problems[0]
        assert (p.sheet, p.row, p.column, p.value, p.rule, p.code) == ("细则", 7, "三级指标", "办事指南", "2.0.1", "level_skipped")
        assert p.message == "跳过了级别：三级指标「办事指南」的上方没有「二级指标」指标行"

    def test_bad_yaml_in_other_parameters(self, tmp_path):
        (p,) = problems_of(edit(tiny(tmp_path), "细则", {(7, "其他参数"): "{per_occurrence: [true}"}))
        assert (p.sheet, p.row, p.column, p.value, p.rule, p.code) == ("细则", 7, "其他参数", "{per_occurrence: [true}", "2.1", "bad_yaml")
        assert p.message.startswith("「其他参数」不是有效的 YAML 映射（写作 {键: 值, 键: 值}）：YAML 语法错误")

    def test_other_parameters_without_braces_and_a_key_given_twice(self, tmp_path):
        path = edit(tiny(tmp_path), "细则", {(7, "其他参数"): "per_occurrence: true", (4, "其他参数"): "{per: 1}"})
        (p,) = problems_of(path)
        assert (p.row, p.column, p.value, p.code) == (4, "其他参数", "{per: 1}", "duplicate_field")
        assert p.message == "「其他参数」中的 per 与「每次分值」列重复"
        path = edit(path, "细则", {(4, "其他参数"): None})
        assert load_rubric(path).rules["2.1"].per_occurrence is True

    def test_a_formula_saved_without_its_value(self, tmp_path):
        (p,) = problems_of(edit(tiny(tmp_path), "细则", {(4, "每次分值"): "=1/2"}))
        assert (p.sheet, p.row, p.value, p.code) == ("细则", 4, "=1/2", "formula_without_value")

    def test_the_models_problems_are_located_in_the_workbook_with_the_cells_problems(self, tmp_path):
        path = edit(tiny(tmp_path), "细则", {(4, "每次分值"): None, (3, "分值"): -1, (5, "其他参数"): "{foo: 1}",
                                              (7, "最低"): "一"})
        path = edit(path, "细则信息", {(4, "内容"): None})  # 标题
        got = {(p.sheet, p.row, p.column, p.code) for p in problems_of(path)}
        assert got == {("细则", 4, "每次分值", "missing"), ("细则", 3, "分值", "greater_than_equal"),
                       ("细则", 5, "其他参数", "extra_forbidden"), ("细则", 7, "最低", "not_a_number"),
                       ("细则信息", None, "项目", "missing")}
        title = next(p for p in problems_of(path) if p.sheet == "细则信息")
        assert title.message.startswith("缺少「标题」：请在「细则信息」中填写这一项")

    def test_an_unknown_column_and_a_name_in_two_level_columns(self, tmp_path):
        path = edit(tiny(tmp_path), "细则", {(1, "待确认"): "备注", (3, "一级指标"): "信息"})
        got = [(p.row, p.column, p.code) for p in problems_of(path)]
        assert (1, "备注", "unknown_column") in got and (3, "二级指标", "two_levels") in got

    def test_the_import_command_prints_them_and_writes_nothing(self, tmp_path, capsys):
        path = edit(tiny(tmp_path), "细则", {(4, "计分方式"): "按次扣分"})
        yml = tmp_path / "细则.yaml"
        assert main(["rubric", "import", str(path), "--out", str(yml)]) == 2
        err = capsys.readouterr().err
        assert "输入有 1 个问题，未生成任何结果" in err and "工作表「细则」，第 4 行，「计分方式」列，值 '按次扣分'" in err
        assert not yml.exists()


class TestDraft:
    def test_a_draft_written_as_the_workbook_carries_its_pending_reasons(self, tmp_path, capsys):
        out = tmp_path / "草稿.xlsx"
        seed = ROOT / "tests" / "data" / "seeds" / "001_5b5f7ad413d29217.txt"
        assert main(["rubric", "draft", str(seed), "--out", str(out)]) == 0
        assert "kaohe rubric import 草稿.xlsx --out 细则.yaml" in capsys.readouterr().err
        _, problems = workbook.read(out)
        assert problems and {p.code for p in problems} == {"pending"}
        said = {r["编号"]: r["待确认"] for r in sheet_rows(out, "细则") if "待确认" in r}
        assert said["11.1"].startswith("按其他文件计分：该文件未编入")
        info = {r["项目"]: r.get("待确认") for r in sheet_rows(out, "细则信息") if "项目" in r}
        assert info["文号"] == "未找到文号：如有请填写" and info["考核期开始"] == info["考核期结束"]


class TestParams:
    def test_params_naming_the_workbook_scores_as_with_the_yaml(self, tmp_path, capsys):
        folder = tmp_path / "staged"
        shutil.copytree(ROOT / "examples" / "staged-website", folder)
        assert main(["rubric", "export", str(folder / "rubric.yaml"), "--out", str(folder / "细则.xlsx")]) == 0
        text = (folder / "params.yaml").read_text(encoding="utf-8")
        (folder / "params-xlsx.yaml").write_text(text.replace("  - rubric.yaml", "  - 细则.xlsx"), encoding="utf-8")
        run = Run(folder / "params-xlsx.yaml")
        assert run.rubric_files == [folder / "细则.xlsx"] and run.rubrics[0] == load_rubric(folder / "rubric.yaml")
        for params, out in (("params.yaml", "a.csv"), ("params-xlsx.yaml", "b.csv")):
            assert main(["score", "--params", str(folder / params), "--out", str(tmp_path / out)]) == 0
        a, b = (tmp_path / "a.csv").read_text(encoding="utf-8"), (tmp_path / "b.csv").read_text(encoding="utf-8")
        assert a == b and len(a.splitlines()) > 2

    def test_verify_accepts_a_copied_workbook_as_the_rubric(self, tmp_path):
        inputs = tmp_path / "inputs"
        inputs.mkdir()
        for name in ("params.yaml", "细则.xlsx", "名单.csv", "台账.csv"):
            (inputs / name).write_text("x", encoding="utf-8")
        plan = {"params": "params.yaml", "rubrics": ["细则.xlsx"], "roster": "名单.csv", "evidence": ["台账.csv"]}
        names, bad = _plan(tmp_path, plan, [])
        assert bad == [] and names["rubrics"] == ["细则.xlsx"]
        _, bad = _plan(tmp_path, {**plan, "rubrics": ["名单.csv"]}, [])
        assert "应为 inputs/ 中的 YAML 文件或细则工作簿" in bad[0].detail


def test_a_duplicate_id_is_located_at_its_second_row(tmp_path):
    # a clerk copies row 13's 编号 (1.3.2) into row 14: the error names 细则, row 14, 编号 — not 细则信息
    import shutil

    import openpyxl

    from kaohe.errors import RubricError
    from kaohe.rubric import load_rubric

    path = tmp_path / "细则.xlsx"
    shutil.copy(ROOT / "examples" / "county-from-document" / "细则.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb["细则"]["A14"] = wb["细则"]["A13"].value
    wb.save(path)
    with pytest.raises(RubricError) as e:
        load_rubric(path)
    (p,) = e.value.problems
    assert (p.sheet, p.row, p.column, p.value) == ("细则", 14, "编号", "1.3.2")
