"""The bad-input corpus: broken and hostile inputs to `kaohe run`, each with the message it must give.

Every case is a small project (``params/run.yaml``, ``data/名单.csv``, ``data/台账.csv`` or ``.xlsx``, and a
rubric file where the case is about rubrics) scored by 衡南 2020 附件1 unless it says otherwise. Each must
end with exit code 2, print every listed fragment (file, row as Excel shows it — header = row 1 —, column,
value, code), and leave the output folder exactly as it was: a previous run in it is neither replaced nor
touched. Cases follow ../shared/docs/bad-inputs.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import Workbook

from kaohe import cli

HEADER = "编号,单位,规则编号,日期,次数/数量,数值,分值/扣分,情况说明"
ROSTER = "单位,类别\n云集镇,乡镇\n向阳街道,街道\n宝盖镇,乡镇\n"
LEDGER = "data/台账.csv"

RUBRIC = """\
id: corpus
version: 1
title: 测试细则
source: {title: 文件, issuer: 办公室, doc_no: 〔2020〕1号, file: x.txt}
period: {start: 2020-01-01, end: 2020-12-31}
applies_to: [乡镇, 街道]
points: 10
indicators:
  - id: "1"
    name: 指标一
    points: 10
    rules:
      - id: 1.1.1
        kind: per_count
        text: 每次扣0.5分
        per: 0.5
