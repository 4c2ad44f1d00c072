"""TED's TensorFlow graph (any RasaModel's) called without tf.function's per-call input checks.

Rasa 3.6 predicts through `RasaModel._rasa_predict`, a `tf.function` with an input signature.
In TensorFlow 2.12 every call of such a function first canonicalises its arguments: it
converts each of the 20-40 arrays of a batch and checks it against its `TensorSpec`
(`cast_inputs` -> `TensorShape.is_compatible_with` -> `as_dimension` for every dimension of
every array). Profiled on a turn of the assistant, that check costs more than running the
graph: about 17 % of the turn against 7 % for the graph itself (BENCHMARKS.md).

Here, once Rasa's own call has traced the function, the model keeps the concrete function of
its signature and later calls it with the batch's arrays converted to tensors
(`ConcreteFunction._call_flat`, what `tf.function` itself ends with). The check kept is the one
that can fail for Rasa's batches: each array's dtype, rank and fixed (last) dimension against
the signature; any other batch (or the first call, or eager mode) goes through Rasa's code.
The outputs are post-processed exactly as in `_rasa_predict`. `tests/patches/test_tf_predict.py`
compares both paths on the assistant's messages and conversations: equal outputs, array by array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
from keras.utils import tf_utils
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel

# Rasa's original (rasa_plugins.patches installs ours and keeps it as `_imp_rasa_predict`).
_rasa_predict = getattr(RasaModel, "_imp_rasa_predict", RasaModel._rasa_predict)

_CONCRETE = "_imp_concrete_predict"

# How many predictions took each path (read by tests).
calls = {"direct": 0, "rasa": 0}


class _Direct:
    """A traced prediction function and what its inputs must look like."""

    def __init__(self, function: Any) -> None:
        self.concrete = function.get_concrete_function()
        specs = tf.nest.flatten(function.input_signature)
        self.dtypes = [spec.dtype.as_numpy_dtype for spec in specs]
        self.tf_dtypes = [spec.dtype for spec in specs]
        self.shapes = [spec.shape.as_list() for spec in specs]

    def accepts(self, batch: tuple[Any, ...]) -> bool:
        """Whether every array matches its spec in dtype, rank and fixed dimensions."""
        if len(batch) != len(self.dtypes):
            return False
        for array, dtype, shape in zip(batch, self.dtypes, self.shapes, strict=True):
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != len(shape):
                return False
            if any(
                fixed is not None and fixed != size for fixed, size in zip(shape, array.shape, strict=True)
            ):
                return False
        return True

    def __call__(self, batch: tuple[Any, ...]) -> Any:
        tensors = [
            tf.convert_to_tensor(array, dtype=dtype)
            for array, dtype in zip(batch, self.tf_dtypes, strict=True)
        ]
        return self.concrete._call_flat(tensors, self.concrete.captured_inputs)


def _predict(self: RasaModel, batch_in: tuple[Any, ...]) -> dict[str, Any]:
    """RasaModel._rasa_predict, calling the traced graph directly once it exists."""
    function = self._tf_predict_step
    if self._run_eagerly or function is None or not self.prepared_for_prediction:
        calls["rasa"] += 1
        return _rasa_predict(self, batch_in)  # traces the function on the first call
    direct: _Direct | None = self.__dict__.get(_CONCRETE)
    if direct is None:
        direct = self.__dict__[_CONCRETE] = _Direct(function)
    if not direct.accepts(batch_in):
        calls["rasa"] += 1
        return _rasa_predict(self, batch_in)
    calls["direct"] += 1
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(direct(batch_in))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs
