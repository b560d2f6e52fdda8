"""The benchmark runs the code of its own checkout, the commit its report names."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import servers

REPO = Path(__file__).resolve().parents[2]


def test_children_import_scim_server_from_this_checkout(tmp_path: Path) -> None:
    env = servers.checkout_env(SCIM_EXAMPLE="1")
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(REPO)
    assert env["SCIM_EXAMPLE"] == "1"
    done = subprocess.run([sys.executable, "-c", "import scim_server; print(scim_server.__file__)"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert Path(done.stdout.strip()).resolve() == REPO / "scim_server" / "__init__.py"


def test_a_reference_token_that_starts_with_a_dash_reaches_the_server() -> None:
    """`secrets.token_urlsafe` may start with `-`: the token is passed as `--token=VALUE`."""
    from bench import reference_server, suite_reference

    token = "-x9Yq_token"
    args = reference_server.parse_args(["--port", "1", suite_reference.token_argument(token)])
    assert args.token == token
