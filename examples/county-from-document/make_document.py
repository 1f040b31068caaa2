"""Builds 示例县考核细则.docx, the fictitious county document of this folder (示例: written by the kaohe team,
no real office, units or 文号), the way such a document is usually laid out: a notice in prose, then the
scoring table with the 一级指标 cell merged down its rows and the 一票否决 row merged across.

    python examples/county-from-document/make_document.py

The .docx is committed; tests/test_from_document.py checks that this script makes the same bytes. Every zip
entry is stamped with one fixed time (python-docx stamps the time of saving), so the bytes do not change.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "示例县考核细则.docx"

#: The notice before the table, one paragraph each.
HEAD = [
    "示例县政务公开政务服务工作领导小组办公室",
    "示县政务办〔2026〕3号",
    "关于印发《示例县2026年度乡镇政务公开政务服务工作考核细则（试行）》的通知",
    "【示例文件，内容虚构】本文件由 kaohe 项目组编写，用来演示从考核文件起草细则；发文机关、文号、单位和条款"
    "均为虚构，不是任何机关的真实文件，不得作为工作依据。",
    "各乡镇人民政府：",
    "为推进全县政务公开和政务服务工作规范化、标准化，经县政务公开政务服务工作领导小组同意，现将"
    "《示例县2026年度乡镇政务公开政务服务工作考核细则（试行）》印发给你们，请认真贯彻执行。",
    "一、考核对象",
    "全县各乡镇人民政府。",
    "二、考核时间",
    "2026年1月1日至2026年12月31日。",
    "三、计分方法",
    "考核实行百分制，按考核细则逐项计分，各二级指标以本项分值为限；加分项另行计算，与百分制得分相加为考核得分。",
    "四、等次评定",
    "考核得分90分以上为优秀，80分以上不足90分为良好，60分以上不足80分为合格，不足60分为不合格。",
    "五、结果运用",
    "考核结果在全县通报，并作为乡镇年度绩效考核的重要依据。",
    "附件：示例县2026年度乡镇政务公开政务服务工作考核细则（试行）",
    "示例县政务公开政务服务工作领导小组办公室",
    "2026年1月5日",
    "附件",
    "示例县2026年度乡镇政务公开政务服务工作考核细则（试行）",
]

HEADER = ["一级指标", "二级指标", "分值", "考核内容及评分标准"]

#: (一级指标, 二级指标, 分值, clauses). Rows with the same 一级指标 are merged into one cell; a row whose 二级指标
#: is None is merged across 二级指标, 分值 and 考核内容 (the 一票否决 row).
ROWS: list[tuple[str, str | None, str, list[str]]] = [
    ("政务公开（50分）", "基础信息公开", "10", [
        "1.未按要求公开机构职能、领导分工、办公地址等基础信息的，每项扣0.5分。",
        "2.政府信息公开专栏栏目空白或内容更新不及时的，每发现一处扣0.5分。",
        "3.重点领域信息公开不全面、不规范的，视情况扣1-3分。",
    ]),
    ("政务公开（50分）", "政策解读与回应", "10", [
        "1.以乡镇名义印发的政策文件未同步发布解读材料的，每件扣1分。",
        "2.解读材料简单照抄文件内容的，每篇扣0.5分。",
        "3.涉及本乡镇的网络舆情未在规定时限内回应的，每次扣2分。",
    ]),
    ("政务公开（50分）", "依申请公开", "10", [
        "1.依申请公开答复超过法定期限的，每件扣2分。",
        "2.答复被行政复议决定纠错或在行政诉讼中败诉的，每件扣3分。",
        "3.未建立依申请公开登记台账的，扣2分。",
    ]),
    ("政务公开（50分）", "政务新媒体", "10", [
        "1.政务新媒体出现错别字、表述错误的，每处扣0.5分，累计不超过3分。",
        "2.政务新媒体连续2周以上未更新的，每次扣1分。",
        "3.政务新媒体被市级以上抽查通报不合格的，扣5分。",
    ]),
    ("政务公开（50分）", "年度报告", "10", [
        "1.未在1月31日前发布上年度政府信息公开工作年度报告的，扣4分。",
        "2.年度报告内容、格式不符合要求的，每处扣0.5分，最多扣2分。",
        "3.未明确政务公开工作分管领导和工作人员的，扣1分。",
    ]),
    ("政务服务（50分）", "事项与办事指南", "10", [
        "1.政务服务事项未在一体化平台认领、发布的，每项扣0.5分。",
        "2.办事指南要素缺失或与实际办理不一致的，每发现一处扣0.5分，扣完为止。",
    ]),
    ("政务服务（50分）", "网上办理", "15", [
        "1.全程网办率低于80%的，每下降1个百分点扣0.5分。",
        "2.办件按时办结率低于95%的，每下降1个百分点扣0.5分。",
        "3.平台办件超期的，每件扣0.2分，累计扣分不超过5分。",
    ]),
    ("政务服务（50分）", "便民服务中心", "10", [
        "1.窗口工作人员无故离岗、脱岗的，每人次扣1分。",
        "2.未落实首问负责、一次性告知制度的，每次扣1分。",
        "3.便民服务中心未实行“一窗受理”的，扣3分。",
    ]),
    ("政务服务（50分）", "“好差评”", "10", [
        "1.未按要求开展政务服务“好差评”工作的，扣5分。",
        "2.办件主动评价率低于90%的，扣2分。",
        "3.差评未在规定时限内整改回访的，每件扣1分。",
    ]),
    ("政务服务（50分）", "12345热线", "5", [
        "1.工单按时办结率低于95%的，每下降1个百分点扣0.5分。",
        "2.工单被群众投诉退回重办的，每件扣0.2分。",
    ]),
    ("加分项（5分）", "创新与表彰", "5", [
        "1.政务公开政务服务工作获国家级表彰的加3分，获省级表彰的加2分，获市级表彰的加1分。",
        "2.经验做法被市级以上政府网站或刊物刊发推广的，每篇加0.5分，最多加2分。",
        "3.承担国家、省、市试点任务并取得明显成效的，视情况加1-2分。",
    ]),
    ("一票否决", None, "", [
        "1.被市级以上通报批评的，实行一票否决。",
        "2.发生泄露国家秘密、个人隐私等严重信息安全事件的，实行一票否决。",
    ]),
]

TAIL = ["注：本细则由示例县政务公开政务服务工作领导小组办公室负责解释。"]

def build() -> bytes:
    """The document's bytes (zip entries stamped with one fixed time, so they are reproducible)."""
    import docx
    from docx.shared import Pt

    from kaohe.files import fixed_zip

    d = docx.Document()
    d.styles["Normal"].font.size = Pt(12)
    for line in HEAD:
        d.add_paragraph(line)
    table = d.add_table(rows=1 + len(ROWS), cols=len(HEADER))
    table.style = "Table Grid"
    for j, text in enumerate(HEADER):
        table.cell(0, j).text = text
    first = 1
    for i, (level1, level2, points, clauses) in enumerate(ROWS, start=1):
        if i == len(ROWS) or ROWS[i][0] != level1:  # the last row of this 一级指标: merge it down
            table.cell(first, 0).merge(table.cell(i, 0)).text = level1
            first = i + 1
        if level2 is None:
            cell = table.cell(i, 1).merge(table.cell(i, 3))
        else:
            table.cell(i, 1).text, table.cell(i, 2).text = level2, points
            cell = table.cell(i, 3)
        cell.text = clauses[0]
        for clause in clauses[1:]:
            cell.add_paragraph(clause)
    for line in TAIL:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return fixed_zip(buf.getvalue())


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    target.write_bytes(build())
    print(f"已写出 {target}")
