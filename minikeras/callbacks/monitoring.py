"""Watching one number: which way it improves, and whether it did."""
from __future__ import annotations

import warnings

_BIGGER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou", "cosine")
_SMALLER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy",
                      "hinge", "kl", "poisson", "logcosh")


def direction(monitor: str, mode: str, model=None) -> str:
    """``'min'`` or ``'max'``: which way the monitored quantity improves.

    ``mode='auto'`` asks the model's metrics first (a metric object may say
    ``_direction = 'up'``, as in Keras 3), then guesses from the name; a name it cannot
    judge is an error rather than a silent guess.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return "max" if metric._direction == "up" else "min"
    if any(word in name for word in _BIGGER_IS_BETTER):
        return "max"
    if any(word in name for word in _SMALLER_IS_BETTER):
        return "min"
    raise ValueError(f"cannot tell whether monitor={monitor!r} should be maximized or "
                     "minimized. Pass mode='max' to keep the highest value, or mode='min' "
                     "to keep the lowest.")


def check_mode(owner: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.",
                      stacklevel=3)
        return "auto"
    return mode


def is_improvement(current, reference, direction: str, min_delta: float = 0.0) -> bool:
    """Better than ``reference`` by more than ``min_delta``? (``None`` is beaten by all.)"""
    if reference is None:
        return True
    if direction == "min":
        return current + min_delta < reference
    return current - min_delta > reference
