"""Rubric versions and `kaohe compare`: the registry, drafts over a base version, the structural diff,
the rescoring and the report. Expected values are worked out by hand in the comments."""

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, Page

from kaohe import compare, runner
from kaohe.cli import main
from kaohe.comparison import compare_params, diff
from kaohe.errors import InputError, RubricError
from kaohe.ledger import load_evidence, load_roster
from kaohe.rubric import bundled, load_rubric, resolve_ref
from kaohe.scoring import score

DATA = Path(__file__).parent / "data" / "compare"
A, B = DATA / "demo-1.yaml", DATA / "demo-2.yaml"
ROSTER, LEDGER = DATA / "roster.csv", DATA / "ledger.csv"
HENGNAN, LANGXI = ROOT / "params" / "hengnan-2020.yaml", ROOT / "params" / "langxi-2019.yaml"
D = Decimal


@pytest.fixture(scope="module")
def demo():
    return compare(load_rubric(A), load_rubric(B), ROSTER, LEDGER)


# --- versions ---------------------------------------------------------------------------------------

def test_an_id_selects_its_latest_published_version_and_id_at_n_any_version():
    assert list(bundled()["hengnan-2020-township"]) == [1, 2]
    assert resolve_ref("hengnan-2020-township").version == 1  # version 2 is a draft
    assert load_rubric("hengnan-2020-township").ref == "hengnan-2020-township@1"
    draft = load_rubric("hengnan-2020-township@2")
    assert (draft.ref, draft.status) == ("hengnan-2020-township@2", "draft")
    with pytest.raises(RubricError) as err:
        load_rubric("hengnan-2020-township@3")
    assert "没有第 3 版" in str(err.value) and "hengnan-2020-township@2（草案）" in str(err.value)


def test_a_draft_is_its_base_with_only_the_stated_changes():
    v1, v2 = load_rubric("hengnan-2020-township@1"), load_rubric("hengnan-2020-township@2")
    changed = {r for r in v1.rules if v1.rules[r] != v2.rules[r]}
    assert changed == {"5.1", "5.2a", "5.3"}
    assert {v2.rules[r].rounding for r in changed} == {"proportional"}
    assert [n.model_dump(exclude={"children", "rules"}) for n in v1.nodes] == \
           [n.model_dump(exclude={"children", "rules"}) for n in v2.nodes]
    l1, l2 = load_rubric("langxi-2019"), load_rubric("langxi-2019@2")
    weights = {n.id: n.weight for n in l2.nodes if n.id.startswith("A3.")}
    assert weights == {"A3.1": D("9.82"), "A3.2": D("6.55"), "A3.3": D("9.82"), "A3.4": D("4.36"), "A3.5": D("5.45")}
    assert sum(weights.values()) == 36 and sum(n.weight for n in l1.nodes if n.id.startswith("A3.")) == 33


def _variant(tmp_path, base: str, changes: str, name: str = "v.yaml") -> Path:
    """A draft version 9 over ``base``; its first change is on line 6."""
    p = tmp_path / name
    p.write_text(f"id: {base.partition('@')[0]}\nversion: 9\nstatus: draft\nbased_on: {base}\nchanges:\n{changes}",
                 encoding="utf-8")
    return p


def test_an_error_in_a_draft_names_the_draft_file_and_line(tmp_path):
    p = _variant(tmp_path, "hengnan-2020-township@1", '  - {id: "5.1", set: {per: 0.5}}\n  - {id: "5.3", set: {rounding: sideways}}\n')
    with pytest.raises(RubricError) as err:
        load_rubric(p)
    [problem] = err.value.problems
    assert (problem.file, problem.row, problem.value) == (str(p), 7, "sideways")
    assert "rounding" in problem.message and problem.rule == "5.3"


@pytest.mark.parametrize(("base", "changes", "message"), [
    ("hengnan-2020-township@1", '  - {id: "9.9", set: {per: 1}}\n', "没有编号为 9.9"),
    ("hengnan-2020-township@1", '  - {id: "5", set: {children: []}}\n', "不能更改 children"),
    ("nowhere@1", "  []\n", "找不到细则"),
])
def test_a_draft_that_cannot_apply_is_refused(tmp_path, base, changes, message):
    p = _variant(tmp_path, base, changes)
    with pytest.raises(RubricError) as err:
        load_rubric(p)
    assert message in str(err.value)


