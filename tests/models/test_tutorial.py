"""The tutorial's Google-stock script end to end (the seed workload), on the shared CSVs.

Open prices scaled to [0, 1]; lookback 1: today's Open predicts tomorrow's. LSTM(4,
sigmoid) + Dense(1), adam, mse, batch 32, 200 epochs. Keras 3 ends at a training loss of
about 2.6e-4; we require <= 3e-4. Then the 20 test days of January 2017 are predicted, each
from the day before, and set beside the naive forecast "tomorrow = today".
"""

import numpy as np

import unrolled
from unrolled.data import MinMaxScaler
from unrolled.layers import LSTM, Dense
from unrolled.models import Sequential


def test_the_tutorial_script_reaches_keras_loss_and_forecasts_the_test_month(google_opens):
    train, test = (a.reshape(-1, 1) for a in google_opens)  # (1258, 1), (20, 1)
    scaler = MinMaxScaler()
    scaled = scaler.fit_transform(train)
    X_train = scaled[0:1257].reshape(1257, 1, 1)  # (N, T=1, D=1)
    y_train = scaled[1:1258]

    unrolled.set_seed(0)
    model = Sequential([LSTM(units=4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mean_squared_error")
    history = model.fit(X_train, y_train, batch_size=32, epochs=200, verbose=0)
    assert history.history["loss"][-1] <= 3e-4
    assert history.history["loss"][0] > 10 * history.history["loss"][-1]

    previous = np.concatenate([train[-1:], test[:-1]])  # the day before each test day
    inputs = scaler.transform(previous).reshape(20, 1, 1)
    predicted = scaler.inverse_transform(model.predict(inputs))  # (20, 1) dollars
    error = np.abs(predicted - test).mean()
    naive = np.abs(previous - test).mean()  # 5.94 dollars
    assert predicted.shape == (20, 1)
    assert np.all(np.abs(predicted - test) / test < 0.05)
    assert error < 3 * naive, (error, naive)
