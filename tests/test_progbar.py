"""minikeras.utils.Progbar prints exactly what Keras 3's Progbar prints (minus colour codes).

A fake clock makes the times deterministic: ``clock.now = 3.0`` sets "now".
"""
import doctest
import types

import pytest

from minikeras.utils import progbar as progbar_module
from minikeras.utils.progbar import Progbar

BAR = "━" * 20


@pytest.fixture
def clock(monkeypatch):
    fake = types.SimpleNamespace(now=0.0)
    fake.time = lambda: fake.now
    monkeypatch.setattr(progbar_module, "time", fake)
    return fake


def make(*args, dynamic=True, **kwargs):
    bar = Progbar(*args, **kwargs)
    bar._dynamic_display = dynamic     # what Keras finds on Linux, macOS and Jupyter
    return bar


def run_three_steps(bar, clock):
    for step, (loss, acc) in enumerate([(0.75, 0.5), (0.25, 0.75), (0.5, 0.75)], start=1):
        clock.now = float(step)
        bar.update(step, [("loss", loss), ("accuracy", acc)])


def test_verbose_1_redraws_one_line_and_ends_it_with_a_newline(clock, capsys):
    bar = make(3, interval=0)
    run_three_steps(bar, clock)
    line1 = f"1/3 {BAR} 2s 1s/step - loss: 0.7500 - accuracy: 0.5000"
    line2 = f"2/3 {BAR} 1s 1s/step - loss: 0.5000 - accuracy: 0.6250"   # averages
    line3 = f"3/3 {BAR} 3s 1s/step - loss: 0.5000 - accuracy: 0.7500"   # final values as given
    back = "\b" * len(line1)
    assert capsys.readouterr().out == (
        "\r" + line1 + back + "\r" + line2 + back + "\r" + line3 + "\n")


def test_verbose_2_prints_one_line_at_the_end(clock, capsys):
    bar = make(3, verbose=2)
    run_three_steps(bar, clock)
    assert capsys.readouterr().out == "3/3 - 3s - 1s/step - loss: 0.5000 - accuracy: 0.7500\n"


def test_non_stateful_values_are_averaged_weighted_by_steps(clock, capsys):
    bar = make(10, interval=0)
    clock.now = 0.25
    bar.add(1, [("loss", 1.0)])                # covers 1 step
    clock.now = 1.0
    bar.update(4, [("loss", 0.0)])             # covers 3 steps: (1*1 + 0*3) / 4
    out = capsys.readouterr().out
    assert out.endswith(f"\r 4/10 {BAR} 1s 250ms/step - loss: 0.2500")


def test_stateful_values_are_shown_as_given(clock, capsys):
    bar = make(10, interval=0, stateful_metrics=["lr"])
    for step, (loss, lr) in enumerate([(1.0, 0.5), (0.5, 0.25)], start=1):
        clock.now = step * 0.002
        bar.update(step, [("loss", loss), ("lr", lr)])
    assert capsys.readouterr().out.endswith(
        f"\r 2/10 {BAR} 0s 2ms/step - loss: 0.7500 - lr: 0.2500")


def test_unknown_target_counts_steps_and_never_finishes_by_itself(clock, capsys):
    bar = make(None, interval=0)
    clock.now = 5.0
    bar.update(5, [("loss", 0.5)])
    assert capsys.readouterr().out == "\r      5/Unknown 5s 1s/step - loss: 0.5000"
    bar.update(5, [("loss", 0.25)], finalize=True)
    assert capsys.readouterr().out.endswith("\r      5/Unknown 5s 1s/step - loss: 0.2500\n")
    # verbose=2 needs a target: it prints nothing at all.
    quiet = make(None, verbose=2)
    quiet.update(5, [("loss", 0.5)], finalize=True)
    assert capsys.readouterr().out == ""


def test_small_values_use_scientific_notation(clock, capsys):
    bar = make(1, verbose=2)
    clock.now = 0.0005
    bar.update(1, [("loss", 1e-4), ("big", 0.0011), ("neg", -0.5)])
    # Keras's verbose=2 tests `avg > 1e-3`, so negatives come out in e-notation.
    assert capsys.readouterr().out == (
        "1/1 - 0s - 500us/step - loss: 1.0000e-04 - big: 0.0011 - neg: -5.0000e-01\n")


def test_a_shorter_line_is_padded_over_the_longer_one(clock, capsys):
    bar = make(2, interval=0)
    clock.now = 100.0
    bar.update(1, [("loss", 0.5)])             # ETA over a minute: "m:ss"
    clock.now = 101.0
    bar.update(2, [("loss", 0.5)])
    first = f"\r1/2 {BAR} 1:40 100s/step - loss: 0.5000"
    second = f"\r2/2 {BAR} 101s 1s/step - loss: 0.5000"
    assert capsys.readouterr().out == (
        first + "\b" * (len(first) - 1) + second + " " * (len(first) - len(second)) + "\n")


def test_updates_closer_than_interval_are_skipped_except_the_last(clock, capsys):
    bar = make(3)                              # interval=0.05
    for step, now in [(1, 1.0), (2, 1.01), (3, 1.02)]:
        clock.now = now
        bar.update(step)
    out = capsys.readouterr().out
    assert out.count("\r") == 2 and "2/3" not in out and out.endswith("\n")


def test_non_dynamic_display_starts_each_update_with_a_newline(clock, capsys):
    bar = make(2, interval=0, dynamic=False)
    clock.now = 1.0
    bar.update(1)
    clock.now = 2.0
    bar.update(2)
    assert capsys.readouterr().out == f"\n1/2 {BAR} 1s 1s/step\n2/2 {BAR} 2s 1s/step\n"


def test_verbose_0_prints_nothing(clock, capsys):
    run_three_steps(make(3, verbose=0), clock)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("seconds, text", [
    (42.9, "42s"), (65, "1:05"), (3725, "1:02:05")])
def test_eta_formats(seconds, text):
    assert Progbar._format_eta(seconds) == text


@pytest.mark.parametrize("seconds, text", [
    (0, " 0s/step"), (2.4, " 2s/step"), (0.015, " 15ms/step"), (0.00025, " 250us/step")])
def test_time_per_step_formats(seconds, text):
    assert Progbar(1)._format_time(seconds) == text


def test_unit_name_and_width(clock, capsys):
    bar = make(4, verbose=1, width=8, unit_name="sample")
    clock.now = 2.0
    bar.update(4, finalize=True)
    assert capsys.readouterr().out == "\r4/4 ━━━━━━━━ 2s 500ms/sample\n"


def test_docstring_example_runs():
    result = doctest.testmod(progbar_module)
    assert result.attempted > 0 and result.failed == 0