"""


def csv(*rows: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def xlsx(build: Callable) -> Callable[[Path], None]:
    """A writer of ``data/台账.xlsx`` laid out by ``build(worksheet)``."""
    def write(path: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.append(HEADER.split(","))
        build(ws)
        wb.save(path)
    return write


def merged(ws):
    ws.append(["E1", "云集镇", "1.2.1", "2020-03-01"])
    ws.append([])  # a blank row keeps its number
    ws.append(["E2", "宝盖镇", "1.2.1", "2020-04-01"])
    ws.append(["E3", None, "1.2.1", "2020-05-01"])
    ws.merge_cells("B4:B5")  # 宝盖镇 over two rows: openpyxl reads the second as empty


def formula(ws):
    ws.append(["E1", "云集镇", "4.2.1", "2020-03-01", "=1+1"])  # openpyxl saves no cached value


def far_cell(ws):
    ws.append(["E1", "云集镇", "1.2.1", "2020-03-01"])
    ws["A200001"] = "x"


@dataclass
class Case:
    name: str
    expect: list[str]  # fragments of the error output, all required
    files: dict[str, bytes | str | Callable[[Path], None]] = field(default_factory=dict)
    params: str | None = None  # the params file, when not the default

    def write(self, root: Path) -> Path:
        default = {"data/名单.csv": ROSTER}
        if not any(n.startswith("data/台账") for n in self.files):
            default[LEDGER] = csv("E1,云集镇,1.2.1,2020-03-01,,,,")
        files = default | self.files
        ledgers = [n for n in files if n.startswith("data/台账")]
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            else:
                path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        params = root / "params" / "run.yaml"
        params.parent.mkdir(exist_ok=True)
        params.write_text(self.params or ("name: corpus\nyear: 2020\ntitle: 测试\nrubrics: [hengnan-2020-township]\n"
                                          f"roster: ../data/名单.csv\nevidence: [../{ledgers[0]}]\n"), encoding="utf-8")
        return params


def rubric_case(name: str, text: str, expect: list[str]) -> Case:
    return Case(name, expect, {"data/细则.yaml": text}, params="name: corpus\nyear: 2020\ntitle: 测试\n"
                "rubrics: [../data/细则.yaml]\nroster: ../data/名单.csv\nevidence: [../data/台账.csv]\n")


BOMB = "".join(f"{c}: &{c} [" + ", ".join([f"*{chr(ord(c) - 1)}"] * 9 if c > "a" else ['"lol"'] * 9) + "]\n"
               for c in "abcdefghi")


def big_ledger(path: Path) -> None:
    rows = [f"E{i},{'云集镇' if i % 2 else '宝盖镇'},4.2.1,2020-{1 + i % 12:02d}-{1 + i % 28:02d},1,,," for i in range(100_000)]
    rows.append("BAD,宝盖镇,4.2.1,2020-06-31,1,,,")  # June has 30 days: row 100,002 as Excel shows it
    path.write_bytes(csv(*rows))


CASES = [
    Case("gbk_file_with_a_utf8_line", ["[encoding]", "台账.csv，第 3 行", "无法识别的文字编码"],
         {LEDGER: csv("E1,云集镇,1.2.1,2020-03-01,,,,情况", encoding="gbk")
          + "E2,宝盖镇,1.2.1,2020-03-02,,,,说明\r\n".encode()}),
    Case("bom_and_a_bad_month", ["[bad_date]", "文件", "台账.csv，第 2 行，「日期」列，值 '2020/13/01'"],
         {LEDGER: csv("E1,云集镇,1.2.1,2020/13/01,,,,", bom=True)}),
    Case("month_without_a_day", ["第 2 行，「日期」列，值 '2020年3月'", "不是有效日期"],
         {LEDGER: csv("E1,云集镇,1.2.1,2020年3月,,,,")}),
    Case("circled_digit_as_a_count", ["[bad_count]", "第 2 行，「次数/数量」列，值 '①'"],
         {LEDGER: csv("E1,云集镇,4.2.1,2020-03-01,①,,,")}),
    Case("a_rate_written_as_a_fraction", ["[out_of_range]", "第 2 行，「数值」列，值 '0.965'", "规则 5.1",
                                          "像是小数写法"],
         {LEDGER: csv("E1,云集镇,5.1,2020-03-01,,０．９６５,,")}),
    Case("text_in_a_number_column", ["[not_a_number]", "第 2 行，「数值」列，值 '十二'"],
         {LEDGER: csv("E1,云集镇,5.1,2020-03-01,,十二,,")}),
    Case("negative_count", ["[bad_count]", "第 2 行，「次数/数量」列，值 '-2'", "应为正整数"],
         {LEDGER: csv("E1,云集镇,4.2.1,2020-03-01,-2,,,")}),
    Case("discretionary_points_outside_the_range", ["[out_of_range]", "第 2 行，「分值/扣分」列，值 '5'",
                                                    "酌情扣分应在 1 至 3 分之间"],
         {LEDGER: csv("E1,云集镇,1.1.4,2020-03-01,,,5,未按要求整改")}),
    Case("discretionary_without_a_reason", ["[missing_value]", "第 2 行，「情况说明」列", "必须在「情况说明」中写明理由"],
         {LEDGER: csv("E1,云集镇,1.1.4,2020-03-01,,,2,")}),
    Case("duplicate_evidence_id", ["[duplicate_id]", "第 3 行，「编号」列，值 'E1'", "编号重复（第 2 行已使用）"],
         {LEDGER: csv("E1,云集镇,1.2.1,2020-03-01,,,,", "E1,宝盖镇,1.2.1,2020-03-02,,,,")}),
    Case("unit_not_on_the_roster", ["[unknown_unit]", "第 2 行，「单位」列，值 '云集乡'", "是否为：云集镇"],
         {LEDGER: csv("E1,云集乡,1.2.1,2020-03-01,,,,")}),
    Case("two_units_one_after_traditional_to_simplified", ["[ambiguous_unit]", "名单.csv，第 3 行", "鍾山鎮",
                                                            "繁简转换后相同"],
         {"data/名单.csv": "单位,类别\n钟山镇,乡镇\n鍾山鎮,乡镇\n"}),
    Case("rule_of_another_rubric", ["[unknown_rule]", "第 2 行，「规则编号」列，值 '1.6.1'",
                                    "细则 hengnan-2020-township@1 中没有此规则编号"],
         {LEDGER: csv("E1,云集镇,1.6.1,2020-03-01,,,,")}),
    Case("date_outside_the_year", ["[date_outside_period]", "第 2 行，「日期」列，值 '2021-01-05'"],
         {LEDGER: csv("E1,云集镇,1.2.1,2021-01-05,,,,")}),
    Case("rate_without_its_value", ["[missing_value]", "第 2 行，「数值」列", "规则 5.1 需要在「数值」中填写"],
         {LEDGER: csv("E1,云集镇,5.1,2020-03-01,,,,")}),
    Case("points_that_contradict_the_rule", ["[points_mismatch]", "第 2 行，「分值/扣分」列，值 '3'",
                                             "与细则计算的 4 分不符"],
         {LEDGER: csv("E1,云集镇,4.2.1,2020-03-01,2,,3,")}),
    Case("a_ragged_row", ["[ragged_row]", "第 2 行", "多于表头的 8 列"],
         {LEDGER: csv("E1,云集镇,1.2.1,2020-03-01,,,,,多出")}),
    Case("a_required_column_missing", ["[missing_column]", "缺少必需的列「规则编号"],
         {LEDGER: "编号,单位,日期\r\nE1,云集镇,2020-03-01\r\n".encode()}),
    Case("a_header_twice", ["[duplicate_column]", "第 1 行", "表头重复"],
         {LEDGER: "编号,单位,单位名称,规则编号,日期\r\nE1,云集镇,云集镇,1.2.1,2020-03-01\r\n".encode()}),
    Case("an_empty_ledger", ["[empty_file]", "台账为空：没有表头"], {LEDGER: b""}),
    Case("a_100000_row_ledger_with_one_bad_date", ["[bad_date]", "第 100002 行，「日期」列，值 '2020-06-31'"],
         {LEDGER: big_ledger}),
    Case("a_category_no_rubric_scores", ["[unknown_category]", "名单.csv，第 3 行，「类别」列，值 '村'"],
         {"data/名单.csv": "单位,类别\n云集镇,乡镇\n某村,村\n"}),
    Case("xlsx_merged_unit_cells_and_a_blank_row", ["[missing_value]", "台账.xlsx，第 5 行，「单位」列",
                                                    "「单位」不能为空"],
         {"data/台账.xlsx": xlsx(merged)}),
    Case("xlsx_formula_without_its_value", ["[formula_without_value]", "台账.xlsx，第 2 行，「次数/数量」列，值 '=1+1'",
                                            "公式没有保存计算结果"],
         {"data/台账.xlsx": xlsx(formula)}),
    Case("xlsx_with_a_cell_far_below", ["[too_large]", "台账.xlsx，第 200001 行", "工作表超过 200000 行"],
         {"data/台账.xlsx": xlsx(far_cell)}),
    rubric_case("rubric_duplicate_key", RUBRIC.replace("per: 0.5", "per: 0.5\n        per: 5"),
                ["[duplicate_key]", "细则.yaml，第 17 行", "indicators[0].rules[0].per"]),
    rubric_case("rubric_tab", RUBRIC.replace("    name: 指标一", "\tname: 指标一"), ["[yaml_syntax]", "细则.yaml，第 10 行"]),
    rubric_case("rubric_python_tag", RUBRIC.replace("title: 测试细则", "title: !!python/object/apply:os.system ['echo x']"),
                ["[unsafe_yaml]", "细则.yaml，第 3 行"]),
    rubric_case("rubric_missing_field", RUBRIC.replace("period: {start: 2020-01-01, end: 2020-12-31}\n", ""),
                ["细则.yaml", "period"]),
    rubric_case("rubric_unknown_kind", RUBRIC.replace("kind: per_count", "kind: per_time"),
                ["细则.yaml，第 14 行", "per_time", "per_count"]),
    rubric_case("rubric_points_do_not_add_up", RUBRIC.replace("points: 10\n    rules", "points: 8\n    rules"),
                ["[value_error]", "细则.yaml", "indicators 的分值合计 8 分，与总分 points 10 分不符"]),
    # issue 15: "billion laughs" — 9 levels of 9 aliases would be 387 million strings (gigabytes) once built
    Case("params_with_nested_yaml_aliases", ["[yaml_alias]", "run.yaml，第 5 行", "不允许使用 YAML 别名"],
         params="name: corpus\nyear: 2020\ntitle: 测试\n" + BOMB + "rubrics: [hengnan-2020-township]\n"
                "roster: ../data/名单.csv\nevidence: [../data/台账.csv]\n"),
    rubric_case("rubric_with_nested_yaml_aliases", RUBRIC + BOMB, ["[yaml_alias]", "细则.yaml，第 20 行"]),
    Case("roster_without_a_unit_column", ["[missing_column]", "名单.csv，第 1 行，「单位」列", "缺少必需的列「单位",
                                          "表中的列：名称、类别"], {"data/名单.csv": "名称,类别\n云集镇,乡镇\n"}),
    Case("roster_without_a_category_column", ["[missing_column]", "名单.csv，第 1 行，「类别」列", "缺少必需的列「类别"],
         {"data/名单.csv": "单位\n云集镇\n"}),
    Case("params_pointing_outside_the_project", ["run.yaml：以下路径在项目目录", "之外", "evidence: /etc/passwd"],
         params="name: corpus\nyear: 2020\ntitle: 测试\nrubrics: [hengnan-2020-township]\nroster: ../data/名单.csv\n"
                "evidence: [/etc/passwd]\n"),
    Case("params_climbing_out_with_dots", ["以下路径在项目目录", "roster: ../../名单.csv"],
         params="name: corpus\nyear: 2020\ntitle: 测试\nrubrics: [hengnan-2020-township]\nroster: ../../名单.csv\n"
                "evidence: [../data/台账.csv]\n"),
]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_corpus_has_at_least_25_cases_with_distinct_names():
    assert len(CASES) >= 25 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_is_refused_with_its_message_and_nothing_is_written(case, tmp_path, capsys):
    project = tmp_path / "project"
    params = case.write(project)
    out = tmp_path / "outputs"
    previous = out / "corpus" / "2020"
    (previous / "units").mkdir(parents=True)
    (previous / "index.html").write_text("上一次的运行", encoding="utf-8")
    (previous / "units" / "云集镇.html").write_text("上一次的报告", encoding="utf-8")
    before, inputs = tree(out), tree(project)
    code = cli.main(["run", str(params), "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    for fragment in case.expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert tree(out) == before  # nothing written, nothing replaced, no leftover build folder
    assert tree(project) == inputs  # inputs are never rewritten


def test_what_only_looks_broken_is_read_as_meant(tmp_path, capsys):
    """A BOM, a GBK file, full-width digits and ％, a trailing space after a unit and its traditional spelling
    are read as the office meant them: 云集镇 4.2.1 × ２ = 4 → 96; 向阳街道 5.1 at ９６．５％ (below 98 by
    1.5 points, whole steps: 1 × 0.5) → 99.5; 宝盖镇 (written 寶蓋鎮) 1.2.1 扣3分 → 97. All three are 90 分以上,
    优秀, and within the quota of 6 乡镇（街道）: 年度优秀."""
    project = tmp_path / "project"
    rows = ["E1,云集镇 ,4.2.1,2020-03-01,２,,,", "E2,向阳街道,5.1,2020-03-01,,９６．５％,,", "E3,寶蓋鎮,1.2.1,2020-03-01,,,,"]
    for encoding, bom in (("gbk", False), ("utf-8", True)):
        params = Case("ok", [], {LEDGER: csv(*rows, encoding=encoding, bom=bom)}).write(project)
        code = cli.main(["score", "--params", str(params), "--out", str(tmp_path / "scores.csv")])
        assert code == 0, capsys.readouterr().err
        scores = (tmp_path / "scores.csv").read_text(encoding="utf-8").splitlines()
        assert scores[1:] == ["向阳街道,街道,99.5,优秀,1,false,true", "宝盖镇,乡镇,97,优秀,2,false,true",
                              "云集镇,乡镇,96,优秀,3,false,true"]


def test_a_formula_counts_by_the_value_excel_saved_with_it(tmp_path, capsys):
    """次数/数量 =1+1 saved with its result 2 (as Excel and WPS save it): 4.2.1 每次扣 2 分 × 2 = 4 → 96."""
    import re
    import zipfile

    plain = tmp_path / "plain.xlsx"
    xlsx(formula)(plain)
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(tmp_path / "台账.xlsx", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == sheet:  # an empty value: <v></v>, <v/> or <v />, by the XML writer
                data, n = re.subn(rb"<f>1\+1</f>(<v\s*/>|<v></v>)", b"<f>1+1</f><v>2</v>", data)  # the cached result
                assert n == 1
            dst.writestr(info, data)
    params = Case("cached", [], {"data/台账.xlsx": (tmp_path / "台账.xlsx").read_bytes()}).write(tmp_path / "project")
    assert cli.main(["score", "--params", str(params), "--out", str(tmp_path / "scores.csv")]) == 0, \
        capsys.readouterr().err
    assert "云集镇,乡镇,96," in (tmp_path / "scores.csv").read_text(encoding="utf-8")


def test_a_project_may_link_its_data_folder_and_nest_its_params(tmp_path, capsys):
    """Inside the project: params/2020/run.yaml naming ../../data, and data/ a link to a shared folder."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "名单.csv").write_text(ROSTER, encoding="utf-8")
    (shared / "台账.csv").write_bytes(csv("E1,云集镇,1.2.1,2020-03-01,,,,"))
    project = tmp_path / "project"
    (project / "params" / "2020").mkdir(parents=True)
    (project / "data").symlink_to(shared, target_is_directory=True)
    params = project / "params" / "2020" / "run.yaml"
    params.write_text("name: corpus\nyear: 2020\ntitle: 测试\nrubrics: [hengnan-2020-township]\n"
                      "roster: ../../data/名单.csv\nevidence: [../../data/台账.csv]\n", encoding="utf-8")
    assert cli.main(["validate", "--params", str(params)]) == 0, capsys.readouterr().err


