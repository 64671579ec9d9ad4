"""A plugin whose default spec does not validate."""

from pydantic import Field

from trackbench import hookimpl
from trackbench.api import Method, MethodSpec


class BadMethod(Method):
    """Method with a broken default."""

    name = "bad_method"

    class Spec(MethodSpec):
        weight: float = Field(default=-1.0, gt=0)


@hookimpl
def trackbench_register_methods():
    return [BadMethod]
