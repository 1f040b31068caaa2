"""score(): caps, the veto, grades, ranks, the excellent quota, as_of. Totals worked out by hand."""

from datetime import date
from decimal import Decimal as D

import pandas as pd
import pytest

from kaohe.errors import InputError
from kaohe.numbers import fmt
from kaohe.rubric import load_rubric
from kaohe.scoring import score

TOWN = load_rubric("hengnan-2020-township")
DEPT = load_rubric("hengnan-2020-department")


def roster(*units, category="乡镇"):
    return pd.DataFrame({"unit": list(units), "category": [category] * len(units)})


def ledger(*rows):
    """rows: (unit, rule, date, extra-dict)."""
    out = []
    for i, (unit, rule, day, *extra) in enumerate(rows, start=1):
        out.append({"id": f"E{i}", "unit": unit, "rule": rule, "date": day, **(extra[0] if extra else {})})
    return pd.DataFrame(out, columns=["id", "unit", "rule", "date", "count", "value", "level", "points", "note"])


def totals(result) -> dict[str, str]:
    return {u: fmt(t) for u, t in zip(result.units["unit"], result.units["total"])}


def node(result, unit, node_id):
    n = result.nodes
    return n[(n.unit == unit) & (n.node == node_id)].iloc[0]


class TestTotals:
    def test_no_evidence_is_full_marks_and_every_unit_appears(self):
        r = score(TOWN, roster("甲镇", "乙镇"), ledger())
        assert totals(r) == {"甲镇": "100", "乙镇": "100"}

    def test_decimal_exact(self):
        """2.2.2 每少一项扣0.1分 × 33 = 3.3; 100 − 3.3 = 96.7 and 2.2 keeps 5 − 3.3 = 1.7."""
        r = score(TOWN, roster("甲镇"), ledger(("甲镇", "2.2.2", "2020-05-01", {"count": 33})))
        assert r.units.loc[0, "total"] == D("96.7")
        assert node(r, "甲镇", "2.2")["score"] == D("1.7")

    def test_units_of_other_categories_are_out_of_scope(self):
        ros = pd.DataFrame({"unit": ["甲镇", "部门A"], "category": ["乡镇", "县直部门"]})
        r = score(TOWN, ros, ledger(("部门A", "1.1.1", "2020-05-01")))
        assert list(r.units["unit"]) == ["甲镇"]

    def test_inputs_are_not_mutated(self):
        ros, ev = roster("甲镇"), ledger(("甲镇", "1.2.1", "2020-05-01"))
        before = ev.copy()
        score(TOWN, ros, ev)
        pd.testing.assert_frame_equal(ev, before)

    def test_invalid_input_raises_with_every_problem(self):
        ev = ledger(("丙镇", "1.2.1", "2020-05-01"), ("甲镇", "9.9.9", "2020-05-01"))
        with pytest.raises(InputError) as exc:
            score(TOWN, roster("甲镇"), ev)
        assert [p.code for p in exc.value.problems] == ["unknown_unit", "unknown_rule"]


