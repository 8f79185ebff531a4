"""The joint model on several k-composition benchmarks: data, graph, forecasts (mocked sampling).

The likelihood of two made-up benchmarks beside Skill-Mix is checked term by term in
``test_likelihood_by_hand.py`` (configuration ``benchmarks``); here: the composition table's
cells, the refusals, Skill-Mix through the composition path, and the forecasts per benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _mocked import mocked_joint_fit

from skillfit import datasets
from skillfit.data.composition import from_skillmix
from skillfit.errors import DataValidationError, SkillfitError, SpecError
from skillfit.forecasting import forecast
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.models.skill_graph_data import assemble, combine, split, split_composition

TABLES = ("skillmix", "llm_catalog", "llm_losses")


def made_up(**changes) -> pd.DataFrame:
    """A made-up benchmark ``bench-a``: best of 1, 40 items per cell, all_met (and a
    fraction_met row that is not observed), on a Skill-Mix LLM and a base model without
    Skill-Mix scores."""
    rows = [{"benchmark": "bench-a", "llm": llm, "k": k, "metric": "all_met",
             "value": value, "trials": 40, "generations": 1}
            for llm, values in (("GPT-4", (0.9, 0.725, 0.5)), ("Llama-2-70B", (0.6, 0.3, 0.1)))
            for k, value in zip((1, 2, 3), values, strict=True)]
    rows.append({"benchmark": "bench-a", "llm": "GPT-4", "k": 2, "metric": "fraction_met",
                 "value": 0.9, "trials": 40, "generations": 1})
    table = pd.DataFrame(rows)
    for key, value in changes.items():
        table[key] = value
    return table


def tables() -> list[pd.DataFrame]:
    return [datasets.load(name) for name in TABLES]


def test_combine_and_split_keep_the_composition_rows() -> None:
    joint = combine(*tables(), composition=made_up())
    assert [len(t) for t in split(joint)] == [len(t) for t in tables()]
    back = split_composition(joint)
    assert back is not None and len(back) == len(made_up())
    assert list(back["value"]) == list(made_up()["value"])


def test_assemble_adds_each_benchmarks_cells() -> None:
    """The all_met rows are the cells: round(value trials) of trials; the LLM without
    Skill-Mix scores is added (as its own base); each cell knows its benchmark."""
    x = assemble(*tables(), composition=made_up())
    assert x.benchmarks == ("skillmix", "bench-a")
    assert x.benchmark_generations == (3, 1)
    assert x.benchmark_metrics == ("ratio_of_full_marks", "all_met")
    assert len(x.cell_k) == 34 + 6
    bench = x.benchmark_of_cell()
    assert list(bench) == [0] * 34 + [1] * 6
    assert list(x.cell_n[34:]) == [40] * 6
    # 0.725 * 40 = 29; 0.9 * 40 = 36
    assert list(x.cell_successes[34:]) == [36, 29, 20, 24, 12, 4]
    assert x.llms[-1] == "Llama-2-70B" and x.llms.count("GPT-4") == 1
    assert x.own_loss_llm[x.llms.index("Llama-2-70B")]
    assert x.bases[x.base_of_llm[x.llms.index("Llama-2-70B")]] == "Llama-2-70B"


def test_assemble_fits_the_benchmarks_named() -> None:
    alone = assemble(*tables(), composition=made_up(), benchmarks=["bench-a"])
    assert alone.benchmarks == ("bench-a",) and alone.cell_benchmark is None
    assert len(alone.cell_k) == 6 and alone.llms == ["GPT-4", "Llama-2-70B"]
    assert alone.benchmark_generations == (1,)
    swapped = assemble(*tables(), composition=made_up(), benchmarks=["bench-a", "skillmix"])
    assert swapped.benchmarks == ("bench-a", "skillmix")
    assert list(swapped.benchmark_of_cell()) == [1] * 34 + [0] * 6
    # without a composition table, nothing changes
    assert assemble(*tables()).cell_benchmark is None


@pytest.mark.parametrize("table, message", [
    (made_up(benchmark="skillmix"), "composition data: rows of benchmark 'skillmix': "
     "Skill-Mix scores go in the skillmix table"),
    (made_up().iloc[:6].assign(metric="fraction_met"), "composition data: benchmark 'bench-a' "
     "has only fraction_met rows; the joint model observes all_met or full_marks"),
    (made_up(trials=[40, None, None, 40, 40, 40, 40]), "composition data: benchmark 'bench-a' "
     "has trials for some of its all_met rows but not for GPT-4 k=2, GPT-4 k=3: give them for "
     "every row, or for none"),
    (made_up(generations=[1, 2, 1, 1, 1, 1, 1]), "composition data: benchmark 'bench-a' has "
     "several generations values (1, 2); one per benchmark"),
])
def test_assemble_refuses_what_it_cannot_model(table, message) -> None:
    with pytest.raises(DataValidationError) as exc:
        assemble(*tables(), composition=table)
    assert str(exc.value).startswith(message)


def test_assemble_names_an_unknown_benchmark_and_the_skillmix_only_options() -> None:
    with pytest.raises(DataValidationError, match=r"benchmarks: no scores of 'bench-b' in the "
                       r"data; it has 'skillmix', 'bench-a'"):
        assemble(*tables(), composition=made_up(), benchmarks=["bench-b"])
    with pytest.raises(DataValidationError, match="all_skills and skill_fraction read "
                       "Skill-Mix's other metrics"):
        assemble(*tables(), composition=made_up(), all_skills=True)
    with pytest.raises(DataValidationError, match=r"composition data: LLM\(s\) not in the "
                       "catalog: Nobody"):
        assemble(*tables(), composition=made_up().replace({"llm": {"GPT-4": "Nobody"}}))


def test_config_checks_benchmarks_and_gamma_per_llm() -> None:
    assert SkillGraphModel({"benchmarks": "bench-a"}).model_config["benchmarks"] == ["bench-a"]
    for bad in ([], [""], 3, ["a", 1]):
        with pytest.raises(SpecError, match="model_config 'benchmarks' must be"):
            SkillGraphModel({"benchmarks": bad})
    with pytest.raises(SpecError, match="'gamma_per_llm' is for one benchmark; with several "
                       r"\(skillmix, bench-a\)"):
        SkillGraphModel({"gamma_per_llm": True}).build_model(
            combine(*tables(), composition=made_up()))


def test_skillmix_through_the_composition_path_is_the_same_model() -> None:
    """Skill-Mix's full marks given as a composition table (another name, best of 3, 100
    trials) and fitted alone build the Skill-Mix model: same variables, same log-density."""
    sm, cat, losses = tables()
    comp = from_skillmix(sm)
    comp = comp[comp["metric"] == "full_marks"].assign(benchmark="skillmix-copy")
    comp = comp.drop(columns=[c for c in comp if c not in
                              ("benchmark", "llm", "k", "metric", "value", "trials",
                               "generations")])
    plain = SkillGraphModel().build_model()
    copy_model = SkillGraphModel({"benchmarks": ["skillmix-copy"]})
    copy = copy_model.build_model(combine(sm, cat, losses, composition=comp))
    assert copy_model.benchmarks == ("skillmix-copy",)
    assert [v.name for v in copy.free_RVs] == [v.name for v in plain.free_RVs]
    f_plain, f_copy = plain.compile_logp(), copy.compile_logp()
    rng = np.random.default_rng(3)
    start = plain.initial_point()
    for _ in range(3):
        point = {k: v + 0.2 * rng.standard_normal(np.shape(v)) for k, v in start.items()}
        assert f_copy(point) == pytest.approx(f_plain(point), rel=1e-12)


def mocked_fit(config: dict, draws: int, chains: int, seed: int) -> SkillGraphModel:
    """Skill-Mix and bench-a 'fitted' with prior draws (pm.sample mocked while fitting)."""
    return mocked_joint_fit(combine(*tables(), composition=made_up()), config, draws, chains,
                            seed)


@pytest.fixture(scope="module")
def two() -> SkillGraphModel:
    return mocked_fit({}, draws=50, chains=2, seed=5)


def test_fit_has_each_benchmarks_parameters(two) -> None:
    post = two.posterior
    assert list(post["c_benchmark"].coords["benchmark"].values) == ["skillmix", "bench-a"]
    assert post["theta_benchmark"].dims[2:] == ("llm", "benchmark")
    np.testing.assert_array_equal(post["c_benchmark"].sel(benchmark="skillmix"), post["c"])
    np.testing.assert_array_equal(post["gamma_benchmark"].sel(benchmark="bench-a"),
                                  post["gamma_other"].sel(other_benchmark="bench-a"))
    ref = two.benchmark_parameters()
    other = two.benchmark_parameters("bench-a")
    np.testing.assert_array_equal(ref["c"], post["c"].values.reshape(-1))
    np.testing.assert_array_equal(other["kappa"], post["kappa_other"].values.reshape(-1))
    assert set(ref["generations"]) == {3.0} and set(other["generations"]) == {1.0}
    with pytest.raises(SkillfitError, match=r"benchmark 'bench-b' is not in the fit \(did you "
                       r"mean 'bench-a'\?\); it has skillmix, bench-a"):
        two.benchmark_parameters("bench-b")


def test_ppc_names_each_cells_benchmark(two) -> None:
    table = two.posterior_predictive_check()
    assert list(table.columns[:3]) == ["benchmark", "llm", "k"]
    assert (table["benchmark"] == "bench-a").sum() == 6
    assert table.loc[table["benchmark"] == "bench-a", "observed"].round(3).tolist() == [
        0.9, 0.725, 0.5, 0.6, 0.3, 0.1]


def test_forecast_per_benchmark(two) -> None:
    """One block per benchmark, the same pi (one reducible loss per LLM) only when the
    benchmarks' c agree; the score is each benchmark's: pi (1 - (1 - gamma)^G) per tuple."""
    llms = [{"name": "big", "params": 7e10, "tokens": 2e12}, {"name": "gpt", "of": "GPT-4",
                                                              "factor": 10.0}]
    table = forecast(two, llms, k_max=3, trials=None, score_at_least=())
    assert list(table.columns) == ["benchmark", "llm", "k", "quantity", "mean", "median",
                                   "lower", "upper"]
    assert list(dict.fromkeys(table["benchmark"])) == ["skillmix", "bench-a"]
    one = forecast(two, llms, k_max=3, trials=None, score_at_least=(), benchmark="bench-a")
    pd.testing.assert_frame_equal(one, table[table["benchmark"] == "bench-a"]
                                  .reset_index(drop=True), check_like=False)
    sk = forecast(two, llms, k_max=3, trials=None, score_at_least=(), benchmark="skillmix")
    pd.testing.assert_frame_equal(sk, table[table["benchmark"] == "skillmix"]
                                  .reset_index(drop=True))
    # the two benchmarks differ (their own c, gamma and generations)
    a = one[one["quantity"] == "score"]["mean"].to_numpy()
    s = sk[sk["quantity"] == "score"]["mean"].to_numpy()
    assert np.all(np.abs(a - s) > 1e-6)
    with pytest.raises(SkillfitError, match="benchmark 'nope' is not in the fit"):
        forecast(two, llms, benchmark="nope")


def test_forecast_of_an_llm_scored_only_on_another_benchmark(two) -> None:
    """'of' reaches an LLM that only bench-a scores (any case); a fit that leaves bench-a out
    says so."""
    row = [{"name": "l10", "of": "llama-2-70b", "factor": 10.0}]
    table = forecast(two, row, k_max=2, trials=None, score_at_least=(), benchmark="bench-a")
    assert table["llm"].unique().tolist() == ["l10"]
    with pytest.raises(SkillfitError, match="unknown LLM 'nobody'; scored LLMs: "):
        forecast(two, [{"name": "x", "of": "nobody", "factor": 2.0}])
    skillmix_only = mocked_fit({"benchmarks": ["skillmix"]}, draws=10, chains=1, seed=3)
    with pytest.raises(SkillfitError, match="forecast 'l10': 'of': 'Llama-2-70B' is not in the "
                       "fit \\(it is scored only on benchmarks it left out\\)"):
        forecast(skillmix_only, row, k_max=2)


def test_printed_forecast_has_a_block_per_benchmark(two) -> None:
    """skillfit forecast prints one block per benchmark, each with every LLM; with one
    benchmark, no header."""
    from skillfit.cli.forecast import format_forecast

    llms = [{"name": "big", "params": 7e10, "tokens": 2e12}]
    text = format_forecast(forecast(two, llms, k_max=2), 0.89)
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("==")] == [
        "== benchmark skillmix ==", "== benchmark bench-a =="]
    assert lines.count("big") == 2
    one = format_forecast(forecast(two, llms, k_max=2, benchmark="bench-a"), 0.89)
    assert "==" not in one and one.splitlines()[0] == "big"


def test_fan_charts_per_benchmark(two, tmp_path) -> None:
    """Each benchmark has its fan tables (its own c, gamma, generations), its observed LLMs and
    published rates, and its two charts; marks go to their benchmark's charts."""
    from skillfit.forecasting import fan_table, observed_points, observed_rates
    from skillfit.report import write_forecast_plots

    ref = fan_table(two, ks=(2,), compute_grid=[1e24], quantity="score")
    other = fan_table(two, ks=(2,), compute_grid=[1e24], quantity="score", benchmark="bench-a")
    assert ref.attrs["benchmark"] == "skillmix" and other.attrs["benchmark"] == "bench-a"
    assert abs(ref["median"].iloc[0] - other["median"].iloc[0]) > 1e-6
    rates = observed_rates(two, (1, 2, 3), benchmark="bench-a")
    assert sorted(rates["llm"].unique()) == ["Llama-2-70B"]  # GPT-4's size is unknown
    assert rates["median"].round(3).tolist() == [0.6, 0.3, 0.1]
    assert "Llama-2-70B" not in set(observed_rates(two, (1, 2, 3))["llm"])
    assert set(observed_points(two, (2,), benchmark="bench-a")["llm"]) == {"Llama-2-70B"}
    with pytest.raises(SkillfitError, match="benchmark 'bench-b' is not in the fit"):
        observed_rates(two, (2,), benchmark="bench-b")
    marked = pd.DataFrame({"benchmark": ["bench-a"], "llm": ["big"], "compute": [1e24],
                           "k": [2], "median": [0.5], "lower": [0.4], "upper": [0.6],
                           "quantity": ["pi"]})
    calls = []
    import skillfit.plots.skillmix as plots

    original = plots.fan_chart_figure

    def spy(fan, points=None, marked=None, **kwargs):
        calls.append((fan.attrs["benchmark"], fan.attrs["quantity"],
                      None if marked is None else len(marked)))
        return original(fan, points, marked, **kwargs)

    plots.fan_chart_figure = spy
    try:
        written = write_forecast_plots(two, tmp_path, marked)
    finally:
        plots.fan_chart_figure = original
    assert written == ["forecast_fan.png", "forecast_fan_measured.png",
                       "forecast_fan_bench-a.png", "forecast_fan_measured_bench-a.png"]
    assert all((tmp_path / name).stat().st_size > 10_000 for name in written)
    assert calls == [("skillmix", "pi", 0), ("skillmix", "measured", 0),
                     ("bench-a", "pi", 1), ("bench-a", "measured", 0)]


