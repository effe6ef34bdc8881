import os

import pytest

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# Shared check of the invalid-argument tables: the error type, the argument it names, and that
# its message names the argument and shows the value received.
from hyperribbon.theory.errors import InvalidArgument


def _check_invalid(call, argument: str, value: str) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        call()
    err = info.value
    message = str(err)
    assert err.argument == argument, message
    assert f"`{argument}`" in message, message
    assert value in message, f"{value!r} not in {message!r}"
    return err


@pytest.fixture
def check_invalid():
    """``check_invalid(call, argument, value_text)``: ``call()`` raises InvalidArgument for
    ``argument`` with ``value_text`` (the value, or its summary) in the message."""
    return _check_invalid