def test_replaces_must_name_ids_of_this_version(tmp_path):
    text = B.read_text(encoding="utf-8").replace('"3.1": "3.9"', '"3.1": "3.8"')
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(tmp_path / "b.yaml")
    assert "3.8 不是本版本的节点或规则编号" in str(err.value)


# --- the structural diff ----------------------------------------------------------------------------

def test_the_diff_lists_every_kind_of_change(demo):
    got = [tuple(r) for r in demo.diff[["change", "level", "id_a", "id_b", "field", "a", "b"]].itertuples(index=False)]
    assert got == [
        ("修改", "rubric", "demo", "demo", "grades.bands[1].min", "60", "65"),
        ("修改", "rubric", "demo", "demo", "awards.excellent.quota", "1", "2"),
        ("修改", "node", "1", "1", "points", "20", "25"),
        ("修改", "node", "3", "3", "points", "70", "65"),
        ("新增", "node", "", "4", "", "", "分值 0：数据共享"),
        ("修改", "rule", "1.1", "1.1", "text", "未及时公开每次扣0.5分", "未及时公开每次扣1分"),
        ("修改", "rule", "1.1", "1.1", "per", "0.5", "1"),
        ("修改", "rule", "1.2", "1.2", "text", "未公开年报扣2分", "未公开政府信息公开年报扣2分"),
        ("修改", "rule", "2.1", "2.1", "text", "接通率低于98%每下降1个百分点扣0.5分", "接通率低于95%每下降1个百分点扣0.5分"),
        ("修改", "rule", "2.1", "2.1", "target", "98", "95"),
        ("修改", "rule", "2.1", "2.1", "rounding", "按整步计（不足 1 个百分点的部分不扣）", "按比例折算（不足 1 个百分点按实际比例扣分）"),
        ("修改", "rule", "2.2", "2.2", "text", "每超期一件扣0.2分，累计不超过2分", "每超期一件扣0.2分，累计不超过3分"),
        ("修改", "rule", "2.2", "2.2", "cap", "2", "3"),
        ("拆分", "rule", "2.3", "2.4、2.5", "text", "计分方式 每次扣分，每次扣分 0.3：工单退回每次扣0.3分",
         "计分方式 每次扣分，每次扣分 0.3：工单退回（群众原因）每次扣0.3分 | 计分方式 每次扣分，每次扣分 0.3：工单退回（单位原因）每次扣0.3分"),
        ("改编号", "rule", "3.1", "3.9", "id", "3.1", "3.9"),
        ("合并", "rule", "3.2、3.3", "3.5", "text", "计分方式 每次扣分，每次扣分 1：系统亮红灯每次扣1分 | 计分方式 每次扣分，每次扣分 1：系统亮黄灯每次扣1分",
         "计分方式 每次扣分，每次扣分 1.5：系统亮灯每次扣1.5分"),
        ("删除", "rule", "1.3", "", "", "计分方式 每次扣分，每次扣分 1：泄露信息每次扣1分", ""),
        ("新增", "rule", "", "4.1", "", "", "计分方式 每次扣分，每次扣分 0.5：数据未共享每次扣0.5分"),
        ("修改", "reading", "R1", "R1", "reading", "按整步计", "按比例折算"),
    ]


def test_the_diff_of_the_langxi_pair_is_the_five_weights_and_the_reading():
    d = diff(load_rubric("langxi-2019@1"), load_rubric("langxi-2019@2"))
    weights = d[d["field"] == "weight"]
    assert list(zip(weights["id_a"], weights["a"], weights["b"])) == [
        ("A3.1", "9", "9.82"), ("A3.2", "6", "6.55"), ("A3.3", "9", "9.82"), ("A3.4", "4", "4.36"), ("A3.5", "5", "5.45")]
    readings = d[d["field"] == "reading"]
    assert list(readings["id_a"]) == ["A3", "R3"] and "放大到合计 36%" in readings["b"].iloc[0]
    assert set(d["level"]) == {"node", "reading"} and len(d) == 8  # 5 weights, A3's reading, R3's about and reading