def test_forecast_score_uses_the_benchmarks_generations() -> None:
    """With every parameter fixed, a benchmark kept as best of 1 forecasts score = gamma pi,
    Skill-Mix (best of 3, per tuple) pi (1 - (1 - gamma)^3), from the same pi."""
    fixed = {"c": 1.5, "eta": 0.9, "degree": 12.0, "tau_spread": 0.0, "gamma": 0.8,
             "kappa": 30.0, "sigma_family": 0.0, "sigma_tune": 0.0}
    model = mocked_fit(fixed, draws=10, chains=1, seed=2)
    llms = [{"name": "big", "params": 7e10, "tokens": 2e12}]
    table = forecast(model, llms, k_max=3, trials=None, score_at_least=())
    get = {(b, q): table[(table["benchmark"] == b) & (table["quantity"] == q)]["median"]
           .to_numpy() for b in ("skillmix", "bench-a") for q in ("pi", "score")}
    np.testing.assert_allclose(get["skillmix", "pi"], get["bench-a", "pi"], rtol=1e-12)
    np.testing.assert_allclose(get["bench-a", "score"], 0.8 * get["bench-a", "pi"], rtol=1e-9)
    np.testing.assert_allclose(get["skillmix", "score"],
                               (1 - 0.2 ** 3) * get["skillmix", "pi"], rtol=1e-9)


