"""matplotlib, headless: every task draws through here so the Agg backend is always used."""


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen needed), imported only when a task plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
