"""How long the steering views' queries take for one convention among a thousand
(1,44 million measurements, `ctg demo-data`), on PostgreSQL. `make bench` prints the timings."""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.queries.actions import actions_frame, plan_frame
from ctg_data.queries.filters import Filters
from ctg_data.queries.indicators import commune_latest, indicators_frame
from ctg_data.queries.overview import lever_totals, steering_summary

TODAY = date(2026, 11, 26)


def convention_filters(engine) -> Filters:
    with Session(engine) as session:
        middle = session.exec(select(col(m.Convention.id)).where(m.Convention.code == "ctg-s1-0500")).one()
        whole = select(func.count()).select_from(m.Measurement).where(col(m.Measurement.insee_code).is_(None))
        assert session.exec(whole).one() == 1_000 * 36 * 40
    assert middle is not None
    return Filters(convention_id=middle)


def test_bench_indicators_of_one_convention(benchmark, national_engine):
    filters = convention_filters(national_engine)
    frame = benchmark(indicators_frame, national_engine, filters, TODAY)
    assert len(frame) == 36 and frame["current_value"].notna().all()


def test_bench_actions_of_one_convention(benchmark, national_engine):
    frame = benchmark(actions_frame, national_engine, convention_filters(national_engine), TODAY)
    assert len(frame) == 40


def test_bench_steering_summary(benchmark, national_engine):
    summary = benchmark(steering_summary, national_engine, convention_filters(national_engine), TODAY)
    assert len(summary["domains"]) == 10


def test_bench_lever_totals_for_a_year(benchmark, national_engine):
    filters = Filters(convention_id=convention_filters(national_engine).convention_id, year=2024)
    totals = benchmark(lever_totals, national_engine, filters)
    assert 1 <= len(totals) <= 3  # the bonus, and coordination or subsidies when the year has them


def test_bench_bonus_reconciliation_of_one_convention_over_three_years(benchmark, national_engine):
    from ctg_data.reports.bonus_report import bonus_reconciliation

    convention_id = convention_filters(national_engine).convention_id
    frame = benchmark(bonus_reconciliation, national_engine, convention_id, (2023, 2024, 2025))
    assert len(frame) == 14 * 3


def test_bench_plan_of_one_convention_rolled_up_through_its_levels(benchmark, national_engine):
    frame = benchmark(plan_frame, national_engine, convention_filters(national_engine), TODAY)
    assert len(frame) == 4 + 10 + 40  # enjeux, objectifs, fiches


def test_bench_commune_breakdown_of_one_indicator(benchmark, national_engine):
    filters = convention_filters(national_engine)
    with Session(national_engine) as session:
        indicator = session.exec(
            select(m.Indicator.id).where(m.Indicator.convention_id == filters.convention_id, m.Indicator.code == "I-01")
        ).one()
    frame = benchmark(commune_latest, national_engine, indicator, TODAY)
    assert len(frame) == 2  # the convention's two communes, the latest value of each
