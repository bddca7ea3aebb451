"""The forecast task's model: build, train, forecast (direct or recursive), backtest, save.

    direct     the model has H outputs: yhat[t .. t+H-1] = f(y[t-L .. t-1]) in one pass
    recursive  the model has 1 output; each forecast is appended to the window and the
               oldest row dropped, H times (a single input column only)
Training windows come from the training rows only and the scaler is fitted there; early
stopping watches the latest `validation` share of the training windows (Keras's
EarlyStopping with restore_best_weights), never the test period.
"""

import dataclasses
import time

import numpy as np

from unrolled.callbacks import Callback, EarlyStopping
from unrolled.data import train_val_split
from unrolled.data.windows import validation_size
from unrolled.errors import InputError
from unrolled.layers import Dense, Dropout
from unrolled.models import Sequential
from unrolled.optimizers import Adam
from unrolled.tasks._shared.blas import one_blas_thread
from unrolled.tasks._shared.cells import LAYERS, NAMES
from unrolled.tasks._shared.user_files import load_model_file
from unrolled.tasks.forecast import baselines, intervals
from unrolled.tasks.forecast.config import CHOICES, FILE_SETTINGS, input_columns, outputs
from unrolled.tasks.forecast.data import WindowScaler, fold_bounds, windows

FORMAT = "unrolled.forecast/1"


def model_name(config):
    """The cell's layer name: LSTM, GRU or SimpleRNN."""
    return NAMES[config.cell]


def recipe(config):
    """One line describing the network and its training."""
    cells = " -> ".join(
        [f"{model_name(config)}({config.units}, activation={config.activation!r})"] * config.layers
    )
    drop = f" with Dropout({config.dropout})" if config.dropout else ""
    return (
        f"{cells}{drop} -> Dense({outputs(config)}); adam(lr={config.learning_rate}), mse, "
        f"batch {config.batch_size}, {config.epochs} epochs, lookback {config.lookback}"
    )


def build(config, n_features):
    """Stacked recurrent layers (all but the last return sequences), then Dense(outputs)."""
    model = Sequential(name=f"forecast_{config.cell}")
    for k in range(config.layers):
        kwargs = dict(activation=config.activation, return_sequences=k < config.layers - 1)
        if k == 0:
            kwargs["input_shape"] = (config.lookback, n_features)
        model.add(LAYERS[config.cell](config.units, **kwargs))
        if config.dropout:
            model.add(Dropout(config.dropout))
    model.add(Dense(outputs(config)))
    model.compile(optimizer=Adam(learning_rate=config.learning_rate), loss="mse")
    return model


