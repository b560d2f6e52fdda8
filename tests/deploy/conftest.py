"""The deployment tests start real servers with the operations tests' fixtures."""
from tests.ops.conftest import start_server  # noqa: F401
