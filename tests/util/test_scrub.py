"""The one redaction function (harness.util.scrub): keys by shape, secrets by position, the
session's secrets by value; and what it leaves alone."""

import pytest

from harness.reporting import redact
from harness.util import scrub

KEY = "sk-" + "abcdefghijkl0123"  # built, so this file holds no key-shaped literal


@pytest.mark.parametrize(
    "text,kept",
    [
        ("gw --token=ghp_abcdef123456", "gw --token=<redacted>"),
        ("gw --token ghp_abcdef123456 --x", "gw --token <redacted> --x"),
        ("gw --api-key 'two words' -v", "gw --api-key <redacted> -v"),
        ("gw --API_KEY=abc", "gw --API_KEY=<redacted>"),
        (
            "gw --key=abcdefgh --password hunter22 --secret=s3cr3t!!",
            "gw --key=<redacted> --password <redacted> --secret=<redacted>",
        ),
        ("gw --client-secret xyzxyzxyz --auth-token=t0k3n", "gw --client-secret <redacted> --auth-token=<redacted>"),
        (
            "env FOO_TOKEN=abc123 MOONSHOT_API_KEY=xyz node gw.js",
            "env FOO_TOKEN=<redacted> MOONSHOT_API_KEY=<redacted> node gw.js",
        ),
        ("DB_PASSWORD='a b' run", "DB_PASSWORD=<redacted> run"),
        (f"the key is {KEY}.", f"the key is {scrub.REDACTED_KEY}."),
        (f'{{"authorization": "Bearer {KEY}"}}', '{"authorization": "<redacted>"}'),
    ],
)
def test_secrets_by_position_and_shape(text, kept):
    assert scrub.scrub_text(text) == kept
    assert redact.scrub(text) == kept  # the report's name for the same function
    assert scrub.contains_secret(text) and not scrub.contains_secret(kept)
    assert scrub.scrub_text(kept) == kept  # idempotent: a sweep of scrubbed files finds nothing


@pytest.mark.parametrize(
    "text",
    [
        "gw --key-file /etc/gw.key --max-tokens 100 --monkey banana --token -v",
        "NODE_ENV=production max_tokens=100 thinking.keep=all task-1 disk-2 ask-me",
        '{"model": "kimi-k2.6", "content-type": "application/json", "prompt_tokens": 12}',
        "--token <redacted> --api-key <redacted:api-key>",
    ],
)
def test_ordinary_text_is_kept(text):
    assert scrub.scrub_text(text) == text
    assert not scrub.contains_secret(text)


def test_values_held_by_position_are_redacted_out_of_position_too():
    spec = "command:python3 t.py --token=ghp_bypos0001 --api-key 'bypos 0002' API_TOKEN=bypos0003 x"
    found = scrub.secrets_in_command(spec + " http:http://u:bypos0004@h/v1?api_key=bypos0005")
    assert found == {"ghp_bypos0001", "bypos 0002", "bypos0003", "bypos0004", "bypos0005"}
    assert scrub.secrets_in_command("gw --token=abc --key 1") == set()  # too short: trivia, not redacted
    scrub.remember(found)
    echoed = "starting with ghp_bypos0001 and bypos 0002; user bypos0004"
    assert scrub.scrub_text(echoed) == "starting with <redacted> and <redacted>; user <redacted>"
    assert scrub.scrub_bytes(echoed.encode()) == b"starting with <redacted> and <redacted>; user <redacted>"
    assert scrub.scrub_obj({"k": [echoed]}) == {"k": ["starting with <redacted> and <redacted>; user <redacted>"]}


def test_environment_secrets_are_collected_by_name_suffix_and_length():
    environ = {
        "FOO_TOKEN": "byenv-0001-value",
        "GH_SECRET": "byenv-0002-value",
        "A_KEY": "short",  # under 8 characters: trivia
        "KEYBOARD": "byenv-0003-value",  # not a suffix
        "HOME": "/root/byenv",
    }
    assert scrub.secrets_in_environ(environ) == {"byenv-0001-value", "byenv-0002-value"}
    found = scrub.collect_session_secrets(["command:gw --token=byspec-0001"], environ)
    assert {"byenv-0001-value", "byspec-0001"} <= found
    assert scrub.scrub_text("x byenv-0002-value y byspec-0001") == "x <redacted> y <redacted>"
    assert scrub.scrub_text("byenv-0003-value") == "byenv-0003-value"


def test_a_secret_found_inside_the_markers_is_not_taken():
    scrub.remember(["redacted", "api-key>"])  # X_TOKEN=redacted: a placeholder, not a secret
    once = scrub.scrub_text("--token=abcdefgh")
    assert once == "--token=<redacted>" and scrub.scrub_text(once) == once
