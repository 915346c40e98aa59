"""Progress bars: the ``progress`` option decides; bars never change results."""

from __future__ import annotations

import io
import sys

import pytest

import sahel_geo as sg
from sahel_geo.core import progress as progress_module
from sahel_geo.core.progress import progress, progress_enabled


def test_option_values_and_validation() -> None:
    with sg.set_options(progress=True):
        assert progress_enabled()
    with sg.set_options(progress=False):
        assert not progress_enabled()
    with pytest.raises(sg.ConfigError, match="None, True or False"):
        sg.set_options(progress="yes")


def test_automatic_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    with sg.set_options(progress=None):
        monkeypatch.setattr(sys, "stderr", io.StringIO())
        assert not progress_enabled()
        monkeypatch.setattr(sys, "stderr", Tty())
        assert progress_enabled()


def test_off_prints_nothing_and_passes_items(capsys: pytest.CaptureFixture[str]) -> None:
    with sg.set_options(progress=False):
        assert list(progress(range(4), desc="counting")) == [0, 1, 2, 3]
        with progress(total=10, desc="by hand", unit="rows") as bar:
            bar.update(10)
    assert capsys.readouterr().err == ""


def test_on_draws_a_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    with sg.set_options(progress=True):
        assert sum(progress(range(5), desc="summing", unit="item")) == 10
    err = capsys.readouterr().err
    assert "summing" in err and "/5" in err