class EpochBar(Callback):
    """A tqdm bar over epochs with the latest losses (tqdm is imported only when training)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_train_begin(self, logs=None):
        from tqdm import tqdm

        # disable=None: no bar when stderr is not a terminal (logs stay clean)
        self.bar = tqdm(
            total=self.epochs,
            desc="training",
            unit="epoch",
            leave=False,
            mininterval=0.5,
            disable=None,
        )

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in (logs or {}).items()}, refresh=False)

    def on_train_end(self, logs=None):
        self.bar.close()


def fit(values, split, config, say):
    """Fit the window scaler and a model on rows 0 .. split-1 of `values` (T, F).

    Returns (model, scaler, training facts as a dict).
    """
    started = time.perf_counter()
    X, Y, _ = windows(values, config.lookback, outputs(config), 0, split)
    scaler = WindowScaler(config.target).fit(values[:split], X, Y)
    X, Y = scaler.inputs(X), scaler.targets(X, Y)  # (W, L, F), (W, M) model space
    train, val = slice(0, len(X)), slice(len(X), len(X))
    kwargs, callbacks = {}, [] if config.quiet else [EpochBar(config.epochs)]
    if config.validation > 0:
        train, val = train_val_split(len(X), config.validation)
        kwargs = dict(validation_data=(X[val], Y[val]))
        callbacks.append(
            EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        )
    n_train, n_val = len(X[train]), len(X[val])
    say(
        f"windows: {n_train:,} train + {n_val:,} validation, each {X.shape[1]} days x "
        f"{X.shape[2]} features -> {Y.shape[1]} output(s)"
    )
    model = build(config, X.shape[2])
    with one_blas_thread():
        history = model.fit(
            X[train],
            Y[train],
            epochs=config.epochs,
            batch_size=config.batch_size,
            verbose=0,
            callbacks=callbacks,
            **kwargs,
        )
    losses = history.history
    val_losses = losses.get("val_loss")
    facts = {
        "train_windows": n_train,
        "validation_windows": n_val,
        "epochs_run": len(losses["loss"]),
        "final_loss": losses["loss"][-1],
        "best_val_loss": min(val_losses) if val_losses else None,
        "best_epoch": int(np.argmin(val_losses)) + 1 if val_losses else len(losses["loss"]),
        "seconds": round(time.perf_counter() - started, 2),
    }
    best = ""
    if val_losses:
        best = f"; best validation loss {facts['best_val_loss']:.3g} at epoch {facts['best_epoch']}"
        best += " (its weights kept)"
    say(f"trained {facts['epochs_run']} epochs in {facts['seconds']:.1f} s{best}")
    return model, scaler, facts


def predict(model, X, steps, scaler):
    """Raw windows (W, L, F) -> (W, steps) price forecasts.

    When the model has fewer outputs than `steps` (recursive), its forecasts are appended to
    the window as new rows and the oldest rows dropped, until `steps` values exist (this needs
    a single input column, which check_settings ensures).
    """
    W, L, F = X.shape
    window, parts, have = X, [], 0
    while have < steps:
        out = np.asarray(model.predict(scaler.inputs(window)), dtype=np.float64)  # (W, M)
        prices = scaler.prices(window, out.reshape(W, -1))
        parts.append(prices)
        have += prices.shape[1]
        if have < steps:
            window = np.concatenate([window, prices[:, :, None]], axis=1)[:, -L:]
    return np.concatenate(parts, axis=1)[:, :steps]


def _forecasts(model, scaler, data, config, start, stop):
    """Origins (W,) of the windows whose targets lie in rows start .. stop-1, and the model's
    and the baselines' forecasts from them {name: (W, H)}, model first."""
    H, y = config.horizon, data.target
    X, _, origins = windows(data.values, config.lookback, H, start, stop)
    forecasts = {"model": predict(model, X, H, scaler)}  # (W, H) prices from rows t-L .. t-1
    forecasts.update(baselines.baseline_forecasts(y, origins, H, config.ma_window))
    return origins, forecasts


def score_block(model, scaler, data, config, start, stop, rng):
    """The model and the baselines forecast every origin in rows start .. stop-1, each with
    conformal bands at the levels config.interval; scored (rng: the skill bootstrap's).

    The bands are calibrated on the same forecasters' errors over the latest tenth of the
    training windows (intervals.CALIBRATION; the validation windows, unless --validation is
    0), whose rows all lie before `start`, then updated online (intervals.band). Where no
    window lies before `start` (a whole file with --model) there is no calibration: the bands
    start from the errors that arrive as the test days become known.
    Returns origins (W,), forecasts {name: (W, H)} (model first), bands {name: {level:
    (lower, upper)}} each (W, H), actual (W, H) and the scores (baselines.score).
    """
    L, H, y = config.lookback, config.horizon, data.target
    origins, forecasts = _forecasts(model, scaler, data, config, start, stop)
    actual = baselines.actuals(y, origins, H)
    n_windows = max(start - L - H + 1, 0)  # windows whose targets all lie before start
    n_cal = validation_size(n_windows, intervals.CALIBRATION)
    if n_cal:
        cal_origins, cal = _forecasts(model, scaler, data, config, start - n_cal - H + 1, start)
    else:
        cal_origins, cal = np.arange(0), dict.fromkeys(forecasts, np.empty((0, H)))
    cal_move = intervals.typical_move(y, cal_origins)  # (C,)
    cal_actual, move = baselines.actuals(y, cal_origins, H), intervals.typical_move(y, origins)
    bands = {}
    for name, pred in forecasts.items():
        cal_scores = intervals.scores(cal_actual, cal[name], cal_move)  # (C, H) typical moves
        bands[name] = {
            level: intervals.band(pred, actual, move, cal_scores, level)
            for level in config.interval
        }
    scores = baselines.score(forecasts, actual, y[origins - 1], rng, bands)
    return origins, forecasts, bands, actual, scores


