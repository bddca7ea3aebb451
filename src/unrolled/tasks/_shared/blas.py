"""BLAS on one thread while a task trains, if threadpoolctl is installed.

Our GEMMs are small ((N*T, H) by (H, 4H)); extra BLAS threads only wait for each other, and on a
busy 2-core machine they made training about 10x slower (measured).
"""

import contextlib


def one_blas_thread():
    """A context manager that limits BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up, not a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