def test_a_duplicate_unit_in_a_roster_built_in_code_is_a_problem():
    from kaohe.ledger import Evidence, Roster, Unit
    from kaohe.rubric import load_rubric
    from kaohe.validate import check

    roster = Roster([Unit("甲镇", "乡镇", "名单", 2), Unit("甲镇", "乡镇", "名单", 3)])
    (p,) = check([load_rubric("hengnan-2020-township")], roster, Evidence())
    assert (p.code, p.row, p.value, p.message) == ("duplicate_unit", 3, "甲镇", "单位重复（第 2 行已有）")


def test_a_roster_without_its_unit_column_is_named_by_the_template_command_too(tmp_path, capsys):
    """Before: KeyError: 'unit' from validate, run and template alike."""
    roster = tmp_path / "名单.csv"
    roster.write_text("名称,类别\n云集镇,乡镇\n", encoding="utf-8")
    out = tmp_path / "台账.xlsx"
    assert cli.main(["template", "hengnan-2020-township", "--roster", str(roster), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[missing_column]" in err and "名单.csv，第 1 行，「单位」列" in err and "Traceback" not in err
    assert not out.exists()


def test_braces_in_the_output_folder_and_in_a_unit_name_are_plain_text(tmp_path, capsys):
    """papermill formats its paths with the parameters: `out{2020}` failed every report (IndexError) and a unit
    named 云集{镇} failed its own (issue 15, item 7)."""
    roster = "单位,类别\n云集{镇},乡镇\n向阳街道,街道\n"
    params = Case("braces", [], {"data/名单.csv": roster, LEDGER: csv("E1,云集{镇},1.2.1,2020-03-01,,,,")}).write(tmp_path)
    out = tmp_path / "out{2020}"
    assert cli.main(["run", str(params), "--out-dir", str(out), "--jobs", "2"]) == 0
    folder = out / "corpus" / "2020"
    assert (folder / "units" / "云集{镇}.html").exists() and (folder / "summary.html").exists()
    assert "云集{镇}" in (folder / "units" / "云集{镇}.html").read_text(encoding="utf-8")


def test_a_control_character_written_as_a_yaml_escape_in_a_title_is_refused_where_it_is(tmp_path, capsys):
    """title: "测试\\v考核" passed validation and failed scores.docx after every notebook ran (issue 15, item 5)."""
    params = Case("title", [], params='name: corpus\nyear: 2020\ntitle: "测试\\v考核"\nrubrics: [hengnan-2020-township]\n'
                                      "roster: ../data/名单.csv\nevidence: [../data/台账.csv]\n").write(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["run", str(params), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[control_character]" in err and "run.yaml，第 3 行，「title」列，值 '测试\\x0b考核'" in err
    assert "含有控制字符 U+000B（垂直制表符），无法写入 Excel 和 Word 文件" in err and not out.exists()
