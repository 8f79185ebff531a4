"""``--progress/--no-progress`` of the fitting commands: unset means "only in a terminal"."""

from __future__ import annotations

import io
import sys

import pytest

from skillfit.cli import build_parser, main
from skillfit.cli._common import show_progress
from skillfit.models.base import ModelBuilder
from skillfit.models.skill_graph import SkillGraphModel

COMMANDS = {"fit": ["fit", "chinchilla"], "forecast": ["forecast"], "compare": ["compare"],
            "backtest": ["backtest"]}


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _terminal(monkeypatch: pytest.MonkeyPatch, stderr: bool, stdout: bool = True) -> None:
    monkeypatch.setattr(sys, "stderr", _Stream(stderr))
    monkeypatch.setattr(sys, "stdout", _Stream(stdout))


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_flag_parsing(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    unset = parser.parse_args(argv)
    assert unset.progress is None
    on = parser.parse_args([*argv, "--progress"])
    off = parser.parse_args([*argv, "--no-progress"])
    assert on.progress is True and off.progress is False
    _terminal(monkeypatch, stderr=True)
    assert show_progress(unset) is True and show_progress(off) is False
    _terminal(monkeypatch, stderr=False)
    assert show_progress(unset) is False and show_progress(on) is True


def test_redirected_stdout_or_odd_streams_mean_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    unset = build_parser().parse_args(["forecast"])
    _terminal(monkeypatch, stderr=True, stdout=False)  # `skillfit forecast > out.txt`
    assert show_progress(unset) is False
    monkeypatch.setattr(sys, "stderr", None)
    assert show_progress(unset) is False
    closed = _Stream(True)
    closed.close()  # isatty() on a closed stream raises ValueError
    monkeypatch.setattr(sys, "stderr", closed)
    assert show_progress(unset) is False


class _Stop(Exception):
    """Raised by the fake fit: the test only needs the progressbar argument."""


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize(("extra", "tty", "expected"), [
    ([], True, True), ([], False, False), (["--no-progress"], True, False),
    (["--progress"], False, True),
])
def test_commands_pass_the_choice_to_fit(name, extra, tty, expected, monkeypatch, tmp_path):
    seen: list[object] = []

    def fake_fit(self, data=None, random_seed=None, progressbar=None, **kwargs):
        seen.append(progressbar)
        raise _Stop

    monkeypatch.setattr(ModelBuilder, "fit", fake_fit)
    monkeypatch.setattr(SkillGraphModel, "fit", fake_fit)
    _terminal(monkeypatch, stderr=tty)
    out = ["--out", str(tmp_path / "o")]
    with pytest.raises(_Stop):
        main([*COMMANDS[name], *out, *extra])
    assert seen == [expected]


def test_help_mentions_both_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--progress, --no-progress" in text and "shown when run in a terminal" in text
