"""kaohe.draft and ``kaohe rubric draft``: a rubric drafted from the document itself (issue 17, item 2).

Measured on the four source documents against the rubrics encoded from them by hand (and on the four fictitious
example documents against theirs); a .docx and an .xlsx built here, with merged cells, draft to a tree worked
out by hand. docs/dev/draft.md has the measured table.
"""

import difflib
import re
import unicodedata
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from kaohe.cli import main
from kaohe.draft import PHRASES, clauses, count, draft, mirror, rules_of, to_yaml
from kaohe.errors import InputError
from kaohe.rubric import Rubric, load_model, load_rubric
from kaohe.rules import kinds
from kaohe.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).parent / "data" / "seeds"
SEED_000 = SEEDS / "000_0885910b71dbd345.txt"

# --- the measurement -------------------------------------------------------------------------------------------

#: The fields compared for “the same amounts”, by kind (kinds not listed are compared by kind alone).
AMOUNTS = {
    "per_count": ("per", "cap"), "flat": ("amount", "cap"), "threshold": ("below", "amount", "percent", "cap"),
    "discretionary": ("min", "max", "per_occurrence", "bonus", "cap"), "shortfall": ("target", "per", "cap"),
    "rate_shortfall": ("target", "step", "per", "cap"), "per_level": ("amounts", "bonus", "cap"),
    "bonus": ("per", "amount", "cap"), "earned": ("points", "per", "cap"), "periodic": ("every", "min", "per", "cap"),
    "exceed": ("target", "tiers", "then", "cap"), "veto": ("levels", "effect", "score", "grade"),
    "given": ("max",), "rater": ("max",), "external": ("document",),
}


