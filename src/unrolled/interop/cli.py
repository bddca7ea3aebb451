"""`unrolled export MODEL --format onnx|torch --out PATH`: a model file for another engine.

MODEL is any file `model.save` or a task wrote (forecast, nextword, charlm ...). The output
holds the same network (interop/export.py); the model file's extras (a vocabulary, the
forecast's scaler, settings) travel inside it as JSON, untouched and unused by the network:
the ONNX graph takes ids or scaled windows, as `predict` does.
"""

from pathlib import Path

from unrolled.interop import dims
from unrolled.interop.export import FORMATS, SUFFIXES, export
from unrolled.models import load_model

# what a caller does with a task's extras, where the exported network needs it
EXTRAS_USE = {
    "vocabulary": "the network takes ids: encode text with "
    "unrolled.data.Vocabulary.from_state(extras['vocabulary'])",
    "scaler": "the network takes scaled windows and returns scaled values: "
    "unrolled.tasks.forecast.data.WindowScaler.from_state(extras['scaler'])",
}
WHERE = {
    "onnx": "metadata_props['unrolled.extras']",
    "torch": "the file's 'extras' (load_module(path, with_extras=True))",
}
HOW = {
    "onnx": "onnxruntime.InferenceSession(path)",
    "torch": "unrolled.interop.torch.load_module(path)",
}


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="write a model file for PyTorch or ONNX Runtime",
        description="Write MODEL (a .npz file from model.save or a task) as an ONNX graph for "
        "ONNX Runtime or as a PyTorch file; its extras travel inside as JSON.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model file (.npz) saved by unrolled")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="what to write")
    parser.add_argument(
        "--out", metavar="PATH", help="the file to write (default: MODEL with .onnx or .pt)"
    )
    parser.set_defaults(func=run)


def run(args):
    model, extras = load_model(args.model, with_extras=True)
    out = Path(args.out or Path(args.model).with_suffix(SUFFIXES[args.format]))
    export(model, out, args.format, extras)
    shapes = f"{_shape(model.input_shape)} -> {_shape(model.output_shape)}"
    print(
        f"wrote {out} ({args.format}): {model.name}, {model.count_params():,} parameters, {shapes}"
    )
    print(f"load it with {HOW[args.format]}")
    if args.format == "onnx" and any(getattr(layer, "stateful", False) for layer in model.layers):
        print("the graph starts every run from zero states (stateful layers carry nothing)")
    if extras:
        print(f"extras {sorted(extras)}: kept as JSON in {WHERE[args.format]}")
        for key in sorted(EXTRAS_USE.keys() & extras.keys()):
            print(f"  {key}: {EXTRAS_USE[key]}")
    return 0


def _shape(shape):
    """(None, None, 65) -> "(batch, time, 65)"; a pair of shapes joined by "and"."""
    if isinstance(shape[0], tuple):  # Bidirectional(merge_mode=None)'s two outputs
        return " and ".join(_shape(s) for s in shape)
    return f"({', '.join(map(str, dims(shape)))})"
