"""kaohe rubric lint: the document's own inconsistencies; and a declared per-rule cap (累计不超过)."""

import pandas as pd

from kaohe.lint import lint
from kaohe.rubric import load_rubric
from kaohe.scoring import score

SMALL = """\
id: small
version: 1
title: 小细则
source: {title: 文件, issuer: 办公室, doc_no: 〔2019〕1号, file: x.txt}
period: {start: 2019-01-01, end: 2019-12-31}
applies_to: [乡镇]
points: 30
points_reading: 按原文的总分 30 分计（各项合计 12 分）
grades: {text: t, reading: r, bands: [{grade: 合格, min: 18}, {grade: 不合格}]}
indicators:
  - id: "1"
    name: 深化重点领域信息公开
    points: 12
    reading: 按原文本项 12 分计（两个分项合计 11 分）
    children:
      - id: "1.1"
        name: 甲
        points: 6
        rules:
          - {id: 1.1.1, kind: per_count, per: 0.5, cap: 2, text: 每件次扣0.5分累计不超过2分}
      - id: "1.2"
        name: 乙
        points: 5
        rules:
          - {id: 1.2.1, kind: flat, amount: 8, text: 扣8分}
  - id: "2"
    name: 丙
    rules:
      - {id: 2.1.1, kind: unscored, text: 未按要求上报的}
"""


def small(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL, encoding="utf-8")
    return load_rubric(p)


class TestLint:
    def test_finds_each_inconsistency(self, tmp_path):
        """Children 6 + 5 = 11 ≠ 12; total 12 ≠ 30; 扣8分 in a 5-point item; 丙 has no points; 2.1.1 no amount."""
        found = {(f.severity, f.where): f.message for f in lint(small(tmp_path))}
        assert "下级分值合计 11 分，与本项 12 分不符" in found[("警告", "1 深化重点领域信息公开")]
        assert "各指标分值合计 12 分，与总分 30 分不符" in found[("警告", "small")]
        assert "单项扣分 8 分超过所在指标分值 5 分" in found[("警告", "1.2.1（1.2 乙）")]
        assert "没有单独分值" in found[("警告", "2 丙")]
        assert "未规定扣分额度" in found[("警告", "2.1.1（2 丙）")]

    def test_bundled_township_rubric_adds_up(self):
        messages = [f.message for f in lint(load_rubric("hengnan-2020-township"))]
        assert not any("不符" in m for m in messages)
        assert any("与一票否决条款" in m for m in messages)  # 5.5 被市级通报批评 vs the veto


class TestDeclaredRuleCap:
    def test_cumulative_cap(self, tmp_path):
        """每件次扣0.5分累计不超过2分: 2 + 2 + 2 件次 → 1, 1, 0 (capped at 2); score 30 − 2 = 28."""
        ev = pd.DataFrame([{"id": f"E{i}", "unit": "甲镇", "rule": "1.1.1", "date": f"2019-0{i}-01", "count": 2}
                           for i in (1, 2, 3)])
        r = score(small(tmp_path), pd.DataFrame({"unit": ["甲镇"], "category": ["乡镇"]}), ev)
        assert list(r.ledger["applied"]) == [1, 1, 0]
        assert r.ledger.loc[2, "capped_by"] == "1.1.1" and "累计不超过 2 分" in r.ledger.loc[2, "reason"]
        assert r.units.loc[0, "total"] == 28