def norm(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def overlap(a: str, b: str) -> int:
    """The longest common substring of two normalised texts."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def amounts(rule) -> tuple:
    """(kind, the amounts that matter for it), from a validated rule."""
    return rule.kind, tuple(getattr(rule, f) for f in AMOUNTS.get(rule.kind, ()))


def validated(raw: dict):
    """A drafted rule as its kind's model reads it; the rounding a rate rule leaves to a person is filled in."""
    model = kinds()[raw["kind"]].model
    return model.model_validate({**raw, **({"rounding": "whole_steps_down"} if raw["kind"] == "rate_shortfall" else {})})


def drafted_rules(nodes: list[dict]) -> list[dict]:
    return [r for n in nodes for r in [*n.get("rules", []), *drafted_rules(n.get("children", []))]]


def measure(bundled: Rubric, data: dict) -> tuple[int, int, int, list[str], list[str]]:
    """(bundled rules, found, matching, ids not found, ids found but not matching).

    A bundled rule is **found** when some drafted rule's text shares with its text — both NFKC-normalised, all
    whitespace removed — a common substring at least half as long as the bundled text: a drafted clause that
    contains the bundled one counts, and so does a split that keeps most of its words; a stray “扣2分” does not.
    One drafted rule may find several bundled ones (衡南 5.3a and 5.3b share one sentence).

    A found rule **matches** when one of the drafted rules that overlap it most has the same kind and the same
    amounts — the fields of :data:`AMOUNTS` for that kind, defaults filled in, both sides validated by the kind's
    model (``rounding``, which the document never states, is not compared). Not an amount: ids, notes, readings.
    """
    drafted = drafted_rules(data["indicators"])
    texts = [norm(d["text"]) for d in drafted]
    found, matching, missed, differ = 0, 0, [], []
    for rule in bundled.rules.values():
        want = norm(rule.text)
        sizes = [overlap(want, t) for t in texts]
        best = max(sizes, default=0)
        if best * 2 < len(want):
            missed.append(rule.id)
            continue
        found += 1
        candidates = [d for d, size in zip(drafted, sizes) if size == best]
        got = []
        for d in candidates:
            try:
                got.append(amounts(validated(d)))
            except ValidationError:
                pass
        if amounts(rule) in got:
            matching += 1
        else:
            differ.append(rule.id)
    return len(bundled.rules), found, matching, missed, differ


#: Bundled rubric → its source document and the table drafted.
SOURCES = {
    "hengnan-2020-township": ("000_0885910b71dbd345.txt", "附件1"),
    "hengnan-2020-department": ("000_0885910b71dbd345.txt", "附件2"),
    "yiyang-2020": ("001_5b5f7ad413d29217.txt", None),
    "langxi-2019": ("002_cc609a657548c0f2.txt", None),
    "hengyang-2018-county": ("004_fb02ea74bc2a4c5a.txt", None),
    "hengyang-2018-department": ("004_fb02ea74bc2a4c5a.txt", None),
}
#: What the draft reaches: (bundled rules, found, matching), and the rules found whose kind or amounts differ.
REACHED = {
    "hengnan-2020-township": ((47, 47, 47), []),
    # 按政务服务中心《窗口管理办法》考核计分: drafted as 按其他文件计分 (external); the bundled rubric reads it as
    # 视情扣分 0–10 (its reading R8), a judgement the words do not state.
    "hengnan-2020-department": ((59, 59, 58), ["1.6.1"]),
    "yiyang-2020": ((17, 17, 17), []),
    "langxi-2019": ((32, 32, 32), []),
    "hengyang-2018-county": ((10, 10, 10), []),
    "hengyang-2018-department": ((12, 12, 12), []),
}


@pytest.fixture(scope="module")
def seed_drafts():
    return {rid: draft(SEEDS / seed, part) for rid, (seed, part) in SOURCES.items()}


class TestMeasuredOnTheSeeds:
    @pytest.mark.parametrize("rid", list(SOURCES))
    def test_share_found_and_matching(self, rid, seed_drafts):
        """Each bundled rubric: how many of its rules the draft found, how many of those with kind and amounts."""
        n, found, matching, missed, differ = measure(load_rubric(rid), seed_drafts[rid][0])
        assert ((n, found, matching), differ) == REACHED[rid]
        assert missed == []

    def test_targets(self, seed_drafts):
        """Over all six rubrics: ≥ 95% found, ≥ 85% of those matching (issue 17); reached 100% and 176/177."""
        totals = [sum(x) for x in zip(*(measure(load_rubric(r), seed_drafts[r][0])[:3] for r in SOURCES))]
        assert totals == [177, 177, 176]
        assert totals[1] / totals[0] >= D("0.95") and totals[2] / totals[1] >= D("0.85")

    @pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
    def test_every_drafted_text_is_a_verbatim_span(self, seed):
        """Rule texts and node texts, the whole document drafted: spans of the seed with its line breaks removed
        (stricter than the whitespace/NFKC normalisation the measurement allows)."""
        data, _ = draft(SEEDS / seed)
        flat = (SEEDS / seed).read_text(encoding="utf-8").replace("\n", "")
        texts = [r["text"] for r in drafted_rules(data["indicators"])] + list(_node_texts(data["indicators"]))
        assert texts and [t for t in texts if not t or t not in flat] == []

    def test_township_split_clauses_as_the_bundled_rubric(self, seed_drafts):
        """附件1 “三集中三到位” ③: one line, four clauses, four rules with their own amounts (hand-read)."""
        rules = {r["id"]: r for r in drafted_rules(seed_drafts["hengnan-2020-township"][0]["indicators"])}
        assert [(rules[i]["kind"], rules[i].get("amount") or rules[i].get("per"), rules[i]["text"])
                for i in ("1.3.3a", "1.3.3b", "1.3.3c", "1.3.3d")] == [
            ("flat", D(2), "业务未向政务一体化平台集中办理，电子监察不到位扣 2 分"),
            ("per_count", D("0.5"), "业务办件超期，预警每次扣0.5分"),
            ("per_count", D(1), "系统亮黄灯每次扣1 分"),
            ("per_count", D(2), "亮红灯每次扣 2 分")]

    def test_pending_says_why(self, seed_drafts):
        """The rows a person must look at: the rate rules' rounding, the clause without an amount, the facts."""
        _, pending = seed_drafts["hengnan-2020-township"]
        assert set(pending) == {"id", "applies_to", "1.1.1b", "2.2.1", "5.1", "5.2a", "5.3", "6"}
        assert "rounding" in pending["5.1"] and "未写扣分额度" in pending["2.2.1"]


def _node_texts(nodes):
    for n in nodes:
        if n.get("text"):
            yield n["text"]
        yield from _node_texts(n.get("children", []))


#: The four fictitious example documents (examples/*/示例文件.md), against their rubrics. Measured before the
#: draft was adjusted to them: 51 rules, 48 found (94.1%), 41 of them matching (85.4%) — docs/dev/draft.md says which.
EXAMPLES = {
    "county-not-applicable": (13, 13, 13),
    "staged-website": (15, 15, 15),
    "township-earned-monthly": (12, 12, 12),
    "weighted-website-newmedia": (11, 11, 11),
}


class TestMeasuredOnTheExamples:
    @pytest.mark.parametrize("name", list(EXAMPLES))
    def test_share_found_and_matching(self, name):
        folder = ROOT / "examples" / name
        bundled = load_model(Rubric, folder / "rubric.yaml")
        data, _ = draft(folder / bundled.source.file)
        assert measure(bundled, data) == (*EXAMPLES[name], [], [])
        flat = (folder / bundled.source.file).read_text(encoding="utf-8").replace("\n", "")
        assert [r["text"] for r in drafted_rules(data["indicators"]) if r["text"] not in flat] == []


# --- phrases and clauses ---------------------------------------------------------------------------------------

class TestPhrases:
    @pytest.mark.parametrize("name", list(PHRASES))
    def test_each_phrase_reads_its_example(self, name):
        """The table's example clause for each phrasing is read by its pattern (on the mirror)."""
        phrase = PHRASES[name]
        assert re.search(phrase.pattern, mirror(phrase.example)), phrase.example

    def test_mirror_keeps_positions(self):
        """Traditional characters and full-width punctuation are matched, the original text is cut."""
        text = "對各項考核指標計分不超過該單項底分，扣０．５分"
        assert len(mirror(text)) == len(text) and mirror(text).endswith("扣0.5分")


def read(line: str, previous_levels=None) -> list[tuple]:
    """(text, kind, the fields other than text and kind) of each rule drafted from one line."""
    out = []
    for c in clauses(line):
        for d in rules_of(c, previous_levels):
            fields = {k: v for k, v in d.fields.items() if k not in ("text", "kind")}
            out.append((d.fields["text"], d.fields["kind"], fields))
    return out


class TestClauses:
    """Hand-read clauses, one per phrasing of the issue, and where a clause ends."""

    @pytest.mark.parametrize(("line", "expected"), [
        ("每发现一个扣0.5 分。", [("每发现一个扣0.5 分", "per_count", {"per": D("0.5")})]),
        ("未实行好差评扣5分", [("未实行好差评扣5分", "flat", {"amount": D(5)})]),
        ("压缩企业开办时间视完成情况扣 1-3 分。", [("压缩企业开办时间视完成情况扣 1-3 分", "discretionary",
                                             {"min": D(1), "max": D(3)})]),
        ("工作质量有欠缺的,视情扣分。", [("工作质量有欠缺的,视情扣分", "discretionary", {})]),
        ("每次扣1分,扣完10分为止", [("每次扣1分,扣完10分为止", "per_count", {"per": D(1), "cap": D(10)})]),
        ("每件次加0.5分,累计不超过2分。", [("每件次加0.5分,累计不超过2分", "bonus", {"per": D("0.5"), "cap": D(2)})]),
        ("年度办件量低于500扣2分。", [("年度办件量低于500扣2分", "threshold", {"below": D(500), "amount": D(2)})]),
        ("评价率低于 80%扣 1分", [("评价率低于 80%扣 1分", "threshold", {"below": D(80), "amount": D(1), "percent": True})]),
        ("村级可办事项低于44项，每少一项扣0.1分", [("村级可办事项低于44项，每少一项扣0.1分", "shortfall",
                                          {"target": D(44), "per": D("0.1")})]),
        ("接通率低于 98%，每下降 1 个百分点，扣 0.5 分。", [("接通率低于 98%，每下降 1 个百分点，扣 0.5 分", "rate_shortfall",
                                                {"target": D(98), "step": D(1), "per": D("0.5")})]),
        ("被国、省、市通报批评，该年绩效考核一票否决", [("被国、省、市通报批评，该年绩效考核一票否决", "veto",
                                             {"levels": ["国家", "省", "市"]})]),
        ("出现严重表述错误的，单项否决", [("出现严重表述错误的，单项否决", "veto", {"effect": "stop"})]),
        ("被表彰的，加2分", [("被表彰的，加2分", "bonus", {"amount": D(2)})]),
        ("有创新做法的，视情加1-3分", [("有创新做法的，视情加1-3分", "discretionary",
                                  {"min": D(1), "max": D(3), "bonus": True})]),
        ("被国家、省、市通报的,每次分别扣2分、1分、0.5分", [
            ("被国家、省、市通报的,每次分别扣2分、1分、0.5分", "per_level", {"amounts": {"国家": D(2), "省": D(1), "市": D("0.5")}})]),
        ("被通报的，国家级每次扣5分，省级每次扣3分", [("被通报的，国家级每次扣5分，省级每次扣3分", "per_level",
                                           {"amounts": {"国家": D(5), "省": D(3)}})]),
        ("对虚报数据的,将取消年度评价资格。", [("对虚报数据的,将取消年度评价资格", "disqualify", {})]),
        ("内容全面规范的得5分，部分达到的酌情得分，未达到的不得分。", [
            ("内容全面规范的得5分，部分达到的酌情得分，未达到的不得分", "earned", {"points": D(5)})]),
        ("每月发布信息应不少于40条，当月不足40条的，每出现一个月扣5分。", [
            ("每月发布信息应不少于40条，当月不足40条的，每出现一个月扣5分", "periodic",
             {"every": "month", "min": D(40), "per": D(5), "unit": "条"})]),
        ("按照《某细则》要求进行扣分", [("按照《某细则》要求进行扣分", "external", {"document": "《某细则》"})]),
        ("未按要求上报数据的。", [("未按要求上报数据的", "unscored", {})]),
    ])
    def test_phrasing(self, line, expected):
        assert read(line) == expected

    def test_several_amounts_several_rules(self):
        """A clause ends at its amount; the next starts after the comma (衡南 附件1 ③)."""
        assert [(t, k) for t, k, _ in read("业务办件超期，预警每次扣0.5分，系统亮黄灯每次扣1 分，亮红灯每次扣 2 分。")] == [
            ("业务办件超期，预警每次扣0.5分", "per_count"), ("系统亮黄灯每次扣1 分", "per_count"),
            ("亮红灯每次扣 2 分", "per_count")]

    def test_two_targets_share_one_amount(self):
        """The first rule's text runs to the shared amount, the second starts at its own clause (衡南 1.1.1)."""
        assert read("乡镇可办事项低于61项，随机抽取一个村可办事项低于44项，每少一项扣0.1分。") == [
            ("乡镇可办事项低于61项，随机抽取一个村可办事项低于44项，每少一项扣0.1分", "shortfall", {"target": D(61), "per": D("0.1")}),
            ("随机抽取一个村可办事项低于44项，每少一项扣0.1分", "shortfall", {"target": D(44), "per": D("0.1")})]

    def test_a_parenthesised_note_is_not_a_clause(self):
        assert read("未按要求公开的，每次扣0.5分。（每月底系统抽检）") == [
            ("未按要求公开的，每次扣0.5分", "per_count", {"per": D("0.5"), "note": "原文注明“（每月底系统抽检）”"})]

    def test_levels_carried_from_the_sentence_before(self):
        assert read("受到批评的,分别扣3分、2 分、1分", ["国家", "省", "市"])[0][2] == {
            "amounts": {"国家": D(3), "省": D(2), "市": D(1)}}


# --- a .docx and an .xlsx with merged cells --------------------------------------------------------------------

#: A fictitious 示例 scoring table: 序号 and 一级指标 merged down their rows, one 分值 cell merged over 政务公开's
#: two items, the veto row merged across three columns.
ROWS = [
    ["序号", "一级指标", "二级指标", "评分标准", "分值"],
    ["1", "政务服务", "窗口服务", "窗口工作人员无故离岗的，每次扣1分。\n未实行一次性告知的，扣2分。", "30"],
    ["1", "政务服务", "网上办理", "网上办件超期的，每件扣0.5分，累计不超过5分。\n网办率低于80%，每下降1个百分点，扣0.2分。", "20"],
    ["1", "政务服务", "好差评", "差评整改不到位的，视情况扣1-3分。", "10"],
    ["2", "政务公开", "信息发布", "被市级通报批评的，每次扣2分；被国家、省通报批评的，分别扣5分、3分。", "40"],
    ["2", "政务公开", "依申请公开", "依申请公开答复超期的，每件扣1分，扣完15分为止。", "40"],
    ["3", "发生重大安全事故的，实行一票否决。", "发生重大安全事故的，实行一票否决。", "发生重大安全事故的，实行一票否决。", ""],
]
#: Merged ranges as (first row, first column, last row, last column), 0-based over ROWS.
MERGED = [(1, 0, 3, 0), (1, 1, 3, 1), (4, 0, 5, 0), (4, 1, 5, 1), (4, 4, 5, 4), (6, 1, 6, 3)]
HEAD = ["示例县政务服务管理办公室", "示县政服办〔2026〕2号", "关于印发《示例县2026年度政务服务工作考核办法（示例）》的通知",
        "示例文件，内容虚构，不是任何机关的真实文件。", "一、考核时间", "2026年1月1日至2026年12月31日。", "附件1", "乡镇考核细则"]

#: The tree worked out by hand from ROWS: 1 and 2 from the merged 一级指标, 2's 40 points from the merged 分值 cell,
#: 2.2.1's 扣完15分为止 kept as its own cap (the item has no points of its own), 3 named after its kind.
TREE = [
    {"id": "1", "name": "政务服务", "children": [
        {"id": "1.1", "name": "窗口服务", "points": D(30), "rules": [
            {"id": "1.1.1", "kind": "per_count", "text": "窗口工作人员无故离岗的，每次扣1分", "per": D(1)},
            {"id": "1.1.2", "kind": "flat", "text": "未实行一次性告知的，扣2分", "amount": D(2)}]},
        {"id": "1.2", "name": "网上办理", "points": D(20), "rules": [
            {"id": "1.2.1", "kind": "per_count", "text": "网上办件超期的，每件扣0.5分，累计不超过5分", "per": D("0.5"), "cap": D(5)},
            {"id": "1.2.2", "kind": "rate_shortfall", "text": "网办率低于80%，每下降1个百分点，扣0.2分",
             "target": D(80), "step": D(1), "per": D("0.2")}]},
        {"id": "1.3", "name": "好差评", "points": D(10), "rules": [
            {"id": "1.3.1", "kind": "discretionary", "text": "差评整改不到位的，视情况扣1-3分", "min": D(1), "max": D(3)}]}]},
    {"id": "2", "name": "政务公开", "points": D(40), "children": [
        {"id": "2.1", "name": "信息发布", "rules": [
            {"id": "2.1.1a", "kind": "per_count", "text": "被市级通报批评的，每次扣2分", "per": D(2)},
            {"id": "2.1.1b", "kind": "per_level", "text": "被国家、省通报批评的，分别扣5分、3分", "amounts": {"国家": D(5), "省": D(3)}}]},
        {"id": "2.2", "name": "依申请公开", "rules": [
            {"id": "2.2.1", "kind": "per_count", "text": "依申请公开答复超期的，每件扣1分，扣完15分为止", "per": D(1), "cap": D(15)}]}]},
    {"id": "3", "name": "一票否决", "rules": [{"id": "3.1", "kind": "veto", "text": "发生重大安全事故的，实行一票否决"}]},
]


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    for line in HEAD:
        d.add_paragraph(line)
    table = d.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    for r1, c1, r2, c2 in MERGED:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    covered = {(i, j) for r1, c1, r2, c2 in MERGED for i in range(r1, r2 + 1) for j in range(c1, c2 + 1)
               if (i, j) != (r1, c1)}
    for i, row in enumerate(ROWS):
        for j, text in enumerate(row):
            if (i, j) not in covered:  # a merged cell is written once, at its first position
                table.cell(i, j).text = text
    d.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["附件1 乡镇考核细则"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    for row in ROWS:
        ws.append([float(x) if re.fullmatch(r"\d+", x) else x for x in row])
    for r1, c1, r2, c2 in MERGED:
        if (r1, c1) != (r2, c2):
            ws.merge_cells(start_row=r1 + 2, start_column=c1 + 1, end_row=r2 + 2, end_column=c2 + 1)
    wb.save(path)
    return path


class TestDocx:
    def test_merged_cells_draft_to_the_hand_worked_tree(self, tmp_path):
        data, pending = draft(make_docx(tmp_path / "示例细则.docx"))
        assert data["indicators"] == TREE
        assert data["points"] == 100  # 30 + 20 + 10 + 40; the veto has none
        assert data["source"] == {"title": "示例县2026年度政务服务工作考核办法（示例）", "issuer": "示例县政务服务管理办公室",
                                  "doc_no": "示县政服办〔2026〕2号", "file": "示例细则.docx", "part": "附件1 乡镇考核细则"}
        assert (data["period"], data["applies_to"]) == ({"start": date(2026, 1, 1), "end": date(2026, 12, 31)}, ["乡镇"])
        assert set(pending) == {"id", "applies_to", "1.2.2", "3"}

    def test_every_text_is_a_span_of_a_cell(self, tmp_path):
        import docx

        path = make_docx(tmp_path / "示例细则.docx")
        d = docx.Document(path)
        cells = ["".join(c.text.splitlines()) for t in d.tables for r in t.rows for c in r.cells]
        data, _ = draft(path)
        assert [r["text"] for r in drafted_rules(data["indicators"]) if not any(r["text"] in c for c in cells)] == []

    def test_the_draft_validates_once_its_pending_rounding_is_chosen(self, tmp_path):
        """Written as YAML, read back with kaohe's own loader: only the rate rule's rounding is missing."""
        data, pending = draft(make_docx(tmp_path / "示例细则.docx"))
        out = tmp_path / "草稿.yaml"
        out.write_text(to_yaml({**data, "id": "example-draft"}, pending), encoding="utf-8")
        raw, _ = load_yaml(out)
        with pytest.raises(ValidationError, match="rounding"):
            Rubric.model_validate(raw)
        raw["indicators"][0]["children"][1]["rules"][1]["rounding"] = "whole_steps_down"
        rubric = Rubric.model_validate(raw)
        assert (len(rubric.rules), rubric.points, rubric.rules["1.2.1"].cap) == (9, 100, 5)

    def test_the_rounding_reason_names_the_words_of_the_workbook(self, tmp_path):
        """The clerk reads the reason in the workbook and picks from its 计步方式 drop-down: the reason names those
        words (and the YAML values for the YAML route)."""
        from kaohe.workbook import ENUMS

        _, pending = draft(make_docx(tmp_path / "示例细则.docx"))
        why = pending["1.2.2"]
        assert "「计步方式」" in why and [w for w in ENUMS["rounding"].values() if f"“{w}”" not in why] == []
        assert [v for v in ENUMS["rounding"] if v not in why.split("YAML", 1)[1]] == []


#: Another common layout: 序号 numbers rows, 考核项目 merged over two rows that each have their own 分值, the
#: 分值 column before a description column and the 评分标准, and a 得分 column left blank.
ROWS_2 = [
    ["序号", "考核项目", "分值", "考核内容", "评分标准", "得分"],
    ["1", "主动公开", "10", "按要求公开政府信息", "未按时公开的，发现一次扣1分；最多扣5分。", ""],
    ["2", "主动公开", "10", "栏目维护", "栏目空白的，扣2分/处。", ""],
    ["3", "依申请公开", "20", "依法答复", "答复超期的，该项不得分。", ""],
    ["4", "平台建设", "60", "网站运维", "网站首页可用率低于95%的，扣5分；每降低1%扣1分。", ""],
]
#: Worked by hand: 主动公开's two rows become two items named by their 考核内容; 该项不得分 costs the item's 20.
TREE_2 = [
    {"id": "1", "name": "主动公开", "children": [
        {"id": "1.1", "name": "按要求公开政府信息", "points": D(10), "rules": [
            {"id": "1.1.1", "kind": "per_count", "text": "未按时公开的，发现一次扣1分；最多扣5分", "per": D(1), "cap": D(5)}]},
        {"id": "1.2", "name": "栏目维护", "points": D(10), "rules": [
            {"id": "1.2.1", "kind": "per_count", "text": "栏目空白的，扣2分/处", "per": D(2)}]}]},
    {"id": "2", "name": "依申请公开", "points": D(20), "rules": [
        {"id": "2.1", "kind": "flat", "text": "答复超期的，该项不得分", "amount": D(20)}]},
    {"id": "3", "name": "平台建设", "points": D(60), "rules": [
        {"id": "3.1a", "kind": "threshold", "text": "网站首页可用率低于95%的，扣5分", "below": D(95), "amount": D(5), "percent": True},
        {"id": "3.1b", "kind": "rate_shortfall", "text": "每降低1%扣1分", "target": D(95), "step": D(1), "per": D(1)}]},
]


class TestDocxRowsWithTheirOwnPoints:
    def test_hand_worked_tree(self, tmp_path):
        import docx

        d = docx.Document()
        d.add_paragraph("关于印发《示例县2026年度政务公开工作考核细则（示例）》的通知")
        table = d.add_table(rows=len(ROWS_2), cols=len(ROWS_2[0]))
        table.cell(1, 1).merge(table.cell(2, 1))
        for i, row in enumerate(ROWS_2):
            for j, text in enumerate(row):
                if (i, j) != (2, 1):
                    table.cell(i, j).text = text
        d.save(tmp_path / "示例.docx")
        data, pending = draft(tmp_path / "示例.docx")
        assert data["indicators"] == TREE_2
        assert data["points"] == 100
        assert {k: v for k, v in pending.items() if k[0].isdigit()} == {
            "2.1": "“不得分”：按扣除本项全部分值（20 分）起草，请确认",
            "3.1b": "目标值 95% 取自前一句；不足一步的部分如何计（计步方式：整步（不足一步不扣）、整步（不足一步按一步）或按比例）原文未写，请确认"}


#: The county layout (examples/county-from-document): 一级指标 merged down its rows with its points in its name, a
#: part of bonus clauses only, and a heading cell 一票否决 beside one cell merged across 二级指标, 分值 and 考核内容.
COUNTY = [
    ("政务服务（10分）", "窗口服务", "10", ["1.窗口工作人员无故离岗的，每次扣1分。"]),
    ("加分项（2分）", "表彰", "2", ["1.获省级表彰的加2分。"]),
    ("一票否决", None, "", ["1.被市级以上通报批评的，实行一票否决。", "2.发生重大安全事故的，实行一票否决。"]),
]


def make_county_docx(path: Path, prose: list[str] = ()) -> Path:
    import docx

    d = docx.Document()
    for line in ["关于印发《示例县2026年度考核细则（示例）》的通知", *prose]:
        d.add_paragraph(line)
    table = d.add_table(rows=1 + len(COUNTY), cols=4)
    for j, text in enumerate(["一级指标", "二级指标", "分值", "考核内容及评分标准"]):
        table.cell(0, j).text = text
    for i, (level1, level2, points, lines) in enumerate(COUNTY, start=1):
        table.cell(i, 0).text = level1
        if level2 is None:
            cell = table.cell(i, 1).merge(table.cell(i, 3))
        else:
            table.cell(i, 1).text, table.cell(i, 2).text = level2, points
            cell = table.cell(i, 3)
        cell.text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
    d.save(path)
    return path


class TestCountyLayout:
    def test_a_row_merged_across_the_content_columns_keeps_its_clauses(self, tmp_path):
        """The heading cell 一票否决 names a part of its own; the clauses of the merged cell are its rules."""
        data, _ = draft(make_county_docx(tmp_path / "示例.docx"))
        veto = data["indicators"][2]
        assert veto == {"id": "3", "name": "一票否决", "text": "一票否决", "rules": [
            {"id": "3.1", "kind": "veto", "text": "被市级以上通报批评的，实行一票否决", "levels": ["国家", "省", "市"]},
            {"id": "3.2", "kind": "veto", "text": "发生重大安全事故的，实行一票否决"}]}
        assert [r["text"] for r in drafted_rules(data["indicators"][:2])] == [
            "窗口工作人员无故离岗的，每次扣1分", "获省级表彰的加2分"]  # no rule made of the heading word

    def test_first_level_points_written_in_the_name(self, tmp_path):
        data, _ = draft(make_county_docx(tmp_path / "示例.docx"))
        assert [(n["name"], n.get("text"), n.get("points")) for n in data["indicators"][:2]] == [
            ("政务服务", "政务服务（10分）", D(10)), ("加分项", "加分项（2分）", D(2))]

    def test_a_part_of_bonus_clauses_starts_from_zero(self, tmp_path):
        """Alone, 加分项 starts from zero; the total is left as the document's parts make it."""
        data, pending = draft(make_county_docx(tmp_path / "示例.docx"))
        assert [n.get("start") for n in data["indicators"]] == [None, "zero", None]
        assert "aggregate" not in data and "aggregate" not in pending

    def test_added_to_a_total_that_leaves_it_out(self, tmp_path):
        """满分10分 and the other parts make 10: the 加分项 is added on top (aggregate: sum), 待确认 with why."""
        data, pending = draft(make_county_docx(tmp_path / "示例.docx", ["考核满分10分，加分项另行计算。"]))
        assert data["aggregate"] == "sum" and data["indicators"][1]["start"] == "zero"
        assert pending["aggregate"].startswith("「加分项」只有加分条款，按从零起计起草；文件的总分（满分10分）不含它")


class TestXlsx:
    def test_the_same_table_in_a_workbook_drafts_the_same_tree(self, tmp_path):
        data, _ = draft(make_xlsx(tmp_path / "示例细则.xlsx"))
        assert data["indicators"] == TREE
        assert data["source"]["part"] == "附件1 乡镇考核细则" and data["applies_to"] == ["乡镇"]


class TestText:
    """The same table saved as text: merged cells are empty below their first row, so 政务公开's 40 points stand
    on 信息发布 alone (as in 衡南 附件2 数据资源, which has no points of its own) — the rules are the same."""

    def check(self, path: Path):
        data, pending = draft(path)
        assert drafted_rules(data["indicators"]) == drafted_rules(TREE)
        assert [(n["id"], n.get("points")) for n in data["indicators"][0]["children"]] == [
            ("1.1", D(30)), ("1.2", D(20)), ("1.3", D(10))]
        assert "2.2" in pending  # 依申请公开: no points found

    def rows_as_text(self):
        """ROWS as a text export shows them: a merged cell written in its first row only."""
        covered = {(i, j) for r1, c1, r2, c2 in MERGED for i in range(r1, r2 + 1) for j in range(c1, c2 + 1)
                   if (i, j) != (r1, c1)}
        return [[("" if (i, j) in covered else x) for j, x in enumerate(row)] for i, row in enumerate(ROWS)]

    def test_cells_separated_by_tabs(self, tmp_path):
        import csv

        path = tmp_path / "示例细则.txt"
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(HEAD) + "\n")
            csv.writer(fh, delimiter="\t", lineterminator="\n").writerows(self.rows_as_text())
        self.check(path)

    def test_markdown_table(self, tmp_path):
        path = tmp_path / "示例细则.md"
        rows = ["| " + " | ".join(x.replace("\n", "<br>") for x in row) + " |" for row in self.rows_as_text()]
        path.write_text("\n".join([*HEAD, rows[0], "|---|---|---|---|---|", *rows[1:]]) + "\n", encoding="utf-8")
        self.check(path)


class TestUnreadable:
    @pytest.mark.parametrize(("name", "content", "said"), [
        ("坏.docx", b"not a zip", "无法打开"),
        ("坏.xlsx", b"PK\x03\x04broken", "无法打开"),
        ("文件.pdf", b"%PDF-1.4", "只支持 .docx、.xlsx 和纯文本"),
        ("乱码.txt", b"\xff\xfe\xfa\xfb\xfc", "无法识别的文字编码"),
    ])
    def test_named_in_chinese(self, tmp_path, name, content, said):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError) as exc:
            draft(path)
        assert name in str(exc.value) and said in str(exc.value)

    def test_a_document_with_nothing_to_score_is_read_and_said_so(self, tmp_path):
        import docx

        d = docx.Document()
        d.add_paragraph("关于召开会议的通知")
        d.save(tmp_path / "通知.docx")
        data, pending = draft(tmp_path / "通知.docx")
        assert data["indicators"] == [] and "未找到评分表或计分条款" in pending["indicators"]

    def test_missing_file(self, tmp_path):
        with pytest.raises(InputError, match="找不到考核文件"):
            draft(tmp_path / "没有.docx")


