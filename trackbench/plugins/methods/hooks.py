"""Built-in methods. None have landed yet; see the README's status table."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_methods():
    return []