# --- the rescoring ----------------------------------------------------------------------------------

def test_the_rescoring_matches_the_hand_computation(demo):
    # A: 甲 1.1 4×0.5=2, 2.1 96.5% → 1 whole step below 98 → 0.5, 1.2 flat 2 → 95.5
    #    乙 2.2 12×0.2=2.4 cut to its cap 2, 3.1 3×1=3 → 95;  丙 1.3 2, 3.2 1, 3.3 2, 2.3 0.3 → 94.7;  丁 3.1 37 → 63
    # B: 甲 1.1 4×1=4, 2.1 96.5% ≥ 95 → 0, 1.2 2 → 94;  乙 2.2 2.4 (cap 3), 3.9 (was 3.1) 3 → 94.6
    #    丙 3.5 (merged 3.2+3.3) 3×1.5=4.5; 1.3 removed and 2.3 split are left out → 95.5;  丁 3.9 37 → 63
    u = demo.units.set_index("unit")
    assert list(demo.units["unit"]) == ["丙镇", "乙镇", "甲镇", "丁镇"]  # B's ranking order
    assert dict(u["total_a"]) == {"甲镇": D("95.5"), "乙镇": D("95"), "丙镇": D("94.7"), "丁镇": D("63")}
    assert dict(u["total_b"]) == {"甲镇": D("94"), "乙镇": D("94.6"), "丙镇": D("95.5"), "丁镇": D("63")}
    assert dict(u["delta"]) == {"甲镇": D("-1.5"), "乙镇": D("-0.4"), "丙镇": D("0.8"), "丁镇": D("0")}
    assert dict(u["rank_a"]) == {"甲镇": 1, "乙镇": 2, "丙镇": 3, "丁镇": 4}
    assert dict(u["rank_change"]) == {"甲镇": -2, "乙镇": 0, "丙镇": 2, "丁镇": 0}
    # 合格 starts at 65 in B: 丁镇's unchanged 63 drops a grade; B's quota of 2 goes to 丙镇 and 乙镇
    assert (u.at["丁镇", "grade_a"], u.at["丁镇", "grade_b"]) == ("合格", "不合格")
    assert dict(u["award_a"]) == {"甲镇": "是", "乙镇": "", "丙镇": "", "丁镇": ""}
    assert dict(u["award_b"]) == {"甲镇": "", "乙镇": "是", "丙镇": "是", "丁镇": ""}
    assert set(demo.moved["unit"]) == {"甲镇", "乙镇", "丙镇", "丁镇"}


def test_each_change_of_a_unit_is_explained(demo):
    r = demo.reasons
    rules = r[r["level"] == "rule"]
    got = {(u, i): (a, b, d) for u, i, a, b, d in zip(rules["unit"], rules["id"], rules["a"], rules["b"], rules["delta"])}
    assert got == {("甲镇", "1.1"): (D("2.0"), D("4"), D("-2.0")), ("甲镇", "2.1"): (D("0.5"), D("0"), D("0.5")),
                   ("乙镇", "2.2"): (D("2"), D("2.4"), D("-0.4")),
                   ("丙镇", "1.3"): (D("2"), D("0"), D("2")), ("丙镇", "2.3"): (D("0.3"), D("0"), D("0.3")),
                   ("丙镇", "3.5"): (D("3"), D("4.5"), D("-1.5"))}
    reason = demo.units.set_index("unit")["reason"]
    # 甲镇 lost its award by its own rules (a larger quota cannot take an award away): largest effect first
    assert reason["甲镇"].startswith("1.1 未及时公开每次扣1分 扣分 2 → 4（原文：未及时公开每次扣0.5分 → "
                                    "未及时公开每次扣1分；每次扣分：0.5 → 1）；2.1 ")
    # 丙镇 gained it: the larger quota comes first; its 1.3 and 2.3 rows are left out by version 2
    assert reason["丙镇"].startswith("年度优秀单位名额：1 → 2；1.3 泄露信息每次扣1分 扣分 2 → 0（删除；第 2 版未计入 E5：细则 demo@2 中没有此规则编号")
    assert "3.5 系统亮灯每次扣1.5分 扣分 3 → 4.5（合并）" in reason["丙镇"]
    # 丁镇's total did not move (points moved between its indicators); its grade did, because of the band
    assert reason["丁镇"] == "等次「合格」的下限：60 → 65"


