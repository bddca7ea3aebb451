"""Callbacks inside a real fit: the hooks fit calls, the logs it passes, what they change."""

import csv

import numpy as np
import pytest

from unrolled import callbacks as cb
from unrolled.errors import InputError
from unrolled.models import load_model


def test_early_stopping_in_fit(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.optimizer.learning_rate = 1e-12  # nothing improves by min_delta
    stopper = cb.EarlyStopping(monitor="loss", patience=2, min_delta=1e-3)
    history = model.fit(x, y, epochs=20, callbacks=[stopper], verbose=0)
    assert history.epoch == [0, 1, 2] and model.stop_training


def test_model_checkpoint_every_epoch_with_formatted_names(
    tmp_path, rng, tutorial_model, regression_data
):
    x, y = regression_data(rng)
    model = tutorial_model()
    path = str(tmp_path / "model-{epoch:02d}-{loss:.3f}.npz")
    history = model.fit(
        x, y, epochs=3, callbacks=[cb.ModelCheckpoint(path, monitor="loss")], verbose=0
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        f"model-{e:02d}-{loss:.3f}.npz"
        for e, loss in zip((1, 2, 3), history.history["loss"], strict=True)
    ]
    np.testing.assert_array_equal(load_model(tmp_path / names[-1]).predict(x), model.predict(x))


def test_learning_rate_scheduler_in_fit(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1))
    history = model.fit(x, y, epochs=3, callbacks=[scheduler], verbose=0)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.01 / 3])
    assert model.optimizer.learning_rate == pytest.approx(0.01 / 3)
    with pytest.raises(InputError, match="schedule"):
        model.fit(x, y, callbacks=[cb.LearningRateScheduler(lambda epoch, lr: None)], verbose=0)


def test_csv_logger_writes_one_row_per_epoch_and_appends(
    tmp_path, rng, tutorial_model, regression_data
):
    x, y = regression_data(rng)
    model = tutorial_model()
    path = tmp_path / "log.csv"
    history = model.fit(
        x, y, epochs=2, validation_split=0.2, callbacks=[cb.CSVLogger(path)], verbose=0
    )
    model.fit(x, y, epochs=1, callbacks=[cb.CSVLogger(path, append=True)], verbose=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert float(rows[2][2]) == history.history["val_loss"][1]
    assert len(rows[3]) == 2  # a new logger takes its columns from its own first epoch (Keras)


def test_lambda_callback_hooks_and_batch_logs(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)  # 40 samples: 2 batches of 32 and 8
    calls = []
    callback = cb.LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch, sorted(logs))),
        on_train_end=lambda logs: calls.append("end"),
    )
    tutorial_model().fit(x, y, epochs=2, callbacks=[callback], verbose=0)
    batch = [("batch", 0, ["loss"]), ("batch", 1, ["loss"])]
    assert calls == ["begin", *batch, ("epoch", 0, ["loss"]), *batch, ("epoch", 1, ["loss"]), "end"]
    with pytest.raises(InputError, match="LambdaCallback hook"):
        cb.LambdaCallback(on_epoch_finish=print)


def test_callbacks_must_be_callback_instances(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    with pytest.raises(InputError, match="callbacks"):
        tutorial_model().fit(x, y, callbacks=[print], verbose=0)