def test_simulate_benchmark_from_the_fits_draw_and_its_messages(two) -> None:
    """The made-up table is a valid composition table whose rates are whole counts of the
    trials; the truth is the chosen draw's r; bad arguments are named."""
    from skillfit.benchmark_simulation import simulate_benchmark
    from skillfit.models.skill_graph_data import check_composition

    table = simulate_benchmark(two, "sim", c=2.0, gamma=0.9, trials=30, generations=2,
                               ks=(1, 3), llms=["GPT-4", "Llama-2-70B"], random_seed=4)
    check_composition(table, "simulated")
    assert table[["llm", "k"]].values.tolist() == [["GPT-4", 1], ["GPT-4", 3],
                                                   ["Llama-2-70B", 1], ["Llama-2-70B", 3]]
    np.testing.assert_allclose(table["value"] * 30, np.rint(table["value"] * 30), atol=1e-9)
    assert set(table["generations"]) == {2} and table["source"].str.startswith("made up").all()
    truth = table.attrs["truth"]
    r = two.posterior["r"].values.reshape(-1, len(two.inputs.llms))[truth["draw"]]
    assert truth["r"]["GPT-4"] == r[two.inputs.llms.index("GPT-4")]
    for kwargs, message in (({"name": "skillmix"}, "name must be a benchmark name other than"),
                            ({"gamma": 1.5}, "gamma must be positive and at most 1"),
                            ({"trials": 0}, "trials must be a whole number >= 1"),
                            ({"llms": ["Nobody"]}, "llms: not in the fit: Nobody")):
        args = {"name": "sim", "c": 2.0, "gamma": 0.9, **kwargs}
        with pytest.raises(SkillfitError, match=message):
            simulate_benchmark(two, args.pop("name"), **args)


def test_crossval_scores_the_reference_benchmark(monkeypatch) -> None:
    """With a composition table, crossval scores the fit's reference benchmark: its cells as
    the joint model's cell indices (Skill-Mix's come first in the model), its trials, and nulls
    fitted on its own training cells; the other benchmarks stay in every refit. A reference
    without trials, and the sensitivity checks, are refused."""
    import skillfit.crossval as cv

    data = combine(*tables(), composition=made_up())
    seen = []

    def fake(task):
        seen.append((task["heldout"], task["model_config"]))
        return {"score": np.full((len(task["heldout"]), 8), 0.5), "kappa": np.full(8, 30.0),
                "max_r_hat": 1.0, "divergences": 0, "seconds": 0.0}

    monkeypatch.setattr(cv, "fit_fold_task", fake)
    cells = cv.cell_table(data, benchmarks=["bench-a", "skillmix"])
    assert cells.attrs["benchmark"] == "bench-a" and list(cells["cell"]) == list(range(34, 40))
    assert cells.attrs["kept"] == ["skillmix"]
    assert set(cells["n"]) == {40} and cells["successes"].tolist() == [36, 29, 20, 24, 12, 4]
    folds = cv.crossval(data, ["llm", "top-k"], ["threshold"],
                        model_config={"benchmarks": ["bench-a", "skillmix"]})
    assert folds.attrs["benchmark"] == "bench-a"
    assert {h for held, _ in seen for h in held} <= set(range(34, 40))
    assert seen[0][1]["benchmarks"] == ["bench-a", "skillmix"]
    assert set(folds["llm"]) == {"GPT-4", "Llama-2-70B"} and set(folds["n"]) == {40}
    top = folds[(folds["scheme"] == "top-k") & (folds["method"] == "per-k mean")]
    assert top["k"].tolist() == [3, 3]
    # Skill-Mix stays the default reference, its cells unchanged
    plain = cv.cell_table(data)
    assert plain.attrs["benchmark"] == "skillmix" and list(plain["cell"]) == list(range(34))
    assert plain.attrs["kept"] == ["bench-a"]
    with pytest.raises(SkillfitError, match="crossval: benchmark 'rated' gives rates without "
                       "trials"):
        cv.cell_table(combine(*tables(), composition=made_up(trials=None, benchmark="rated")),
                      benchmarks=["rated"])
    with pytest.raises(SkillfitError, match="sensitivity: .* cross-validate with "
                       "--no-sensitivity"):
        cv.check_sensitivity_data(data)
    cv.check_sensitivity_data(combine(*tables()))