def test_a_declared_rename_keeps_its_evidence(demo):
    led = demo.b.result.ledger
    row = led[led["evidence_id"] == "E4"].iloc[0]
    assert (row["rule"], row["applied"]) == ("3.9", D("3"))
    assert next(f for f in demo.b.evidence.findings if f.id == "E4").rule_as_written == "3.1"
    # and scoring version 2 alone, with the ledger as it was kept for version 1
    ledger = pd.read_csv(LEDGER, dtype=str)
    kept = ledger[ledger["编号"].isin(["E4", "E10", "E6", "E7"])]
    result = score(load_rubric(B), load_roster(ROSTER), kept)
    totals = dict(zip(result.units["unit"], result.units["total"]))
    assert totals["乙镇"] == 97 and totals["丁镇"] == 63 and totals["丙镇"] == D("95.5")


def test_evidence_an_undeclared_removal_or_a_split_orphans_is_listed(demo):
    u = demo.unplaced
    assert list(zip(u["side"], u["evidence_id"], u["rule"], u["code"])) == [
        ("B", "E5", "1.3", "unknown_rule"), ("B", "E8", "2.3", "split_rule")]
    assert "拆分为 2.4、2.5" in u.iloc[1]["reason"] and u.iloc[0]["row"] == 6  # E5 is on Excel row 6
    # scoring version 2 on its own refuses the split row rather than guessing
    with pytest.raises(InputError) as err:
        score(load_rubric(B), load_roster(ROSTER), load_evidence([LEDGER]))
    codes = {p.code for p in err.value.problems}
    assert codes == {"unknown_rule", "split_rule"}


def test_comparing_a_rubric_with_itself_reports_no_change():
    for c in (compare(load_rubric(A), load_rubric(A), ROSTER, LEDGER),
              compare_params(HENGNAN, "hengnan-2020-township@1", "hengnan-2020-township")):
        assert c.diff.empty and c.reasons.empty and c.unplaced.empty and c.moved.empty
        assert not c.units["changed"].any() and (c.units["delta"] == 0).all()


