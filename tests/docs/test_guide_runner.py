"""The guide runner catches a guide that no longer says what the server does."""
from __future__ import annotations

import pytest

from .guide_runner import Example, Outcome, Runner, examples

GUIDE = '''
```sh
curl -s "$URL/sites"
```

```http
HTTP/1.1 201 Created

{"id": "$SITE_ID", "name": "Acme", "tags": [{"k": "b"}]}
```

```shell
not run
```
'''


def test_examples_pair_commands_with_their_answers():
    [example] = examples(GUIDE)
    assert example.answer_kind == "http" and '"$SITE_ID"' in example.answer


def outcome(status: int, body: str) -> Outcome:
    return Outcome(Example(1, "curl"), status, body, body)


def test_a_matching_answer_captures_its_variables():
    runner = Runner({})
    runner.check_http(examples(GUIDE)[0].answer, outcome(
        201, '{"id": "s1", "name": "Acme", "extra": 1, "tags": [{"k": "a"}, {"k": "b"}]}'), "x")
    assert runner.captured == {"SITE_ID": "s1"}


@pytest.mark.parametrize("status,body", [
    (200, '{"id": "s1", "name": "Acme", "tags": [{"k": "b"}]}'),
    (201, '{"id": "s1", "name": "Other", "tags": [{"k": "b"}]}'),
    (201, '{"id": "s1", "tags": [{"k": "b"}]}'),
    (201, '{"id": "s1", "name": "Acme", "tags": [{"k": "c"}]}'),
])
def test_a_different_answer_fails(status, body):
    with pytest.raises(AssertionError):
        Runner({}).check_http(examples(GUIDE)[0].answer, outcome(status, body), "x")


def test_a_known_variable_must_equal_what_the_server_sends():
    runner = Runner({"SITE_ID": "s1"})
    with pytest.raises(AssertionError, match="SITE_ID"):
        runner.check_http(examples(GUIDE)[0].answer, outcome(
            201, '{"id": "s2", "name": "Acme", "tags": [{"k": "b"}]}'), "x")


def test_text_answers_capture_words():
    runner = Runner({})
    runner.check_text("To: a@b…token=$TOKEN", "From: x\nTo: a@b\n\nhttp://h/accept?token=abc\n",
                      "x")
    assert runner.captured == {"TOKEN": "abc"}
    with pytest.raises(AssertionError):
        runner.check_text("To: c@d", "To: a@b", "x")