class TestCaps:
    def test_node_cap_cuts_the_row_that_crosses_it(self):
        """1.3 “三集中三到位” (15): 亮红灯每次扣 2 分 × 5 = 10 on 3-1, then × 4 = 8 on 6-1:
        the second keeps 15 − 10 = 5; the node scores 0 and the total is 85."""
        ev = ledger(("甲镇", "1.3.3d", "2020-06-01", {"count": 4}), ("甲镇", "1.3.3d", "2020-03-01", {"count": 5}))
        r = score(TOWN, roster("甲镇"), ev)
        rows = r.ledger.set_index("evidence_id")
        assert (rows.loc["E2", "raw"], rows.loc["E2", "applied"], rows.loc["E2", "capped_by"]) == (10, 10, "")
        assert (rows.loc["E1", "raw"], rows.loc["E1", "applied"], rows.loc["E1", "capped_by"]) == (8, 5, "1.3")
        assert "15 分" in rows.loc["E1", "reason"]
        assert node(r, "甲镇", "1.3")["score"] == 0
        assert totals(r) == {"甲镇": "85"}

    def test_flat_rule_is_taken_once(self):
        """1.2.1 扣 3 分 recorded twice: 3 then 0, total 97."""
        ev = ledger(("甲镇", "1.2.1", "2020-03-01"), ("甲镇", "1.2.1", "2020-09-01"))
        r = score(TOWN, roster("甲镇"), ev)
        assert list(r.ledger["applied"]) == [3, 0]
        assert r.ledger.loc[1, "capped_by"] == "1.2.1"
        assert totals(r) == {"甲镇": "97"}

    def test_discretionary_rule_capped_at_its_maximum(self):
        """1.1.4 扣 1-3 分: 2 + 2 recorded → 2 + 1 applied."""
        ev = ledger(("甲镇", "1.1.4", "2020-03-01", {"points": "2", "note": "a"}),
                    ("甲镇", "1.1.4", "2020-09-01", {"points": "2", "note": "b"}))
        r = score(TOWN, roster("甲镇"), ev)
        assert list(r.ledger["applied"]) == [2, 1]

    def test_pooled_points_of_data_resources(self):
        """附件2 数据资源 (5, shared): 3.1.4 每次扣 1 分 × 3 = 3 and 3.2.2 每少一项扣0.1分 × 30 = 3:
        6 raw, 5 applied; 3.1 scores 5 − 3 = 2; 3.2 has no points of its own; total 95."""
        ros = roster("部门A", category="县直部门")
        ev = ledger(("部门A", "3.1.4", "2020-03-01", {"count": 3}), ("部门A", "3.2.2", "2020-06-01", {"count": 30}))
        r = score(DEPT, ros, ev)
        assert list(r.ledger["applied"]) == [3, 2]
        assert r.ledger.loc[1, "capped_by"] == "3"
        assert node(r, "部门A", "3.1")["score"] == 2
        assert node(r, "部门A", "3.2")["score"] is None and node(r, "部门A", "3.2")["deducted"] == 2
        assert node(r, "部门A", "3")["score"] == 0
        assert totals(r) == {"部门A": "95"}

    def test_each_unit_has_its_own_running_sum(self):
        """Caps are cut over all units at once; the running sum restarts with each unit. 1.3 (15):
        甲镇 10 + 8 → 10 + 5; 乙镇, between them in the ledger, 8 → 8 uncut; 丙街道 2 + 2 + 12 → 2 + 2 + 11."""
        ev = ledger(("甲镇", "1.3.3d", "2020-03-01", {"count": 5}), ("乙镇", "1.3.3d", "2020-04-01", {"count": 4}),
                    ("甲镇", "1.3.3d", "2020-06-01", {"count": 4}), ("丙街道", "1.3.3d", "2020-01-01", {"count": 1}),
                    ("丙街道", "1.3.3d", "2020-01-02", {"count": 1}), ("丙街道", "1.3.3d", "2020-01-03", {"count": 6}))
        ros = pd.DataFrame({"unit": ["甲镇", "乙镇", "丙街道"], "category": ["乡镇", "乡镇", "街道"]})
        r = score(TOWN, ros, ev)
        applied = dict(zip(r.ledger["evidence_id"], r.ledger["applied"]))
        assert applied == {"E1": 10, "E3": 5, "E2": 8, "E4": 2, "E5": 2, "E6": 11}
        assert totals(r) == {"甲镇": "85", "乙镇": "92", "丙街道": "85"}

    def test_amounts_too_fine_for_64_bit_integers_stay_exact(self):
        """Caps are cut in integers of the finest decimal place; 18 places on 100 points do not fit in 64
        bits, so Python integers are used. 1.1.4 酌情扣 1-3 分 (at most 3 a year): 2.999999999999999999,
        then 1.000000000000000001 keeps 3 − 2.999999999999999999 = 0.000000000000000001; total 97."""
        ev = ledger(("甲镇", "1.1.4", "2020-01-01", {"points": "2.999999999999999999", "note": "n"}),
                    ("甲镇", "1.1.4", "2020-07-01", {"points": "1.000000000000000001", "note": "n"}))
        r = score(TOWN, roster("甲镇"), ev)
        assert list(r.ledger["applied"]) == [D("2.999999999999999999"), D("0.000000000000000001")]
        assert list(r.ledger["capped_by"]) == ["", "1.1.4"]
        assert node(r, "甲镇", "1.1")["deducted"] == 3
        assert totals(r) == {"甲镇": "97"}

    def test_applied_amounts_reconcile_with_the_total(self):
        ev = ledger(("甲镇", "1.3.3d", "2020-03-01", {"count": 9}), ("甲镇", "4.2.1", "2020-03-02", {"count": 3}),
                    ("甲镇", "1.2.1", "2020-03-03"), ("甲镇", "1.2.1", "2020-03-04"))
        r = score(TOWN, roster("甲镇"), ev)
        assert 100 - r.ledger["applied"].sum() == r.units.loc[0, "total"] == D("77")  # 100 − 15 − 5 − 3


