"""The progress writer: Keras's number and time formats, live redraws on a terminal only."""

import io

from unrolled.models import progress
from unrolled.models.progress import Progress, format_value


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_numbers_print_like_keras():
    assert format_value(0.07412) == "0.0741"
    assert format_value(2.4715e-04) == "2.4715e-04"
    assert format_value(-3.0) == "-3.0000"
    assert progress._per_step(0.0014) == "1ms/step"
    assert progress._per_step(0.00025) == "250us/step"
    assert progress._per_step(2.2) == "2s/step"
    assert (
        progress._eta(75) == "1:15"
        and progress._eta(3725) == "1:02:05"
        and progress._eta(9.7) == "9s"
    )


def test_a_pipe_gets_only_the_final_line_of_each_epoch():
    stream = io.StringIO()
    bar = Progress(1, steps=40, epochs=3, stream=stream)
    bar.epoch_begin(0)
    for step in range(1, 41):
        bar.batch_end(step, lambda: {"loss": 1.0})
    bar.epoch_end({"loss": 2.4715e-04, "val_loss": 0.5})
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Epoch 1/3"
    assert lines[1].startswith("40/40 ━━━━━━━━━━━━━━━━━━━━ 0s ")
    assert lines[1].endswith("/step - loss: 2.4715e-04 - val_loss: 0.5000")
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_a_terminal_gets_a_live_bar(monkeypatch):
    stream = Terminal()
    clock = iter(range(100))
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock) * 0.1)
    bar = Progress(1, steps=4, stream=stream)
    bar.epoch_begin(0)
    for step in range(1, 5):
        bar.batch_end(step, lambda: {"loss": 0.5})
    bar.epoch_end({"loss": 0.25})
    out = stream.getvalue()
    assert "Epoch" not in out  # a single epoch has no "Epoch 1/1" line (Keras)
    assert out.count("\r") == 5 and out.endswith("\n")
    assert "\r1/4 \x1b[32m━━━━━\x1b[0m\x1b[2m━━━━━━━━━━━━━━━\x1b[0m" in out
    assert " - loss: 0.5000" in out and out.rstrip().endswith("- loss: 0.2500")


def test_verbose_2_and_0():
    stream = io.StringIO()
    bar = Progress(2, steps=3, epochs=2, stream=stream)
    bar.epoch_begin(1)
    bar.epoch_end({"loss": 0.1})
    assert stream.getvalue().splitlines()[0] == "Epoch 2/2"
    assert stream.getvalue().splitlines()[1].startswith("3/3 - 0s - ")
    silent = io.StringIO()
    bar = Progress(0, steps=3, epochs=2, stream=silent)
    bar.epoch_begin(0)
    bar.epoch_end({"loss": 0.1})
    assert silent.getvalue() == ""
