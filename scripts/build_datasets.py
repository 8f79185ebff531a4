#!/usr/bin/env python
"""Build the curated CSVs in ``datasets/`` from the raw source files (maintainer tool).

Usage (from the repository root)::

    .venv/bin/python scripts/build_datasets.py [RAW_DIR] [--out datasets] [--check]

``RAW_DIR`` (default ``../shared/data`` relative to the repository root) holds the raw files
described in its ``SOURCES.md``. ``--check`` rebuilds in memory and fails if any file in ``--out``
differs (use it to prove the bundled CSVs are reproducible). Only this script reads ``RAW_DIR``;
the package and its tests read ``datasets/`` alone.

Facts that are not in a raw CSV (names, base models, a few N/D values) are in the hand-curated
tables below, each number with a ``source`` string. Every output is validated with
:mod:`skillfit.data` and cross-checked (every LLM named in a table is a row of the catalogue)
before anything is written; files are written atomically.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skillfit.data import check_known_llms, validate

REPO = Path(__file__).resolve().parent.parent

# --- origins (commit-pinned; see RAW_DIR/SOURCES.md) ----------------------------------------
SRC_EPOCH_CHINCHILLA = (
    "epoch-research/analyzing-chinchilla@92258837 data/svg_extracted_data.csv "
    "(Besiroglu et al. 2024, arXiv 2404.10102)"
)
SRC_SKILLMIX = (
    "skill-mix/skill-mix.github.io@e1dc0e2a student_scores/{model}.json "
    "(Skill-Mix leaderboard, GPT-4 grader; Yu et al., arXiv 2310.17567)"
)
SRC_OBS = "ryoungj/ObsScaling@4d6e1e43 eval_results/base_llm_benchmark_eval.csv, row {model}"
SRC_HKUST = (
    "hkust-nlp/llm-compression-intelligence@ff39c416 README.md Compression Leaderboard "
    "(Huang et al. 2024, arXiv 2404.09937)"
)
SRC_DEEPSEEK_A = "deepseek-ai/DeepSeek-LLM@6712a86b evaluation/more_results.md, Pile-test-BPB"
SRC_UNCHEATABLE = (
    "Jellyfish042/uncheatable_eval@deb63d30 show_results_v2.ipynb, 'Average' row "
    "(2024-05 corpora)"
)
SRC_EPOCH_DB = (
    "Epoch AI database (copy: vaaniarora/Water_Sustainability@f111e0fe "
    "large_scale_ai_models.csv), row {model}"
)
SRC_LLAMA2_CARD = "meta-llama/llama MODEL_CARD.md (Llama 2: 7B/13B/70B, 2.0T tokens)"
SRC_TIGERBOT = (
    "TigerResearch/TigerBot README.md 2023-09-06: tigerbot-70b-base = Llama-2-70b weights + "
    "continued pre-training on 300B tokens"
)
SRC_OPENAI = "not disclosed by OpenAI (GPT-4 technical report, arXiv 2303.08774)"

# --- Skill-Mix protocol constants (Yu et al. 2023, arXiv 2310.17567, §3; datasets/skillmix.md) -
# M = 100 combinations per (model, k) for GPT-4 grading, drawn among the 84 uncommon skills (the
# 17 with >= 5% frequency in RedPajama are left out before drawing, not filtered afterwards).
# With 100 every published rate of all three metrics is a whole count; the earlier
# round(100 * C(84, k) / C(101, k)) = 69, 57, ... made 8 of 34 full-marks rates impossible.
M_DRAWN = 100
GENERATIONS = 3  # generations per combination, best one kept
GRADER = "GPT-4"


# --- hand-curated catalogue ----------------------------------------------------------------
@dataclass(frozen=True)
class Base:
    """A base model whose N and D come from the ObsScaling base table (one row there)."""

    llm: str  # canonical name used in every dataset
    obs: str  # ObsScaling `Model`
    aliases: tuple[str, ...]  # names as printed in the raw sources
    notes: str = ""


# Base models with an ObsScaling row. Names: Hugging Face model name without the organisation,
# sizes with a capital B, the original LLaMA written `Llama-1-*` as in the hkust table.
OBS_BASES: tuple[Base, ...] = (
    Base("Llama-1-7B", "huggyllama/llama-7b", ("Llama-1-7b",)),
    Base("Llama-1-13B", "huggyllama/llama-13b", ("Llama-1-13b",)),
    Base("Llama-1-30B", "huggyllama/llama-30b", ("Llama-1-30b",),
         "ObsScaling gives N = 32.5B for the model called 30B"),
    Base("Llama-1-65B", "huggyllama/llama-65b", ("Llama-1-65b",)),
    Base("Llama-2-7B", "meta-llama/Llama-2-7b-hf", ("Llama-2-7b", "LLaMA2 7B", "Llama-2-7b-hf")),
    Base("Llama-2-13B", "meta-llama/Llama-2-13b-hf", ("Llama-2-13b",)),
    Base("Llama-2-70B", "meta-llama/Llama-2-70b-hf", ("Llama-2-70b", "LLaMA2 70B")),
    Base("Llama-3-8B", "meta-llama/Meta-Llama-3-8B", ("Llama-3-8b", "Meta-Llama-3-8B")),
    Base("Llama-3-70B", "meta-llama/Meta-Llama-3-70B", ("Llama-3-70b",)),
    Base("Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", ("Mistral-7b", "Mistral-7B-v0.1")),
    Base("Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-v0.1", ("Mixtral-8x7B",),
         "MoE: ObsScaling N = 45B is about the total count (46.7B total, ~12.9B active)"),
    Base("Mixtral-8x22B-v0.1", "mistralai/Mixtral-8x22B-v0.1", ("Mixtral-8x22B-v0.1",),
         "MoE: ObsScaling N = 39B is the ACTIVATED count (141B total); conventions mixed"),
    Base("Qwen-7B", "Qwen/Qwen-7B", ("Qwen-7b", "Qwen 7B v2"),
         "DeepSeek's 'Qwen 7B v2' is presumably this model (Sept-2023 update, 2.4T tokens)"),
    Base("Qwen-14B", "Qwen/Qwen-14B", ("Qwen-14b",)),
    Base("Qwen-72B", "Qwen/Qwen-72B", ("Qwen-72b",)),
    Base("Qwen1.5-7B", "Qwen/Qwen1.5-7B", ("Qwen-1.5-7b", "Qwen1.5-7B")),
    Base("Qwen1.5-14B", "Qwen/Qwen1.5-14B", ("Qwen-1.5-14b",)),
    Base("Qwen1.5-32B", "Qwen/Qwen1.5-32B", ("Qwen-1.5-32b",)),
    Base("Qwen1.5-72B", "Qwen/Qwen1.5-72B", ("Qwen-1.5-72b",)),
    Base("Qwen1.5-110B", "Qwen/Qwen1.5-110B", ("Qwen1.5-110B",)),
    Base("Qwen2-72B", "Qwen/Qwen2-72B", ("Qwen2-72B",)),
    Base("DeepSeek-LLM-7B", "deepseek-ai/deepseek-llm-7b-base",
         ("Deepseek-llm-7b", "DeepSeek 7B Base")),
    Base("DeepSeek-LLM-67B", "deepseek-ai/deepseek-llm-67b-base",
         ("Deepseek-llm-67b", "DeepSeek 67B Base")),
    Base("DeepSeek-V2", "deepseek-ai/DeepSeek-V2", ("DeepSeek-V2",),
         "MoE: ObsScaling N = 21B is the ACTIVATED count (236B total); conventions mixed"),
    Base("Yi-6B", "01-ai/Yi-6B", ("Yi-6b",)),
    Base("Yi-34B", "01-ai/Yi-34B", ("Yi-34b",)),
    Base("Falcon-7B", "tiiuae/falcon-7b", ("Falcon-7b", "falcon-7b")),
    Base("Falcon-40B", "tiiuae/falcon-40b", ("Falcon-40b",)),
    Base("Falcon-180B", "tiiuae/falcon-180B", ("falcon-180B",)),
    Base("MPT-7B", "mosaicml/mpt-7b", ("mpt-7b",)),
)

# Catalogue rows whose numbers are NOT in the ObsScaling base table. Columns as in the output;
# every number carries its source. `None` = unknown / not disclosed.
HAND_ROWS: tuple[dict[str, object], ...] = (
    {
        "llm": "Baichuan2-7B", "family": "Baichuan2", "base_model": None, "kind": "base",
        "params": 7e9, "params_source": SRC_EPOCH_DB.format(model="'Baichuan 2-7B'"),
        # Epoch stores words for most LLMs; here Training compute 1.092e23 = 6·7e9·2.6e12, so
        # the 2.6e12 are tokens (checked in build_catalog).
        "tokens": 2.6e12,
        "tokens_source": SRC_EPOCH_DB.format(model="'Baichuan 2-7B'")
        + " (tokens: its compute 1.092e23 FLOP = 6·N·2.6e12)",
        "aliases": "Baichuan2 7B;Baichuan 2-7B", "notes": "",
    },
    {
        "llm": "Tigerbot-70B-Base", "family": "TigerBot", "base_model": None, "kind": "base",
        "params": 70e9,
        "params_source": "Llama-2-70B architecture: " + SRC_TIGERBOT + "; " + SRC_LLAMA2_CARD,
        # derived: 2.0e12 (Llama-2-70B pre-training) + 0.3e12 (TigerBot continued pre-training)
        "tokens": 2.0e12 + 0.3e12,
        "tokens_source": "derived: 2.0e12 (" + SRC_LLAMA2_CARD + ") + 0.3e12 (" + SRC_TIGERBOT
        + ")",
        "aliases": "tigerbot-70b-base",
        "notes": "continued pre-training of Llama-2-70B (base v1, which chat v1-v3 derive from); "
        "Epoch's D = 3e11 counts only the continued part",
    },
    {
        "llm": "GPT-4", "family": "GPT-4", "base_model": None, "kind": "chat",
        "params": None, "params_source": SRC_OPENAI,
        "tokens": None, "tokens_source": SRC_OPENAI,
        "aliases": "gpt-4",
        "notes": "API model 'gpt-4', snapshot used by Skill-Mix unknown; Epoch AI's speculative "
        "training-compute estimate is 2.1e25 FLOP",
    },
    {
        "llm": "GPT-3.5-turbo", "family": "GPT-3.5", "base_model": None, "kind": "chat",
        "params": None, "params_source": SRC_OPENAI,
        "tokens": None, "tokens_source": SRC_OPENAI,
        "aliases": "gpt-3.5-turbo",
        "notes": "Epoch AI lists 2e10 parameters for 'GPT-3.5 Turbo' from a secondhand, "
        "unconfirmed report; not used",
    },
)

# Skill-Mix students with a known base model: (leaderboard name, base llm, kind, family,
# aliases, notes). Sources: the Skill-Mix leaderboard checkpoints and datasets/llm_catalog.md.
SKILLMIX_DERIVED: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("LLaMA-2-7B-Chat", "Llama-2-7B", "chat", "Llama-2",
     "llama2-7b-chat;meta-llama/Llama-2-7b-chat-hf", ""),
    ("LLaMA-2-13B-Chat", "Llama-2-13B", "chat", "Llama-2",
     "llama2-13b-chat;meta-llama/Llama-2-13b-chat-hf", ""),
    ("LLaMA-2-70B-Chat", "Llama-2-70B", "chat", "Llama-2",
     "llama2-70b-chat;meta-llama/Llama-2-70b-chat-hf", ""),
    ("Xwin-LM-70B-V0.1", "Llama-2-70B", "chat", "Llama-2",
     "xwin-lm-70b;Xwin-LM/Xwin-LM-70B-V0.1",
     "alignment fine-tune (SFT, reward model, RLHF) of Llama-2-70B; data size not disclosed"),
    ("Mistral-7B-Instruct-v0.1", "Mistral-7B-v0.1", "instruct", "Mistral",
     "mistral-7b-chat;mistralai/Mistral-7B-Instruct-v0.1", "instruction data not disclosed"),
    ("Qwen-14B-Chat", "Qwen-14B", "chat", "Qwen", "qwen-14b-chat;Qwen/Qwen-14B-Chat", ""),
    ("Falcon-180B-Chat", "Falcon-180B", "chat", "Falcon",
     "falcon-180b-chat;tiiuae/falcon-180B-chat", ""),
    ("Tigerbot-70B-Chat", "Tigerbot-70B-Base", "chat", "TigerBot",
     "tigerbot-70b-chat;TigerResearch/tigerbot-70b-chat",
     "chat version evaluated by Skill-Mix not pinned; v1-v3 derive from base v1"),
)

# hkust table: printed name -> canonical llm (via the aliases above).
# DeepSeek batch A and uncheatable_eval: printed name -> canonical llm, for the rows we keep.
DEEPSEEK_A_KEEP = ("LLaMA2 7B", "Qwen 7B v2", "Baichuan2 7B", "DeepSeek 7B Base",
                   "LLaMA2 70B", "DeepSeek 67B Base")
# Only models with an unambiguous catalogue row (same checkpoint) are kept; pythia-6.9b-v0 is not
# the deduped Pythia in ObsScaling, and RWKV / OLMo-1.7 / aya / mamba have no N, D source here.
UNCHEATABLE_KEEP = ("Meta-Llama-3-8B", "Mistral-7B-v0.1", "Qwen1.5-7B", "Llama-2-7b-hf",
                    "falcon-7b", "mpt-7b")


# --- builders ------------------------------------------------------------------------------
def build_chinchilla(raw: Path) -> pd.DataFrame:
    src = pd.read_csv(raw / "svg_extracted_data.csv")
    params = src["Model Size"].astype("float64")
    flops = src["Training FLOP"].astype("float64")
    out = pd.DataFrame(
        {
            "params": params,
            "tokens": flops / (6.0 * params),  # D = C / (6N), as in Epoch's replication
            "flops": flops,
            "loss": src["loss"].astype("float64"),
        }
    )
    # Epoch's main fit drops the 5 highest-loss points (245 -> 240).
    top5 = out["loss"].nlargest(5, keep="all").index
    if len(top5) != 5:
        raise SystemExit("chinchilla: ties at the 5th-highest loss; exclusion is ambiguous")
    out["excluded_by_epoch"] = out.index.isin(top5)
    return out


def build_skillmix(raw: Path) -> pd.DataFrame:
    src = pd.read_csv(raw / "skillmix_leaderboard_gpt4_grader.csv")
    if set(src["grader"]) != {GRADER}:
        raise SystemExit("skillmix: expected only GPT-4-graded rows")
    out = pd.DataFrame(
        {
            "llm": src["model"],
            "k": src["k"].astype("int64"),
            "metric": src["metric"],
            "value": src["value"].astype("float64"),
        }
    )
    out["n_combinations"] = M_DRAWN
    out["n_combinations_derived"] = False
    out["grader"] = GRADER
    out["generations"] = GENERATIONS
    out["source"] = [SRC_SKILLMIX.format(model=m) for m in out["llm"]]
    return out


def _obs_number(value: float, scale: float) -> float:
    """ObsScaling prints N in billions and D in trillions with <= 3 decimals: rescale exactly."""
    return float(round(value * scale)) if pd.notna(value) else np.nan


def build_catalog(raw: Path) -> pd.DataFrame:
    obs = pd.read_csv(raw / "obsscaling_base_llm_benchmark_eval.csv").set_index("Model")
    rows: list[dict[str, object]] = []
    for b in OBS_BASES:
        r = obs.loc[b.obs]
        src = SRC_OBS.format(model=b.obs)
        has_d = pd.notna(r["Pretraining Data Size (T)"])
        rows.append(
            {
                "llm": b.llm, "family": r["Model Family"], "base_model": None, "kind": "base",
                "params": _obs_number(r["Model Size (B)"], 1e9),
                "tokens": _obs_number(r["Pretraining Data Size (T)"], 1e12),
                "params_source": src + " ('Model Size (B)' x 1e9)",
                "tokens_source": src + (" ('Pretraining Data Size (T)' x 1e12)" if has_d
                                        else ": blank (not disclosed)"),
                "aliases": ";".join((b.obs, *b.aliases)),
                "notes": b.notes,
            }
        )
    rows.extend(dict(r) for r in HAND_ROWS)
    by_name = {str(r["llm"]): r for r in rows}
    for llm, base, kind, family, aliases, notes in SKILLMIX_DERIVED:
        b = by_name[base]
        rows.append(
            {
                "llm": llm, "family": family, "base_model": base, "kind": kind,
                "params": b["params"], "tokens": b["tokens"],
                "params_source": f"same as base model {base}: {b['params_source']}",
                "tokens_source": f"pre-training tokens of base model {base}: {b['tokens_source']}",
                "aliases": aliases, "notes": notes,
            }
        )
    out = pd.DataFrame(rows)
    # Sanity checks of hand-entered facts against the raw files.
    epoch = pd.read_csv(raw / "epoch_large_scale_ai_models.csv").set_index("Model")
    bc = epoch.loc["Baichuan 2-7B"]
    assert bc["Parameters"] == 7e9 and bc["Training dataset size (datapoints)"] == 2.6e12
    assert math.isclose(bc["Training compute (FLOP)"], 6 * 7e9 * 2.6e12, rel_tol=1e-9)
    joined = pd.read_csv(raw / "hkust_bpc_joined_obsscaling_ND.csv")
    obs_of = {b.obs: b.llm for b in OBS_BASES}
    assert set(joined["obsscaling_model_matched_by_name"]) <= set(obs_of), "hkust join drifted"
    return out


def _alias_map(catalog: pd.DataFrame) -> dict[str, str]:
    amap: dict[str, str] = {}
    for llm, aliases in zip(catalog["llm"], catalog["aliases"].fillna(""), strict=True):
        for name in [llm, *filter(None, str(aliases).split(";"))]:
            if amap.setdefault(name, llm) != llm:
                raise SystemExit(f"alias {name!r} names two LLMs")
    return amap


def build_losses(raw: Path, catalog: pd.DataFrame) -> pd.DataFrame:
    amap = _alias_map(catalog)
    parts: list[pd.DataFrame] = []

    hk = pd.read_csv(raw / "hkust_compression_intelligence_bpc.csv")
    corpora = {"bpc_common_crawl": "hkust_common_crawl", "bpc_python": "hkust_python",
               "bpc_arxiv_math": "hkust_arxiv_math", "bpc_average": "hkust_average"}
    long = hk.melt(id_vars="model", value_vars=list(corpora), var_name="col", value_name="value")
    parts.append(pd.DataFrame({
        "llm": long["model"].map(amap), "corpus": long["col"].map(corpora), "unit": "bits/char",
        "value": long["value"], "source": SRC_HKUST,
    }))

    ds = pd.read_csv(raw / "pile_test_bpb_deepseek_reports.csv")
    ds = ds[(ds["eval_batch"] == "A") & ds["model"].isin(DEEPSEEK_A_KEEP)]
    assert len(ds) == len(DEEPSEEK_A_KEEP)
    parts.append(pd.DataFrame({
        "llm": ds["model"].map(amap), "corpus": "pile_test_deepseek_batch_a", "unit": "bits/byte",
        "value": ds["pile_test_bpb"], "source": SRC_DEEPSEEK_A,
    }))

    un = pd.read_csv(raw / "uncheatable_eval_7b_2024-05_bpc_bpb.csv")
    un = un[(un["dataset"] == "AVERAGE_over_datasets") & un["model"].isin(UNCHEATABLE_KEEP)]
    assert len(un) == len(UNCHEATABLE_KEEP)
    for col, unit in (("bpc", "bits/char"), ("bpb", "bits/byte")):
        parts.append(pd.DataFrame({
            "llm": un["model"].map(amap), "corpus": "uncheatable_eval_2024-05_average",
            "unit": unit, "value": un[col], "source": SRC_UNCHEATABLE,
        }))

    out = pd.concat(parts, ignore_index=True)
    if out["llm"].isna().any():
        raise SystemExit("llm_losses: a source name has no catalogue alias")
    return out


def build_all(raw: Path) -> dict[str, pd.DataFrame]:
    """Build and validate every dataset; returns them by name."""
    catalog = build_catalog(raw)
    tables = {
        "chinchilla": build_chinchilla(raw),
        "skillmix": build_skillmix(raw),
        "llm_catalog": catalog,
        "llm_losses": build_losses(raw, catalog),
    }
    tables = {name: validate(df, name, source=f"built {name}") for name, df in tables.items()}
    check_known_llms(tables["skillmix"], tables["llm_catalog"], "built skillmix")
    check_known_llms(tables["llm_losses"], tables["llm_catalog"], "built llm_losses")
    return tables


def to_csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, default=REPO / ".." / "shared" / "data",
                        help="folder with the raw files (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=REPO / "datasets", help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a file in --out differs from a rebuild")
    args = parser.parse_args(argv)
    raw = args.raw.resolve()
    if not (raw / "SOURCES.md").is_file():
        parser.error(f"{raw} does not look like the raw data folder (no SOURCES.md)")
    tables = build_all(raw)
    differs = []
    for name, df in tables.items():
        path = args.out / f"{name}.csv"
        text = to_csv_text(df)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                differs.append(name)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, text)
        print(f"wrote {path} ({df.shape[0]} rows x {df.shape[1]} columns)")
    if differs:
        print(f"differs from a rebuild: {', '.join(differs)}", file=sys.stderr)
        return 1
    if args.check:
        print("all datasets reproduce from the raw files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
