"""The text progress bar that ``fit``/``evaluate``/``predict`` print, like ``keras.utils.Progbar``.

The text matches Keras 3 character for character, with one deliberate
difference: **minikeras never prints ANSI colour codes.** Keras 3 wraps the
step counter and the time in bold and the bar in green/grey escape codes
*every time*, even when stdout is a file or a notebook; minikeras prints the
same characters without them, so saved notebook outputs and log files stay
clean. (Keras pads lines to the visible width, codes not counted, so the
padding here is the same as in Keras.)

What Keras 3 prints for a 3-step epoch (``verbose=1``; each update starts with
``\\r`` and overwrites the line, and the last one ends with a newline)::

    3/3 ━━━━━━━━━━━━━━━━━━━━ 3s 1s/step - loss: 0.5000 - accuracy: 0.7500

and the one line ``verbose=2`` prints at the end of the epoch::

    3/3 - 3s - 1s/step - loss: 0.5000 - accuracy: 0.7500
"""
import math
import os
import sys
import time

import numpy as np


class Progbar:
    """Displays a progress bar (a copy of ``keras.utils.Progbar``'s output).

    Args:
        target: total number of steps expected, ``None`` if unknown.
        width: width of the bar, in characters.
        verbose: 0 (silent), 1 (a live bar) or 2 (one line at the end).
        interval: with ``verbose=1``, redraw at most once per ``interval``
            seconds (the final update is always drawn).
        stateful_metrics: names of values shown as given. Every other value is
            averaged over the steps, weighted by how many steps each update
            covers. On the final update every value is shown as given: Keras's
            ``fit`` already passes running averages.
        unit_name: the word after the time per step ("step" or "sample").

    ``verbose=2`` prints one plain line when the target is reached (the times
    depend on your machine, hence the ``...``):

    >>> bar = Progbar(target=2, verbose=2)
    >>> bar.update(1, values=[("loss", 0.75)])
    >>> bar.update(2, values=[("loss", 0.25)])  # doctest: +ELLIPSIS
    2/2 - ...s - ...s/step - loss: 0.2500
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05,
                 stateful_metrics=None, unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())

        # Keras's own test for "can we redraw the line with \r?". Note that
        # "posix" is in sys.modules on every Linux/macOS Python, so in
        # practice this is False only on Windows with stdout sent to a file.
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values = {}          # name -> [weighted sum, number of steps]
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current`` and records ``values``.

        Args:
            current: index of the current step (1 after the first batch).
            values: list of ``(name, value_for_last_step)`` pairs.
            finalize: whether this is the last update. Defaults to
                ``current >= target`` (never, if the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or []:
            if name in self.stateful_metrics or finalize:
                self._values[name] = [value, 1]
            else:
                # Weight by the steps this update covers (at least 1).
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0, 0])
                self._values[name] = [total + value * steps, count + steps]
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        known_target = self.target is not None and self.target > 0

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if self._dynamic_display:
                # Back over the old line (Keras writes both "\b"s and "\r").
                message = "\b" * self._prev_total_width + "\r"
            else:
                message = "\n"

            if known_target:
                # Keras colours the steps done green and the rest grey; with
                # no colours the two parts look alike.
                done = int(self.width * (current / self.target))
                bar = self._count(current) + " " + "━" * max(done, 0) + "━" * (self.width - done)
            else:
                bar = f"{int(current):7d}/Unknown"

            if known_target and not finalize:
                info = " " + self._format_eta(time_per_unit * (self.target - current))
            else:
                info = f" {now - self._start:.0f}s"
            info += self._format_time(time_per_unit)
            info += self._format_values(abs_threshold=True)

            total_width = len(bar) + len(info)
            # Pad with spaces to wipe out the tail of a longer previous line.
            message += bar + info + " " * max(self._prev_total_width - total_width, 0)
            if finalize:
                message += "\n"
            self._write(message)
            self._prev_total_width = total_width

        elif self.verbose == 2 and finalize and known_target:
            info = f"{self._count(current)} - {now - self._start:.0f}s"
            info += " -" + self._format_time(time_per_unit)
            info += self._format_values(abs_threshold=False)
            self._write(info + "\n")

        self._last_update = now

    @property
    def seen_so_far(self) -> int:
        """The step the bar was last moved to."""
        return self._seen_so_far

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps: ``update(seen_so_far + n, values)``."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------ formatting
    def _count(self, current):
        """ ' 7/12': the step, right-aligned to the width of the target."""
        digits = int(math.log10(self.target)) + 1
        return f"{int(current):{digits}d}/{int(self.target)}"

    def _format_values(self, abs_threshold):
        """ ' - loss: 0.1234 - acc: 1.2000e-04': 4 decimals, or scientific
        notation for values at or below 1e-3."""
        text = ""
        for name, (total, count) in self._values.items():
            if not isinstance(total, float):
                total = np.mean(total)
            avg = total / max(1, count)
            # Keras compares abs(avg) with verbose=1 but avg itself with
            # verbose=2, so there a negative value is always scientific.
            big = (abs(avg) if abs_threshold else avg) > 1e-3
            text += f" - {name}: {avg:.4f}" if big else f" - {name}: {avg:.4e}"
        return text

    @staticmethod
    def _format_eta(eta):
        """'42s', '1:05' (m:ss) or '1:02:03' (h:mm:ss); parts are truncated."""
        hours, minutes, seconds = int(eta // 3600), int(eta % 3600 // 60), int(eta % 60)
        if eta > 3600:
            return f"{hours}:{minutes:02d}:{seconds:02d}"
        if eta > 60:
            return f"{int(eta // 60)}:{seconds:02d}"
        return f"{int(eta)}s"

    def _format_time(self, time_per_unit):
        """' 2s/step', ' 15ms/step' or ' 250us/step' (0 prints ' 0s/step')."""
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{self.unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1e3:.0f}ms/{self.unit_name}"
        return f" {time_per_unit * 1e6:.0f}us/{self.unit_name}"

    def _estimate_step_duration(self, current, now):
        """Seconds per step. The first step (often slow: compiling, caches)
        is left out once there are later steps to average."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit

    @staticmethod
    def _write(message):
        # Look sys.stdout up each time, so Jupyter and pytest's capsys see it.
        sys.stdout.write(message)
        sys.stdout.flush()
