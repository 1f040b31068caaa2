"""Each rule kind against its clause: expected amounts worked out by hand from seed 000."""

from datetime import date
from decimal import Decimal as D

import pytest

from kaohe.rubric import load_rubric
from kaohe.rules import Finding, amount, get_kind
from kaohe.rules.rate_shortfall import RateShortfallRule

TOWN = load_rubric("hengnan-2020-township").rules
DEPT = load_rubric("hengnan-2020-department").rules


def f(rule_id, **kw) -> Finding:
    return Finding(id="1", unit="u", rule=rule_id, date=date(2020, 6, 30), **kw)


class TestPerCount:
    """附件1 “三集中三到位” ③: 业务办件超期，预警每次扣0.5分."""

    def test_amount_is_per_times_count(self):
        assert amount(TOWN["1.3.3b"], f("1.3.3b", count=3)) == D("1.5")

    def test_blank_count_is_one_occurrence(self):
        assert amount(TOWN["1.3.3b"], f("1.3.3b")) == D("0.5")

    def test_tenths_stay_exact(self):
        """每少一项扣 0.1 分 × 7 is 0.7, not 0.7000000000000001."""
        assert amount(TOWN["1.4.1"], f("1.4.1", count=7)) == D("0.7")


class TestFlat:
    """附件1 “互联网+政务服务” ③: 未实行好差评扣5分."""

    def test_amount(self):
        assert amount(TOWN["3.1.3a"], f("3.1.3a")) == 5

    def test_taken_once_a_year(self):
        assert TOWN["3.1.3a"].effective_cap() == 5


class TestShortfall:
    """附件1 基层公共服务: 乡镇（街道）可办事项低于61项 … 每少一项扣0.1分."""

    @pytest.mark.parametrize(("reached", "expected"), [(55, "0.6"), (60, "0.1"), (61, "0"), (62, "0"), (0, "6.1")])
    def test_each_missing_item_costs_a_tenth(self, reached, expected):
        assert amount(TOWN["1.1.1a"], f("1.1.1a", value=D(reached))) == D(expected)

    def test_village_target_is_44(self):
        assert amount(TOWN["1.1.1b"], f("1.1.1b", value=D(40))) == D("0.4")

    def test_a_fraction_of_an_item_is_refused(self):
        (problem,) = TOWN["1.1.1a"].check(f("1.1.1a", value=D("57.5")))
        assert problem[0] == "value" and "整数" in problem[2]


class TestThreshold:
    """年度办件量低于500扣2分; 评价率低于 80%扣 1分: 'below' is strict."""

    @pytest.mark.parametrize(("n", "expected"), [(499, 2), (500, 0), (501, 0)])
    def test_yearly_cases(self, n, expected):
        assert amount(TOWN["1.1.3"], f("1.1.3", value=D(n))) == expected

    @pytest.mark.parametrize(("rate", "expected"), [("79.99", 1), ("80", 0), ("80.01", 0)])
    def test_rate_in_percent(self, rate, expected):
        assert amount(TOWN["3.1.3b"], f("3.1.3b", value=D(rate))) == expected

    def test_department_amount_is_half(self):
        """附件2: 评价率低于 80%扣 0.5 分."""
        assert amount(DEPT["1.2.4b"], f("1.2.4b", value=D(78))) == D("0.5")

    def test_rate_above_100_is_refused(self):
        assert TOWN["3.1.3b"].check(f("3.1.3b", value=D(101)))