class TestVeto:
    def test_vetoed_unit_fails_and_ranks_last(self):
        """Vetoed at 100 points: 不合格, ranked after 乙镇 at 80, never excellent."""
        ev = ledger(("甲镇", "veto", "2020-05-01", {"level": "省级"}), ("乙镇", "1.3.1", "2020-05-01"),
                    ("乙镇", "3.1.3a", "2020-05-01"), ("乙镇", "4.1.2", "2020-05-01", {"count": 10}))
        r = score(TOWN, roster("甲镇", "乙镇"), ev).units.set_index("unit")
        assert (r.loc["甲镇", "total"], r.loc["甲镇", "grade"], r.loc["甲镇", "rank"]) == (100, "不合格", 2)
        assert bool(r.loc["甲镇", "vetoed"]) and not r.loc["甲镇", "excellent"]
        assert (r.loc["乙镇", "total"], r.loc["乙镇", "grade"], r.loc["乙镇", "rank"]) == (80, "良好", 1)


class TestGrades:
    @pytest.mark.parametrize(("total", "grade"), [
        ("100", "优秀"), ("90", "优秀"), ("89.9", "良好"), ("80", "良好"), ("79.99", "合格"),
        ("60", "合格"), ("59.99", "不合格"), ("0", "不合格")])
    def test_half_open_bands(self, total, grade):
        assert TOWN.grades.grade(D(total)) == grade

    def test_89_9_from_evidence_is_good_not_excellent(self):
        """1.3.1 扣5分 + 1.3.2 视情况扣 5 + 2.2.2 0.1 × 1 = 10.1 → 89.9 良好."""
        ev = ledger(("甲镇", "1.3.1", "2020-05-01"), ("甲镇", "1.3.2", "2020-05-01", {"points": 5, "note": "x"}),
                    ("甲镇", "2.2.2", "2020-05-01", {"count": 1}))
        r = score(TOWN, roster("甲镇"), ev).units
        assert (fmt(r.loc[0, "total"]), r.loc[0, "grade"], bool(r.loc[0, "excellent"])) == ("89.9", "良好", False)


def deduct(unit, amount_tenths, day="2020-05-01"):
    """A row taking amount/10 points through 2.2.2 (0.1 per item) or 4.1.2 (1 per time)."""
    whole, tenths = divmod(amount_tenths, 10)
    rows = []
    if whole:
        rows.append((unit, "4.1.2", day, {"count": whole}))
    if tenths:
        rows.append((unit, "2.2.2", day, {"count": tenths}))
    return rows