# --- the command -----------------------------------------------------------------------------------------------

class TestCommand:
    def test_writes_the_draft_and_says_how_much_is_pending(self, tmp_path, capsys):
        out = tmp_path / "草稿.yaml"
        assert main(["rubric", "draft", str(SEED_000), "--part", "附件1", "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert "15 个指标，47 条规则，8 项待确认" in err
        assert "待确认 5.1：" in err
        raw, _ = load_yaml(out)  # kaohe's own loader: no aliases, no duplicate keys
        assert count(raw) == (15, 47)
        assert "  # 待确认：" in out.read_text(encoding="utf-8")

    def test_unreadable_input_exits_2_naming_the_file(self, tmp_path, capsys):
        bad = tmp_path / "细则.docx"
        bad.write_bytes(b"not a zip")
        assert main(["rubric", "draft", str(bad), "--out", str(tmp_path / "x.yaml")]) == 2
        assert str(bad) in capsys.readouterr().err
        assert not (tmp_path / "x.yaml").exists()

    def test_out_must_be_yaml(self, tmp_path, capsys):
        assert main(["rubric", "draft", str(SEED_000), "--out", str(tmp_path / "x.csv")]) == 2
        assert "--out 应为" in capsys.readouterr().err

    def test_a_part_no_table_has(self, tmp_path, capsys):
        assert main(["rubric", "draft", str(SEED_000), "--part", "附件9", "--out", str(tmp_path / "x.yaml")]) == 2
        assert "附件1 乡镇（街道）考核细则、附件2 县直部门考核细则" in capsys.readouterr().err