class TestRateShortfall:
    """接通率低于 98%，每下降 1 个百分点，扣 0.5 分, read in whole steps rounded down (R2)."""

    @pytest.mark.parametrize(("rate", "expected"), [
        ("98", "0"), ("99", "0"), ("97.5", "0"), ("97", "0.5"), ("96.5", "0.5"), ("95.2", "1.0"), ("88", "5.0")])
    def test_whole_steps_down(self, rate, expected):
        assert amount(TOWN["5.1"], f("5.1", value=D(rate))) == D(expected)

    def test_department_per_step_is_a_fifth(self):
        """附件2: 按时办结率低于 95%，每下降 1 个百分点扣 0.2 分: 92.5% is 2 whole steps."""
        assert amount(DEPT["5.3a"], f("5.3a", value=D("92.5"))) == D("0.4")

    @pytest.mark.parametrize(("mode", "rate", "expected"), [
        ("proportional", "96.5", "0.75"), ("proportional", "97.9", "0.05"), ("proportional", "97.99", "0.01"),
        ("whole_steps_up", "97.9", "0.5"), ("whole_steps_up", "97", "0.5"), ("whole_steps_up", "96.9", "1.0"),
        ("whole_steps_down", "96.9", "0.5")])
    def test_declared_readings(self, mode, rate, expected):
        rule = RateShortfallRule(kind="rate_shortfall", id="r", text="t", target=98, per=0.5, rounding=mode)
        assert amount(rule, f("r", value=D(rate))) == D(expected)

    def test_proportional_rounds_half_up(self):
        """(98 − 97.99) × 0.25 = 0.0025 → 0.003 at 3 places: 四舍五入, not banker's rounding."""
        rule = RateShortfallRule(kind="rate_shortfall", id="r", text="t", target=98, per=0.25,
                                 rounding="proportional", decimals=3)
        assert amount(rule, f("r", value=D("97.99"))) == D("0.003")

    def test_rounding_must_be_declared(self):
        with pytest.raises(ValueError, match="rounding"):
            RateShortfallRule(kind="rate_shortfall", id="r", text="t", target=98, per=0.5)


class TestDiscretionary:
    """乡镇对村（社区）便民服务中心的业务指导与培训，视完成情况扣 1-3 分."""

    def test_amount_comes_from_the_evidence(self):
        assert amount(TOWN["1.1.4"], f("1.1.4", points=D("2.5"), note="培训 1 次")) == D("2.5")

    @pytest.mark.parametrize("pts", ["1", "3", "2.5"])
    def test_inside_the_range_is_accepted(self, pts):
        assert TOWN["1.1.4"].check(f("1.1.4", points=D(pts), note="理由")) == []

    @pytest.mark.parametrize("pts", ["0.9", "3.1", "0"])
    def test_outside_the_range_is_an_input_error(self, pts):
        (problem,) = TOWN["1.1.4"].check(f("1.1.4", points=D(pts), note="理由"))
        assert problem == ("points", D(pts), "酌情扣分应在 1 至 3 分之间")

    def test_a_reason_is_required(self):
        (problem,) = TOWN["1.1.4"].check(f("1.1.4", points=D(2)))
        assert problem[0] == "note"

    def test_one_judgement_a_year(self):
        assert TOWN["1.1.4"].effective_cap() == 3


class TestVeto:
    """被国、省、市通报批评，该年绩效考核一票否决."""

    @pytest.mark.parametrize("level", ["国家", "省", "市"])
    def test_named_levels_veto(self, level):
        assert TOWN["veto"].check(f("veto", level=level)) == []
        assert amount(TOWN["veto"], f("veto", level=level)) == 0

    def test_county_notice_does_not_veto(self):
        (problem,) = TOWN["veto"].check(f("veto", level="县"))
        assert problem[0] == "level"


class TestUnscored:
    """附件2 数据采集汇聚: 未按要求上报电子印章、电子证照数据的。 (no amount)."""

    def test_recorded_at_no_cost(self):
        assert DEPT["3.2.1"].kind == "unscored"
        assert amount(DEPT["3.2.1"], f("3.2.1")) == 0


class TestRegistry:
    def test_unknown_kind_lists_the_known_ones(self):
        with pytest.raises(KeyError, match="per_count"):
            get_kind("per_cunt")

    def test_registering_twice_is_an_error(self):
        from kaohe.rules import register
        from kaohe.rules.flat import FlatRule

        with pytest.raises(ValueError, match="twice"):
            register(FlatRule)(lambda r, f: 0)


def test_every_kind_has_its_own_chinese_name():
    from kaohe.rules import kinds
    labels = [k.model.label for k in kinds().values()]
    assert all(labels) and len(set(labels)) == len(labels)
