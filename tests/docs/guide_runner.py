"""Run a Markdown guide's examples against a live server and compare the answers.

The guide's conventions (docs/guide.md says them to the reader too):
- a ```sh block is run with bash, in order, in one environment that grows as it goes;
  ```shell blocks (installing, starting the server) are shown but not run here;
- a ```http block right after it is the expected answer of its one `curl`: the status
  line must match, and the JSON body must contain what the block shows (objects may
  have more members, lists more items, in any order; "…" matches any value);
- a value written `"$NAME"` captures what the server sent into the variable NAME (later
  blocks use `$NAME`), or must equal it if NAME is already set;
- a ```text block right after a `sh` block is matched against its output: "…" matches
  anything and `$NAME` captures a word.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```$", re.M | re.S)
VARIABLE = re.compile(r"^\$([A-Z][A-Z0-9_]*)$")
ANY = "…"
CURL_WRAPPER = r'''
curl() {
  command curl "$@" -sS -o "$GUIDE_DIR/body" -D "$GUIDE_DIR/headers" -w '%{http_code}' \
    > "$GUIDE_DIR/status"
  cat "$GUIDE_DIR/body"
}
'''


@dataclass
class Example:
    line: int
    command: str
    answer_kind: str | None = None
    answer: str | None = None


@dataclass
class Outcome:
    example: Example
    status: int | None
    body: str
    output: str


@dataclass
class Runner:
    env: dict[str, str]
    captured: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    def run(self, example: Example, cwd: Path) -> Outcome:
        with tempfile.TemporaryDirectory() as folder:
            env = {**self.env, **self.captured, "GUIDE_DIR": folder}
            script = "set -euo pipefail\n" + CURL_WRAPPER + example.command
            done = subprocess.run(["bash", "-c", script], env=env, cwd=cwd,
                                  capture_output=True, text=True, timeout=120)
            status_file = Path(folder) / "status"
            status = int(status_file.read_text()) if status_file.exists() else None
            body_file = Path(folder) / "body"
            body = body_file.read_text() if body_file.exists() else ""
        where = f"guide line {example.line}: {example.command.strip()}"
        assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stderr}"
        outcome = Outcome(example, status, body, done.stdout)
        if example.answer_kind == "http":
            self.check_http(example.answer or "", outcome, where)
        elif example.answer_kind == "text":
            self.check_text(example.answer or "", done.stdout, where)
        self.outcomes.append(outcome)
        return outcome

    def check_http(self, answer: str, outcome: Outcome, where: str) -> None:
        head, _, expected_body = answer.partition("\n\n")
        status_line = head.splitlines()[0]
        expected_status = int(status_line.split()[1])
        assert outcome.status == expected_status, (
            f"{where}\nexpected {status_line}, got {outcome.status}:\n{outcome.body}")
        if expected_body.strip():
            expected = json.loads(expected_body)
            actual = json.loads(outcome.body)
            problems = self.match(expected, actual, "$")
            assert not problems, f"{where}\n" + "\n".join(problems) + \
                f"\nactual body:\n{json.dumps(actual, indent=2)}"

    def match(self, expected: Any, actual: Any, path: str) -> list[str]:
        if isinstance(expected, str):
            if expected == ANY:
                return []
            variable = VARIABLE.match(expected)
            if variable:
                name = variable.group(1)
                if name in self.captured or name in self.env:
                    known = self.captured.get(name, self.env.get(name))
                    return [] if str(actual) == known else [
                        f"{path}: expected ${name} = {known!r}, got {actual!r}"]
                self.captured[name] = str(actual)
                return []
            expected = re.sub(r"\$([A-Z][A-Z0-9_]*)",
                              lambda m: self.captured.get(m.group(1),
                                                          self.env.get(m.group(1), m.group(0))),
                              expected)
            if ANY in expected and isinstance(actual, str):
                glob = ".*".join(re.escape(part) for part in expected.split(ANY))
                return [] if re.fullmatch(glob, actual, re.S) else [
                    f"{path}: expected {expected!r}, got {actual!r}"]
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                return [f"{path}: expected an object, got {actual!r}"]
            problems = []
            for key, value in expected.items():
                if key not in actual:
                    problems.append(f"{path}.{key}: missing")
                else:
                    problems += self.match(value, actual[key], f"{path}.{key}")
            return problems
        if isinstance(expected, list):
            if not isinstance(actual, list):
                return [f"{path}: expected a list, got {actual!r}"]
            problems, used = [], set()
            for index, item in enumerate(expected):  # in any order: each finds its own
                found = self._first_match(item, actual, used, f"{path}[{index}]")
                if found is None:
                    problems += [f"{path}[{index}]: no item matches {item!r}"]
                else:
                    used.add(found)
            return problems
        return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]

    def _first_match(self, item: Any, actual: list[Any], used: set[int],
                     path: str) -> int | None:
        """The first unused item of `actual` that matches; its captures are kept."""
        for position, candidate in enumerate(actual):
            if position in used:
                continue
            before = dict(self.captured)
            if not self.match(item, candidate, path):
                return position
            self.captured = before
        return None

    def check_text(self, template: str, output: str, where: str) -> None:
        names: list[str] = []
        pattern = ""
        for piece in re.split(r"(…|\$[A-Z][A-Z0-9_]*)", template.strip()):
            if piece == ANY:
                pattern += ".*?"
            elif VARIABLE.match(piece):
                names.append(piece[1:])
                pattern += f"(?P<{piece[1:]}>[^\\s\"&]+)"
            else:
                pattern += re.escape(piece)
        found = re.search(pattern, output, re.S)
        assert found, f"{where}\nexpected output like:\n{template}\ngot:\n{output}"
        self.captured.update({name: found.group(name) for name in names})


def examples(markdown: str) -> list[Example]:
    """The runnable examples of a guide, each with the answer block that follows it."""
    found: list[Example] = []
    blocks = list(FENCE.finditer(markdown))
    for index, block in enumerate(blocks):
        kind, text = block.group(1), block.group(2)
        if kind != "sh":
            continue
        example = Example(markdown.count("\n", 0, block.start()) + 1, text)
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if after is not None and after.group(1) in ("http", "text") and \
                not markdown[block.end():after.start()].strip():
            example.answer_kind, example.answer = after.group(1), after.group(2)
        found.append(example)
    return found


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items()
            if not key.startswith("SCIM_") and key != "PROMETHEUS_MULTIPROC_DIR"}