def predict_next(model, data, config, scaler):
    """Forecast `predict_next` weekdays after the last row, beside the baselines."""
    N, L, n_out = config.predict_next, config.lookback, outputs(config)
    pred = predict(model, data.values[None, -L:], N, scaler)[0]  # (N,)
    last = data.dates[-1]
    future = np.busday_offset(last, np.arange(1, N + 1), roll="forward")
    origin = np.array([len(data.dates)])
    fc = baselines.baseline_forecasts(data.target, origin, N, config.ma_window)
    method = "direct" if n_out >= N else f"recursive: {n_out} output(s) fed back"
    return {
        "method": f"{method}, from the last {L} known rows",
        "last_known_date": str(last),
        "dates": [str(d) for d in future],
        "model": pred.tolist(),
        **{k.replace(" ", "_"): v[0].tolist() for k, v in fc.items()},
    }


def _stats(values):
    arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if np.isnan(arr).all():
        return {"mean": None, "std": None}
    return {"mean": float(np.nanmean(arr)), "std": float(np.nanstd(arr))}


def backtest(data, config, say, rng):
    """Walk-forward: the test period in `config.backtest` blocks; fold k refits the scalers
    and the model on every row before block k, then forecasts block k's origins with bands
    calibrated before it. Returns the folds, their mean and std, and "pooled": the folds'
    forecasts scored as one series (its skill interval and Diebold-Mariano test)."""
    T, H = len(data.dates), config.horizon
    folds, parts = [], []
    quiet = dataclasses.replace(config, quiet=True)
    for k, (start, stop) in enumerate(fold_bounds(data.split, T, config.backtest, H)):
        model, scaler, facts = fit(data.values, start, quiet, lambda *_: None)
        origins, forecasts, bands, actual, scores = score_block(
            model, scaler, data, config, start, stop, rng
        )
        parts.append((origins, forecasts, bands, actual))
        folds.append(
            {
                "from": str(data.dates[start]),
                "to": str(data.dates[stop - 1]),
                "train_rows": start,
                "origins": len(origins),
                "epochs_run": facts["epochs_run"],
                "metrics": scores,
            }
        )
        m, n = scores["model"]["rmse"], scores["naive"]["rmse"]
        say(
            f"backtest fold {k + 1}/{config.backtest}: {folds[-1]['from']} .. {folds[-1]['to']}"
            f", RMSE {m:.2f} vs naive {n:.2f}"
        )
    names = list(folds[0]["metrics"])
    origins, forecasts, bands, actual = _joined(parts, config.interval)
    pooled = baselines.score(forecasts, actual, data.target[origins - 1], rng, bands)
    summary = {}
    for n in names:
        rows = [f["metrics"][n] for f in folds]
        summary[n] = {m: _stats([r[m] for r in rows]) for m in baselines.METRICS}
        summary[n]["intervals"] = [
            {
                "level": level,
                "coverage": _stats([r["intervals"][i]["coverage"] for r in rows]),
                "mean_width": _stats([r["intervals"][i]["mean_width"] for r in rows]),
            }
            for i, level in enumerate(config.interval)
        ]
    return {"folds": len(folds), "summary": summary, "pooled": pooled, "by_fold": folds}


def _joined(parts, levels):
    """Blocks' (origins, forecasts, bands, actual) end to end, as one block's."""
    names = parts[0][1]
    return (
        np.concatenate([p[0] for p in parts]),
        {n: np.concatenate([p[1][n] for p in parts]) for n in names},
        {
            n: {
                lv: tuple(np.concatenate([p[2][n][lv][i] for p in parts]) for i in (0, 1))
                for lv in levels
            }
            for n in names
        },
        np.concatenate([p[3] for p in parts]),
    )


