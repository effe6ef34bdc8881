"""Shared check of the invalid-argument tables: the error type, the argument it names, and that
its message names the argument and shows the value received."""
import pytest

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
