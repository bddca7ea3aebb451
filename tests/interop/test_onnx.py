"""model.export(path, format="onnx"): every model of the zoo (conftest.py), trained a little on
batches of 4 sequences of 5 steps, runs in onnxruntime and matches predict within 1e-5 at
other batch sizes and lengths; a model that masks is refused in one line."""

import sys

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError

SHAPES = [(1, 1), (7, 9), (40, 3)]  # (N, T), none of them the (4, 5) it trained on
MASKED = "marks padded steps, which ONNX's RNN/LSTM/GRU operators cannot skip"


def session(onnxruntime, path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def feed(x):
    return {"x": x.astype(np.int64 if x.dtype.kind in "iu" else np.float32)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_onnxruntime_equals_predict(onnx, onnxruntime, zoo, zoo_name, dtype, tmp_path):
    model, case = zoo.build(zoo_name, dtype), zoo.ZOO[zoo_name]
    if case.trains:
        x, y = zoo.inputs(zoo_name, 4, 5), None
        y = np.random.default_rng(0).standard_normal(model.predict(x).shape)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = tmp_path / "model.onnx"
    if case.mask is not None:
        with pytest.raises(InputError, match=MASKED):
            model.export(path)
        assert not path.exists()
        return
    model.export(path)
    served = session(onnxruntime, path)
    for N, T in SHAPES:
        x = zoo.inputs(zoo_name, N, T)
        model.reset_states()  # the graph starts from zero states
        expected = model.predict(x, batch_size=N)
        got = served.run(None, feed(x))
        got = got if zoo_name == "bidirectional_none" else got[0]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("use_bias", [True, False])
def test_gru_reset_before_is_linear_before_reset_0(onnx, onnxruntime, use_bias, tmp_path):
    unrolled.set_seed(0)
    model = unrolled.Sequential(
        [
            unrolled.GRU(
                4,
                reset_after=False,
                use_bias=use_bias,
                return_sequences=True,
                input_shape=(None, 3),
            ),
            unrolled.Bidirectional(unrolled.GRU(2, reset_after=False, activation="relu")),
        ]
    )
    rng = np.random.default_rng(0)
    model.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in model.get_weights()])
    model.export(tmp_path / "model.onnx")
    x = rng.standard_normal((5, 6, 3))
    got = session(onnxruntime, tmp_path / "model.onnx").run(None, feed(x))[0]
    np.testing.assert_allclose(got, model.predict(x), rtol=0, atol=1e-5)


def test_the_graph_is_standard_onnx_with_dynamic_axes(onnx, zoo, tmp_path):
    path = tmp_path / "model.onnx"
    zoo.build("embedding_rnn_lstm").export(path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    ops = {node.op_type for node in proto.graph.node}
    assert {"Gather", "RNN", "LSTM", "MatMul", "Add", "Softmax"} <= ops
    (x,), (y,) = proto.graph.input, proto.graph.output
    dims = [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim]
    assert dims == ["batch", "time"] and x.type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [d.dim_param or d.dim_value for d in y.type.tensor_type.shape.dim] == ["batch", 3]
    metadata = {p.key for p in proto.metadata_props}
    assert metadata == {"unrolled.model"}  # extras only when there are some (the CLI's)


def test_export_refuses_a_bad_format_path_or_an_unbuilt_model(zoo, tmp_path):
    model = zoo.build("seq2seq")
    with pytest.raises(InputError, match=r"argument `format`, expected one of \['onnx', 'torch'\]"):
        model.export(tmp_path / "m.onnx", format="tf_saved_model")
    with pytest.raises(InputError, match="argument `filepath`, expected a file path, got 3"):
        model.export(3)
    with pytest.raises(InputError, match=r"build the model .* before export\(\)"):
        unrolled.Sequential([unrolled.GRU(2)]).export(tmp_path / "m.onnx")


def test_without_onnx_export_says_what_to_install(monkeypatch, zoo, tmp_path):
    import unrolled.interop

    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now fails
    monkeypatch.delitem(sys.modules, "unrolled.interop.onnx", raising=False)
    monkeypatch.delattr(unrolled.interop, "onnx", raising=False)
    message = r"ONNX export needs the onnx package: pip install 'unrolled\[onnx\]'$"
    with pytest.raises(InputError, match=message):
        zoo.build("seq2seq").export(tmp_path / "m.onnx")