def extras(config, data, scaler):
    """What the model file carries besides weights: settings, scaler, the training span and the
    data it was trained on (the --csv file as given, or the --dataset name)."""
    settings = {k: getattr(config, k) for k in FILE_SETTINGS}
    settings["features"] = input_columns(config)
    p = data.provenance
    return {
        "format": FORMAT,
        "settings": settings,
        "data": {"csv": None if p["dataset"] else p["source"]["train"], "dataset": p["dataset"]},
        "columns": list(data.columns),
        "train_from": str(data.dates[0]),
        "train_to": str(data.dates[data.split - 1]),
        "scaler": scaler.get_state(),
    }


def load(path):
    """(model, extras) from a forecast model file; one clear error for any other file."""
    model, found = load_model_file(path, "--model")
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise InputError(
            f"Argument `--model`: {str(path)!r} is a model file but not a forecast model "
            "(no forecast settings)."
        )
    check_file(path, model, found)
    return model, found


def check_file(path, model, found):
    """One line naming --model and the file unless the forecast model file is usable: every
    setting present and valid and matching its network, its scaler and training span intact."""

    def bad(what):
        return InputError(
            f"Argument `--model`: the model file {str(path)!r} {what}; it cannot be used."
        )

    s = found.get("settings")
    keys = [k for k in ("columns", "train_from", "train_to", "scaler") if k not in found]
    if not isinstance(s, dict):
        raise bad("has no forecast settings (extras.settings)")
    keys += [f"settings.{k}" for k in FILE_SETTINGS if k not in s]
    if keys:
        raise bad(f"has no {', '.join(keys)}")
    expect = {k: ("an integer >= 1", _positive) for k in ("lookback", "horizon", "units", "layers")}
    expect.update({k: (f"one of {', '.join(v)}", v.__contains__) for k, v in CHOICES.items()})
    expect["dropout"] = ("a number in [0, 1)", lambda v: _number(v) and 0 <= v < 1)
    expect["column"] = expect["activation"] = ("a name", lambda v: isinstance(v, str) and v)
    expect["features"] = ("a list of column names", _names)
    for key, (expected, ok) in expect.items():
        if not ok(s[key]):
            raise bad(f"has {key} {s[key]!r} in its settings, expected {expected}")
    for key in ("train_from", "train_to"):
        try:
            np.datetime64(str(found[key]), "D")
        except ValueError:
            raise bad(f"has {key} {found[key]!r}, expected a date like 2018-01-02") from None
    n_out = s["horizon"] if s["strategy"] == "direct" else 1
    shape = (s["lookback"], len(s["features"]), n_out)
    if (*model.input_shape[1:], model.output_shape[-1]) != shape:
        raise bad(
            f"says lookback {shape[0]}, {shape[1]} input(s) and {n_out} output(s), but its "
            f"network reads {model.input_shape[1:]} and writes {model.output_shape[-1]}"
        )
    try:
        scaler = WindowScaler.from_state(found["scaler"])
        fitted = hasattr(scaler.x_, "n_features_in_") and hasattr(scaler.y_, "n_features_in_")
    except (InputError, KeyError, TypeError, ValueError, AttributeError):
        fitted = False
    if not fitted or scaler.target != s["target"]:
        raise bad(f"has no fitted scaler for --target {s['target']} (extras.scaler is damaged)")


def _number(v):
    return not isinstance(v, bool) and isinstance(v, int | float)


def _names(v):
    return isinstance(v, list) and v and all(isinstance(c, str) for c in v)


def _positive(v):
    return not isinstance(v, bool) and isinstance(v, int) and v >= 1


def check_unseen(found, data):
    """A loaded model must not be scored on days it was trained on."""
    first_test, end = data.dates[data.split], found["train_to"]
    if first_test <= np.datetime64(end):
        fix = f"pass --test-from DATE, a date after {end},"
        if "test" in data.provenance["source"]:  # --test-csv
            fix = f"pass a test file whose days come after {end}"
        raise InputError(
            f"The model was trained on data up to {end}, but the test period starts on "
            f"{first_test}; {fix} so it is scored only on days it has not seen."
        )
