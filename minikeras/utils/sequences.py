"""``pad_sequences``: lists of different lengths as one array, for Embedding and RNNs.

>>> pad_sequences([[1, 2, 3], [4]], padding="post")
array([[1, 2, 3],
       [4, 0, 0]], dtype=int32)
"""
from __future__ import annotations

import numpy as np


def pad_sequences(sequences, maxlen: int | None = None, dtype="int32", padding: str = "pre",
                  truncating: str = "pre", value=0.0) -> np.ndarray:
    """Pad (and cut) sequences to one length, as ``keras.utils.pad_sequences``.

    Each sequence becomes a row of ``maxlen`` entries: a longer one loses entries at the
    start (``truncating="pre"``) or the end (``"post"``); a shorter one gets ``value``
    before (``padding="pre"``) or after (``"post"``) its entries. The entries may be
    arrays themselves (all of one shape), which the rows keep.

    Args:
        sequences: a list of sequences (lists or arrays), e.g. word ids.
        maxlen: the length of every row; the longest sequence's length if None.
        dtype: the dtype of the result.
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of a long sequence is cut.
        value: what the padding is made of.

    Returns:
        An array of shape ``(len(sequences), maxlen, *entry shape)``.

    Example:

    >>> pad_sequences([[1, 2, 3, 4], [5, 6]], maxlen=3)
    array([[2, 3, 4],
           [0, 5, 6]], dtype=int32)
    >>> pad_sequences([[1, 2, 3, 4]], maxlen=2, truncating="post", value=-1)
    array([[1, 2]], dtype=int32)
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {given!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences, got "
                         f"{type(sequences).__name__}")
    lengths, entry_shape = [], None
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"pad_sequences: sequence {i} is not a sequence: {seq!r}")
        lengths.append(len(seq))
        if entry_shape is None and len(seq):
            entry_shape = np.asarray(seq).shape[1:]
    entry_shape = entry_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    out = np.full((len(lengths), int(maxlen), *entry_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        kept = np.asarray(seq, dtype=dtype)
        if len(kept) > maxlen:
            kept = kept[len(kept) - maxlen:] if truncating == "pre" else kept[:maxlen]
        if kept.shape[1:] != entry_shape:
            raise ValueError(f"pad_sequences: the entries of sequence {i} have shape "
                             f"{kept.shape[1:]}, those of the first have {entry_shape}")
        if len(kept):
            if padding == "post":
                out[i, :len(kept)] = kept
            else:
                out[i, maxlen - len(kept):] = kept
    return out
