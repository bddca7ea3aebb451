"""PyTorch and onnx stay optional: importing unrolled, its command line and the interop
modules that need neither imports neither."""

import subprocess
import sys
from pathlib import Path

import unrolled


def test_importing_unrolled_and_its_command_line_imports_neither_torch_nor_onnx():
    src = str(Path(unrolled.__file__).parents[1])
    code = (
        "import sys, unrolled, unrolled.cli, unrolled.interop.torch, unrolled.interop.export; "
        "unrolled.cli.build_parser(); "
        "assert not {'torch', 'onnx', 'onnxruntime'} & set(sys.modules), 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src})