class TestRanksAndQuota:
    def test_ties_share_a_rank(self):
        """Totals 99, 99, 98 → ranks 1, 1, 3."""
        ev = ledger(*deduct("甲镇", 10), *deduct("乙镇", 10), *deduct("丙镇", 20))
        r = score(TOWN, roster("甲镇", "乙镇", "丙镇"), ev).units.set_index("unit")
        assert [r.loc[u, "rank"] for u in ("甲镇", "乙镇", "丙镇")] == [1, 1, 3]

    def test_quota_of_six_among_eight_above_ninety(self):
        """Totals 100, 99 … 93 (all ≥ 90): the first six are excellent, 94 and 93 are not."""
        units = [f"镇{i}" for i in range(8)]
        ev = ledger(*[row for i, u in enumerate(units) for row in deduct(u, 10 * i)])
        r = score(TOWN, roster(*units), ev).units.set_index("unit")
        assert [bool(r.loc[u, "excellent"]) for u in units] == [True] * 6 + [False] * 2
        assert all(r.loc[u, "grade"] == "优秀" for u in units)

    def test_tie_across_the_quota_is_reported_not_broken(self):
        """100, 99, 98, 97, 96, then 95 and 95 for the sixth place: both pending, a decision row."""
        units = [f"镇{i}" for i in range(7)]
        cost = [0, 10, 20, 30, 40, 50, 50]
        ev = ledger(*[row for u, c in zip(units, cost) for row in deduct(u, c)])
        res = score(TOWN, roster(*units), ev)
        r = res.units.set_index("unit")
        assert [bool(r.loc[u, "excellent"]) for u in units] == [True] * 5 + [False] * 2
        assert [bool(r.loc[u, "excellent_pending"]) for u in units] == [False] * 5 + [True] * 2
        assert res.decisions.loc[0, "units"] == "镇5、镇6" and res.decisions.loc[0, "places"] == 1

    def test_tie_inside_the_quota_is_excellent(self):
        units = [f"镇{i}" for i in range(7)]
        cost = [0, 0, 10, 20, 30, 40, 50]  # sixth place is 96 alone
        ev = ledger(*[row for u, c in zip(units, cost) for row in deduct(u, c)])
        res = score(TOWN, roster(*units), ev)
        assert list(res.units["excellent"]) == [True] * 6 + [False] and res.decisions.empty

    def test_fewer_than_six_above_ninety(self):
        ev = ledger(*deduct("乙镇", 101))
        r = score(TOWN, roster("甲镇", "乙镇"), ev).units.set_index("unit")
        assert bool(r.loc["甲镇", "excellent"]) and not r.loc["乙镇", "excellent"]


class TestAsOf:
    ROWS = (("甲镇", "4.1.1", "2020-02-28", {"count": 4}), ("甲镇", "4.1.1", "2020-05-31", {"count": 2}),
            ("甲镇", "4.1.1", "2020-08-31", {"count": 2}), ("甲镇", "4.1.1", "2020-11-30", {"count": 6}))

    @pytest.mark.parametrize(("as_of", "expected"), [
        (date(2020, 3, 31), "98"), (date(2020, 6, 30), "97"), (date(2020, 9, 30), "96"),
        (date(2020, 12, 31), "93"), (None, "93"), (date(2020, 1, 31), "100")])
    def test_quarterly_year_to_date(self, as_of, expected):
        """每栏目更新不及时每次扣0.5分: 4 → 2, +2 → 3, +2 → 4, +6 → 7 points lost."""
        r = score(TOWN, roster("甲镇"), ledger(*self.ROWS), as_of=as_of)
        assert totals(r) == {"甲镇": expected}

    def test_latest_measurement_counts(self):
        """接通率 95.5% at 3-31 (2 steps → 1), 97.6% at 9-30 (0), 96.9% at 12-31 (1 step → 0.5)."""
        rows = ledger(("甲镇", "5.1", "2020-03-31", {"value": "95.5"}), ("甲镇", "5.1", "2020-09-30", {"value": "97.6"}),
                      ("甲镇", "5.1", "2020-12-31", {"value": "96.9%"}))
        got = [totals(score(TOWN, roster("甲镇"), rows, as_of=date(2020, m, d)))["甲镇"]
               for m, d in ((3, 31), (9, 30), (12, 31))]
        assert got == ["99", "100", "99.5"]
        final = score(TOWN, roster("甲镇"), rows).ledger
        assert list(final["applied"]) == [0, 0, D("0.5")] and "取代" in final.loc[0, "reason"]
