"""A convnet of every layer family survives save_model / load_model: same config, same
weights, same predictions."""
import numpy as np

from minikeras import layers as L
from minikeras.models import Sequential, load_model


def test_convnet_round_trip(tmp_path):
    model = Sequential([
        L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 2)),
        L.ZeroPadding2D(1), L.DepthwiseConv2D(3, depth_multiplier=2),
        L.SeparableConv2D(3, 2, strides=2), L.Conv2DTranspose(2, 2, strides=2),
        L.Cropping2D(((1, 0), (0, 1))), L.UpSampling2D(2, interpolation="bilinear"),
        L.AveragePooling2D(2, padding="same"), L.MaxPooling2D(), L.Conv2D(2, 1, groups=2),
        L.GlobalAveragePooling2D(keepdims=True), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 2)).astype("float32")
    path = tmp_path / "convnet.keras"
    model.save(path)
    again = load_model(path)
    assert [type(a) for a in again.layers] == [type(b) for b in model.layers]
    def config(layer):  # the input shape travels with the model's InputLayer instead
        return {k: v for k, v in layer.get_config().items() if k != "batch_input_shape"}

    assert [config(a) for a in again.layers] == [config(b) for b in model.layers]
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
