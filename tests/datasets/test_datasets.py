"""The bundled datasets: shapes, dtypes, spot values traced to the sources, cross-references.

Expected numbers cite where they come from; none of these tests reads the raw files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from skillfit import datasets
from skillfit.data import SCHEMAS, read_csv
from skillfit.errors import SkillfitError

NAMES = ["chinchilla", "llm_catalog", "llm_losses", "skillmix"]


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {name: datasets.load(name) for name in NAMES}


def test_list_datasets() -> None:
    assert datasets.list_datasets() == NAMES


def test_checkout_resolves_to_repo_datasets_folder() -> None:
    p = datasets.path("skillmix")
    assert p.is_file() and p.parent.name == "datasets"


@pytest.mark.parametrize(
    "name, shape",
    [
        ("chinchilla", (245, 5)),  # 245 points (datasets/chinchilla.md)
        ("skillmix", (102, 9)),  # leaderboard CSV: 102 cells (datasets/skillmix.md)
        ("llm_catalog", (42, 10)),  # 32 base + 10 Skill-Mix students (datasheet)
        ("llm_losses", (130, 5)),  # 28 x 4 hkust + 6 DeepSeek + 6 x 2 uncheatable (datasheet)
    ],
)
def test_shapes(data: dict[str, pd.DataFrame], name: str, shape: tuple[int, int]) -> None:
    assert data[name].shape == shape


@pytest.mark.parametrize("name", NAMES)
def test_columns_and_dtypes_follow_the_schema(data: dict[str, pd.DataFrame], name: str) -> None:
    df = data[name]
    schema = SCHEMAS[name]
    assert list(df.columns) == [c for c in schema.names if c in df.columns]
    assert set(schema.required) <= set(df.columns)
    for col in schema.columns:
        if col.name in df.columns:
            assert str(df[col.name].dtype) == col.pandas_dtype, col.name


@pytest.mark.parametrize("name", NAMES)
def test_datasheet_documents_every_column(data: dict[str, pd.DataFrame], name: str) -> None:
    sheet = datasets.datasheet(name)
    assert sheet.startswith(f"# {name} — ")
    for heading in ("## Origin", "## Licence", "## Columns", "## Caveats"):
        assert heading in sheet
    for column in data[name].columns:
        assert f"`{column}`" in sheet, column


@pytest.mark.parametrize("name", NAMES)
def test_bundled_csv_round_trips_exactly(data: dict[str, pd.DataFrame], name: str) -> None:
    """Loading loses nothing: writing the loaded frame reproduces the file byte for byte."""
    text = data[name].to_csv(index=False, lineterminator="\n")
    assert text == datasets.path(name).read_text(encoding="utf-8")


def test_unknown_dataset_lists_available_names() -> None:
    with pytest.raises(SkillfitError, match="unknown dataset 'mmlu'; available: chinchilla, "):
        datasets.load("mmlu")
    with pytest.raises(KeyError):
        datasets.datasheet("mmlu")


# --- chinchilla --------------------------------------------------------------------------------


def test_chinchilla_tokens_are_flops_over_6n(data: dict[str, pd.DataFrame]) -> None:
    c = data["chinchilla"]
    np.testing.assert_allclose(c["tokens"], c["flops"] / (6 * c["params"]), rtol=1e-15)


def test_chinchilla_first_row_keeps_full_precision(data: dict[str, pd.DataFrame]) -> None:
    # svg_extracted_data.csv, first data row: Model Size, Training FLOP, loss.
    row = data["chinchilla"].iloc[0]
    assert row["params"] == 6795600349.289497
    assert row["flops"] == 9.993852799709755e18
    assert row["loss"] == 5.005581996196243


def test_chinchilla_ranges_match_sources_md(data: dict[str, pd.DataFrame]) -> None:
    # SOURCES.md §1: N 5.7e7 to 1.62e10; D 2.45e8 to 3.18e11; C 1.4e18 to 1.3e22; L 2.077 to 5.006.
    c = data["chinchilla"]
    assert round(c["params"].min(), -6) == 57e6 and round(c["params"].max(), -8) == 162e8
    assert round(c["tokens"].min(), -6) == 245e6 and round(c["tokens"].max(), -9) == 318e9
    assert round(c["flops"].min(), -17) == 14e17 and round(c["flops"].max(), -20) == 130e20
    assert round(c["loss"].min(), 3) == 2.077 and round(c["loss"].max(), 3) == 5.006


def test_chinchilla_exclusion_marks_the_five_highest_losses(data: dict[str, pd.DataFrame]) -> None:
    c = data["chinchilla"]
    assert c["excluded_by_epoch"].sum() == 5  # Epoch's main fit keeps 240 (SOURCES.md §1)
    lowest_excluded = c.loc[c["excluded_by_epoch"], "loss"].min()
    assert lowest_excluded > c.loc[~c["excluded_by_epoch"], "loss"].max()


# --- skillmix ----------------------------------------------------------------------------------


def _score(df: pd.DataFrame, llm: str, k: int, metric: str) -> float:
    return df.loc[(df.llm == llm) & (df.k == k) & (df.metric == metric), "value"].item()


@pytest.mark.parametrize(
    "llm, k, metric, value",
    [  # the Skill-Mix leaderboard (student_scores/*.json; datasets/skillmix.md)
        ("GPT-4", 5, "ratio_of_full_marks", 0.12),
        ("GPT-4", 2, "ratio_of_full_marks", 0.95),
        ("GPT-4", 6, "skill_fraction", 0.76),
        ("LLaMA-2-70B-Chat", 2, "skill_fraction", 0.58),
        ("Xwin-LM-70B-V0.1", 2, "ratio_of_all_skills", 0.51),
        ("Tigerbot-70B-Chat", 4, "skill_fraction", 0.08),
    ],
)
def test_skillmix_spot_values(
    data: dict[str, pd.DataFrame], llm: str, k: int, metric: str, value: float
) -> None:
    assert _score(data["skillmix"], llm, k, metric) == value


def test_skillmix_cells_per_llm(data: dict[str, pd.DataFrame]) -> None:
    # Skip rule of the leaderboard (datasets/skillmix.md): GPT-4 k=2..6; GPT-3.5-turbo, Xwin k=2..5;
    # the rest k=2..4.
    ks = data["skillmix"].groupby("llm")["k"].agg(lambda s: sorted(set(s)))
    assert len(ks) == 10
    assert ks["GPT-4"] == [2, 3, 4, 5, 6]
    assert ks["GPT-3.5-turbo"] == ks["Xwin-LM-70B-V0.1"] == [2, 3, 4, 5]
    others = ks.drop(["GPT-4", "GPT-3.5-turbo", "Xwin-LM-70B-V0.1"])
    assert all(v == [2, 3, 4] for v in others)
    assert (data["skillmix"].groupby(["llm", "k"]).size() == 3).all()  # 3 metrics per cell


def test_skillmix_has_100_combinations_and_every_rate_is_a_whole_count(
        data: dict[str, pd.DataFrame]) -> None:
    s = data["skillmix"]
    # the protocol's M = 100 combinations per cell (datasets/skillmix.md), not a derived n_k
    assert set(s["n_combinations"]) == {100} and not s["n_combinations_derived"].any()
    # every published rate is a whole count out of the 100 texts (skill_fraction: 100·k points)
    rates = s.loc[s["metric"] != "skill_fraction", "value"] * 100
    assert (rates - rates.round()).abs().max() < 1e-9
    # the old derivation made 8 of 34 full-marks rates impossible: GPT-4 0.95 of 69 at k = 2
    assert round(100 * math.comb(84, 2) / math.comb(101, 2)) == 69
    assert all(abs(n / 69 - 0.95) > 0.005 for n in range(70))
    assert set(s["grader"]) == {"GPT-4"} and set(s["generations"]) == {3}
    assert s["source"].str.contains("skill-mix.github.io@e1dc0e2a").all()


# --- llm_catalog -------------------------------------------------------------------------------


def test_every_llm_is_in_the_catalog(data: dict[str, pd.DataFrame]) -> None:
    names = set(data["llm_catalog"]["llm"])
    assert set(data["skillmix"]["llm"]) <= names
    assert set(data["llm_losses"]["llm"]) <= names


def test_fine_tunes_point_to_a_base_row(data: dict[str, pd.DataFrame]) -> None:
    cat = data["llm_catalog"].set_index("llm")
    tuned = cat[cat["kind"] != "base"]
    with_base = tuned[tuned["base_model"].notna()]
    assert len(with_base) == 8  # all Skill-Mix students except GPT-4 and GPT-3.5-turbo
    assert set(tuned.index) - set(with_base.index) == {"GPT-4", "GPT-3.5-turbo"}
    for llm, row in with_base.iterrows():
        base = cat.loc[row["base_model"]]
        assert base["kind"] == "base", llm
        # chat rows carry the base model's N and D (pre-training tokens)
        assert row["params"] == base["params"], llm
        assert (row["tokens"] == base["tokens"]) or (np.isnan(row["tokens"])
                                                     and np.isnan(base["tokens"])), llm
    assert cat.loc[cat["kind"] == "base", "base_model"].isna().all()


def test_catalog_bases_of_skillmix_models(data: dict[str, pd.DataFrame]) -> None:
    # the datasheet datasets/llm_catalog.md
    base = data["llm_catalog"].set_index("llm")["base_model"]
    assert base["LLaMA-2-70B-Chat"] == "Llama-2-70B"
    assert base["Xwin-LM-70B-V0.1"] == "Llama-2-70B"
    assert base["Tigerbot-70B-Chat"] == "Tigerbot-70B-Base"
    assert base["Mistral-7B-Instruct-v0.1"] == "Mistral-7B-v0.1"
    assert base["Falcon-180B-Chat"] == "Falcon-180B"


def test_catalog_numbers(data: dict[str, pd.DataFrame]) -> None:
    cat = data["llm_catalog"].set_index("llm")
    # undisclosed (datasets/llm_catalog.md; blank in ObsScaling)
    for llm in ("GPT-4", "GPT-3.5-turbo"):
        assert np.isnan(cat.loc[llm, "params"]) and np.isnan(cat.loc[llm, "tokens"])
    for llm in ("Mistral-7B-v0.1", "Mistral-7B-Instruct-v0.1", "Mixtral-8x22B-v0.1", "Qwen2-72B"):
        assert np.isnan(cat.loc[llm, "tokens"])
    # TigerBot README: Llama-2-70B (2.0T) + 300B continued pre-training; derived total 2.3T
    assert cat.loc["Tigerbot-70B-Base", "tokens"] == 2.0e12 + 0.3e12
    assert "derived" in cat.loc["Tigerbot-70B-Base", "tokens_source"]
    # Falcon-180B: 3.5T tokens (ObsScaling; HF card); Llama-2-70B 70B / 2T (ObsScaling)
    assert cat.loc["Falcon-180B", "tokens"] == 3.5e12 and cat.loc["Falcon-180B", "params"] == 180e9
    assert cat.loc["Llama-2-70B", "params"] == 70e9 and cat.loc["Llama-2-70B", "tokens"] == 2e12
    # ObsScaling's MoE convention, recorded as the source gives it (SOURCES.md)
    assert cat.loc["Mixtral-8x22B-v0.1", "params"] == 39e9
    assert "ACTIVATED" in cat.loc["Mixtral-8x22B-v0.1", "notes"]
    assert cat.loc["DeepSeek-V2", "params"] == 21e9


def test_catalog_has_a_source_for_every_number(data: dict[str, pd.DataFrame]) -> None:
    cat = data["llm_catalog"]
    assert cat["params_source"].notna().all() and cat["tokens_source"].notna().all()
    assert set(cat["kind"]) == {"base", "chat", "instruct"}


# --- llm_losses --------------------------------------------------------------------------------


def _loss(df: pd.DataFrame, llm: str, corpus: str, unit: str) -> float:
    return df.loc[(df.llm == llm) & (df.corpus == corpus) & (df.unit == unit), "value"].item()


@pytest.mark.parametrize(
    "llm, corpus, unit, value",
    [
        # hkust README table (SOURCES.md: Llama-2-7b 0.612/0.354/0.500, average 0.488)
        ("Llama-2-7B", "hkust_python", "bits/char", 0.354),
        ("Llama-2-7B", "hkust_common_crawl", "bits/char", 0.612),
        ("Llama-2-7B", "hkust_average", "bits/char", 0.488),
        # DeepSeek-LLM more_results.md batch A (SOURCES.md: LLaMA2 7B 0.764 BPB)
        ("Llama-2-7B", "pile_test_deepseek_batch_a", "bits/byte", 0.764),
        ("DeepSeek-LLM-67B", "pile_test_deepseek_batch_a", "bits/byte", 0.662),
        # uncheatable_eval 2024-05 average (skillmix_models_N_D_loss_index: Llama-2-7b 0.645/0.640)
        ("Llama-2-7B", "uncheatable_eval_2024-05_average", "bits/char", 0.645),
        ("Llama-2-7B", "uncheatable_eval_2024-05_average", "bits/byte", 0.640),
    ],
)
def test_loss_spot_values(
    data: dict[str, pd.DataFrame], llm: str, corpus: str, unit: str, value: float
) -> None:
    assert _loss(data["llm_losses"], llm, corpus, unit) == value


def test_hkust_table_is_complete(data: dict[str, pd.DataFrame]) -> None:
    hk = data["llm_losses"][data["llm_losses"]["corpus"].str.startswith("hkust_")]
    assert hk["llm"].nunique() == 28
    assert (hk.groupby("llm").size() == 4).all()
    assert set(hk["unit"]) == {"bits/char"}
    # the printed average is the mean of the three corpora, to 3-decimal rounding
    wide = hk.pivot(index="llm", columns="corpus", values="value")
    mean3 = wide[["hkust_common_crawl", "hkust_python", "hkust_arxiv_math"]].mean(axis=1)
    assert (abs(mean3 - wide["hkust_average"]) <= 0.0015).all()


def test_losses_have_catalog_n_and_d_where_disclosed(data: dict[str, pd.DataFrame]) -> None:
    joined = data["llm_losses"].merge(data["llm_catalog"], on="llm", how="left",
                                      validate="many_to_one")
    assert joined["params"].notna().all()  # every loss row belongs to a model of known size
    assert set(joined.loc[joined["tokens"].isna(), "llm"]) == {
        "Mistral-7B-v0.1", "Mixtral-8x7B-v0.1", "Mixtral-8x22B-v0.1", "Qwen1.5-110B", "Qwen2-72B"
    }
    assert set(joined["kind"]) == {"base"}


def test_read_csv_of_a_bundled_file_equals_load() -> None:
    pd.testing.assert_frame_equal(read_csv(datasets.path("skillmix"), "skillmix"),
                                  datasets.load("skillmix"))