def test_an_as_of_outside_a_version_and_a_broken_ledger_stop_the_comparison(tmp_path):
    with pytest.raises(InputError) as err:
        compare(load_rubric(A), load_rubric(B), ROSTER, LEDGER, as_of="2021-01-01")
    assert "计分日不在细则 demo@1 的考核期" in str(err.value)
    bad = tmp_path / "ledger.csv"
    bad.write_text(LEDGER.read_text(encoding="utf-8").replace("E1,甲镇", "E1,戊镇"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        compare(load_rubric(A), load_rubric(B), ROSTER, bad)
    assert [p.code for p in err.value.problems] == ["unknown_unit"] and err.value.problems[0].row == 2
    # a rule id neither version knows is a typo in the ledger, not a difference between the versions
    bad.write_text(LEDGER.read_text(encoding="utf-8").replace("E9,甲镇,1.2", "E9,甲镇,1.9"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        compare(load_rubric(A), load_rubric(B), ROSTER, bad)
    assert {(p.code, p.row, p.value) for p in err.value.problems} == {("unknown_rule", 10, "1.9")}


# --- the built-in pairs, end to end -----------------------------------------------------------------

def _rows(path: Path) -> dict[str, dict]:
    return {r["单位"]: r for r in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")}


def test_the_hengnan_pair_reads_rates_proportionally(tmp_path):
    out = runner.compare(HENGNAN, "hengnan-2020-township@1", "hengnan-2020-township@2", out_dir=tmp_path)
    assert out.error == "" and out.folder.name == "hengnan-2020-township@1_vs_hengnan-2020-township@2"
    rows = _rows(out.folder / "compare.csv")
    # 5.3 满意度 89.5% is 5.5 points under 95: whole steps 5 × 0.5 = 2.5, proportionally 2.75
    assert list(rows["示例镇14"]) == ["版本 A 细则", "版本 B 细则", "单位", "类别", "得分 A", "得分 B", "得分变化", "等次 A",
                                    "等次 B", "排名 A", "排名 B", "名次变化", "评优 A", "评优 B", "否决或取消资格 A",
                                    "否决或取消资格 B", "是否变化", "主要原因"]
    assert (rows["示例镇14"]["得分 A"], rows["示例镇14"]["得分 B"], rows["示例镇14"]["得分变化"]) == ("60", "59.75", "-0.25")
    assert (rows["示例镇14"]["等次 A"], rows["示例镇14"]["等次 B"]) == ("合格", "不合格")
    # 5.1 接通率 95.2% (2.8 under 98): 1 → 1.4;  latest 96.9% (1.1 under): 0.5 → 0.55;  5.2a 93.3% (1.7 under 95): 0.5 → 0.85
    assert {u: rows[u]["得分变化"] for u in ("示例镇05", "示例镇17", "示例街道03")} == \
           {"示例镇05": "-0.4", "示例镇17": "-0.05", "示例街道03": "-0.35"}
    assert {r["单位"] for r in rows.values() if r["是否变化"] == "是"} == {"示例镇05", "示例镇14", "示例镇17", "示例街道03"}
    assert {r["是否变化"] for r in rows.values()} == {"是", "否"}
    diff_rows = pd.read_csv(out.folder / "diff.csv", dtype=str, keep_default_na=False)
    assert list(diff_rows) == ["改动", "层级", "编号（A）", "编号（B）", "名称", "字段", "版本 A", "版本 B"]
    assert list(diff_rows["编号（A）"]) == ["5.1", "5.2a", "5.3", "R2"]
    assert list(diff_rows["层级"]) == ["规则", "规则", "规则", "读法"] and set(diff_rows["改动"]) == {"修改"}
    assert list(diff_rows["字段"]) == ["不足一步时", "不足一步时", "不足一步时", "读法"]
    assert diff_rows.at[0, "版本 B"] == "按比例折算（不足 1 个百分点按实际比例扣分）"
    unplaced = pd.read_csv(out.folder / "unplaced.csv", dtype=str, keep_default_na=False)
    assert unplaced.empty and list(unplaced) == ["版本", "细则", "记录编号", "单位", "规则编号", "日期", "台账文件", "台账行号",
                                                 "列", "值", "问题代码", "原因"]
    html = (out.folder / "compare.html").read_text(encoding="utf-8")
    page = Page(html)
    assert page.scripts == 0 and len([a for a in page.alts if a]) == 1  # the score changes; no rank moved:
    assert "名次没有变化：23 个单位在两个版本中名次相同。" in html      # a sentence, not a chart of level lines
    assert "示例镇14" in html and "不足一步时" in html and "合格 → 不合格" in html
    manifest = json.loads((out.folder / "manifest.json").read_text(encoding="utf-8"))
    assert {f["name"] for f in manifest["inputs"] if f["role"] == "细则"} == \
           {"hengnan-2020-township.yaml", "hengnan-2020-township@2.yaml"}
    assert {o["path"] for o in manifest["outputs"]} == {"compare.html", "compare.ipynb", "compare.csv", "diff.csv",
                                                         "unplaced.csv"}
    # no path of this machine: the published notebook names the params file within the project (issue 15)
    assert "interpreter" not in manifest["software"]
    nb = json.loads((out.folder / "compare.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["params"] == "params/hengnan-2020.yaml"
    assert str(HENGNAN) not in (out.folder / "compare.ipynb").read_text(encoding="utf-8")


def test_the_langxi_pair_by_the_command_line(tmp_path, capsys):
    rc = main(["compare", str(LANGXI), "--a", "langxi-2019@1", "--b", "langxi-2019@2", "--out-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 0 and out.strip().endswith("compare.html") and Path(out.strip()).exists()
    assert "细则改动 8 处" in err and "得分变化的 5 个" in err
    rows = _rows(Path(out.strip()).parent / "compare.csv")
    # 梅渚镇 has 附件3 item scores: 72 on A1, A2, A4 (weights 64) and 98, 96, 100, 95, 97 on A3.1–A3.5.
    # A = 72 × 64% + (98×9 + 96×6 + 100×9 + 95×4 + 97×5)% = 46.08 + 32.23 = 78.31 under version 1;
    # version 2: 46.08 + (98×9.82 + 96×6.55 + 100×9.82 + 95×4.36 + 97×5.45)% = 46.08 + 35.1601 = 81.2401.
    # Total = 40% A + 日常 30 + 30% × 互评 82.5: 31.324 + 54.75 = 86.074 → 32.49604 + 54.75 = 87.24604.
    m = rows["梅渚镇"]
    assert (m["得分 A"], m["得分 B"], m["得分变化"], m["排名 A"], m["排名 B"], m["名次变化"]) == \
           ("86.074", "87.24604", "1.17204", "35", "26", "9")
    assert m["是否变化"] == "是" and "A3.1 权重（%）：9 → 9.82" in m["主要原因"]
    # 十字镇 scores 100 on every item: A is 97 + 2 (加分) = 99 before, 100 + 2 clamped to 100 after
    assert rows["十字镇"]["得分变化"] == "0.4" and "加分 2 → 0" in rows["十字镇"]["主要原因"]
    diff_rows = pd.read_csv(Path(out.strip()).parent / "diff.csv", dtype=str, keep_default_na=False)
    weights = diff_rows[diff_rows["字段"] == "权重（%）"]
    assert set(weights["层级"]) == {"指标"} and list(weights["编号（A）"]) == ["A3.1", "A3.2", "A3.3", "A3.4", "A3.5"]
    assert list(zip(weights["版本 A"], weights["版本 B"])) == [("9", "9.82"), ("6", "6.55"), ("9", "9.82"), ("4", "4.36"),
                                                               ("5", "5.45")]


def test_a_rubric_list_shows_every_version_and_which_is_the_default(capsys):
    assert main(["rubric", "list"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    township = [cols[1] for cols in lines if cols[0] == "hengnan-2020-township"]
    assert township == ["第 1 版（默认）", "第 2 版（草案，用 hengnan-2020-township@2 选用）"]


# --- what moved a unit besides its rules (found by review) -----------------------------------------

def test_a_veto_the_new_version_no_longer_applies_is_the_reason(tmp_path):
    # 示例镇08's veto (T019) is a 市-level 通报; a version whose veto names only 国家 and 省 cannot place it
    b = _variant(tmp_path, "hengnan-2020-township@1", '  - {id: veto, set: {levels: [国家, 省]}}\n')
    c = compare_params(HENGNAN, "hengnan-2020-township@1", str(b))
    u = c.units.set_index("unit").loc["示例镇08"]
    assert (u["status_a"], u["status_b"], u["grade_a"], u["grade_b"]) == ("一票否决", "", "不合格", "优秀")
    assert (u["total_a"], u["total_b"], u["rank_a"], u["rank_b"]) == (D("91"), D("91"), 23, 15)
    assert u["reason"].startswith("一票否决：是 → 否；一票否决 级别：国家、省、市 → 国家、省；第 9 版未计入 T019：")
    assert list(c.unplaced[["side", "evidence_id", "code"]].itertuples(index=False, name=None)) == [("B", "T019", "out_of_range")]
    # unplaced.csv names the side and the rule as the report does (veto → 一票否决); the code stays in its column
    row = c.tables()["unplaced.csv"].iloc[0]
    assert (row["版本"], row["记录编号"], row["单位"], row["规则编号"], row["问题代码"]) == \
           ("版本 B", "T019", "示例镇08", "一票否决", "out_of_range")


def test_a_weight_of_a_part_of_the_total_is_the_reason(tmp_path):
    b = _variant(tmp_path, "langxi-2019@1", "  - {id: A, set: {weight: 50}}\n  - {id: C, set: {weight: 20}}\n")
    c = compare_params(LANGXI, "langxi-2019@1", str(b))
    u = c.units.set_index("unit").loc["建平镇"]
    # 建平镇: A 90 − 1 (B4.1 省) … its parts are unchanged; 40/30/30 → 50/30/20 moves the total
    assert u["delta"] != 0 and u["reason"].startswith("A 权重（%）：40 → 50；C 权重（%）：30 → 20")


def test_a_unit_one_version_cannot_score_is_said_so(tmp_path):
    # Ending 互评 records on 2019-12-31 leaves every 2020-01 rating out: no unit has a 双向互评 score under B
    b = _variant(tmp_path, "langxi-2019@1", "  - {id: C.1, set: {records_until: 2019-12-31}}\n")
    c = compare_params(LANGXI, "langxi-2019@1", str(b))
    u = c.units.set_index("unit")
    assert set(u["status_b"]) == {"无法计分"} and u["total_b"].isna().all() and u["rank_b"].isna().all()
    assert u.at["建平镇", "reason"] == ("只有版本 A 对本单位计分：版本 B 无法计分，台账中没有该单位「C 双向互评」的得分记录，"
                                    "无法计算总分")
    assert set(c.unplaced["code"]) == {"date_outside_period"} and set(c.unplaced["side"]) == {"B"}


def test_ranks_stay_whole_numbers_beside_a_unit_without_rank():
    # 益阳's sample has a disqualified unit (no rank): the rank columns must not turn into floats
    params = ROOT / "params" / "yiyang-2020.yaml"
    c = compare_params(params, "yiyang-2020", "yiyang-2020")
    csv = c.tables()["compare.csv"]
    ranks = [r for r in csv["排名 A"] if r]
    assert ranks and all(r.isdigit() for r in ranks) and "" in list(csv["排名 A"])
    assert "取消资格" in set(csv["否决或取消资格 A"]) and set(csv["是否变化"]) == {"否"}


def test_rubric_files_given_by_relative_path_are_made_absolute(tmp_path, monkeypatch):
    for f in (A, B, ROSTER, LEDGER):
        shutil.copy(f, tmp_path)
    monkeypatch.chdir(tmp_path)
    params = tmp_path / "p.yaml"
    params.write_text(f"name: demo\nyear: 2020\ntitle: 示例\nrubrics: [{A.name}]\nroster: {ROSTER.name}\n"
                      f"evidence: [{LEDGER.name}]\n", encoding="utf-8")
    c = compare_params(params, "demo-1.yaml", "demo-2.yaml")
    a, b = tmp_path / A.name, tmp_path / B.name
    assert c.selectors == (str(a), str(b)) and c.rubric_files == [a, b]


def test_a_draft_names_itself_and_inherits_no_description(tmp_path):
    plain = _variant(tmp_path, "hengnan-2020-township@2", '  - {id: "5.1", set: {per: 1}}\n', "plain.yaml")
    r = load_rubric(plain)
    assert (r.ref, r.status, r.description) == ("hengnan-2020-township@9", "draft", None)
    assert r.rules["5.1"].rounding == "proportional"  # what version 2 changed is kept, its words are not
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("based_on: hengnan-2020-township@1\nchanges: []\n", encoding="utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(nameless)
    assert {p.column for p in err.value.problems} == {"id", "version"}
    twice = _variant(tmp_path, "hengnan-2020-township@1", '  - {id: "5.1", set: {per: 1}}\n  - {id: "5.1", set: {per: 2}}\n')
    with pytest.raises(RubricError) as err:
        load_rubric(twice)
    assert "已在第 1 项 changes 中更改" in str(err.value) and err.value.problems[0].row == 7
    touches = _variant(tmp_path, "hengnan-2020-township@1", '  - {id: R2, set: {touches: [nope]}}\n', "t.yaml")
    with pytest.raises(RubricError) as err:
        load_rubric(touches)
    assert err.value.problems[0].file == str(touches)  # a problem of the whole rubric is the draft's
