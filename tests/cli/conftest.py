"""The command-line tests start real servers with the operations tests' fixtures."""
from tests.ops.conftest import make_ops_app, start_server  # noqa: F401