@pytest.mark.slow
def test_simulated_second_benchmark_is_recovered_and_narrows_the_losses() -> None:
    """A benchmark drawn from a Skill-Mix fit (its own c = 4 and grader gamma = 0.6, best of
    1, 200 items per cell, k = 1..5, every LLM) is fitted jointly with Skill-Mix: its c and
    gamma are inside their 99% intervals (c and gamma trade off in P = pi(c) gamma, and
    gamma's Beta(8, 2) prior pulls it up and c down: in the run of docs/model.md c's 94%
    interval ended at 3.97), and the LLMs' positions relative to each other (log r centred
    over the LLMs) and their theta are known better than from Skill-Mix alone (posterior sd
    smaller on average). Their absolute level is not: the new benchmark's own c takes it."""
    from skillfit.benchmark_simulation import simulate_benchmark

    sampler = {"draws": 1000, "tune": 700, "chains": 4}
    alone = SkillGraphModel(sampler_config=sampler)
    alone.fit(random_seed=11, predictive=False)
    bench = simulate_benchmark(alone, "made-up", c=4.0, gamma=0.6, kappa=40.0, trials=200,
                               ks=(1, 2, 3, 4, 5), random_seed=3)
    joint = SkillGraphModel(sampler_config=sampler)
    joint.fit(combine(*tables(), composition=bench), random_seed=12, predictive=False)
    d = joint.diagnostics()
    assert d["max_r_hat"] < 1.02 and d["divergences"] == 0
    post = joint.posterior
    for name, truth in (("c_benchmark", 4.0), ("gamma_benchmark", 0.6)):
        draws = post[name].sel(benchmark="made-up").values.ravel()
        lo, hi = np.quantile(draws, [0.005, 0.995])
        assert lo < truth < hi, (name, lo, hi)

    def sds(model: SkillGraphModel) -> tuple[np.ndarray, np.ndarray]:
        log_r = np.log(model.posterior["r"])
        centred = (log_r - log_r.mean("llm")).std(("chain", "draw")).values
        return centred, model.posterior["theta"].std(("chain", "draw")).values

    for joint_sd, alone_sd in zip(sds(joint), sds(alone), strict=True):
        ratio = joint_sd / alone_sd
        assert ratio.mean() < 0.97 and ratio.max() < 1.25, ratio
