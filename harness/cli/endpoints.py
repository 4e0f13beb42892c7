"""Where an online command's requests go, and with which key: an emulator started in-process on
loopback (default), `--upstream URL` (a Moonshot stand-in; Kimi Coding goes to its sibling
`/coding/v1`), or `--live` (the catalog's endpoints, keys from the environment or the config
file). Keys are never printed; a missing key is one line (`UsageProblem`, exit status 2).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

# The emulator, like the real services, refuses one provider's key on the other's host: one key each.
EMULATOR_KEYS = {"moonshot": "sk-conformance-emulator-moonshot", "kimi": "sk-kimi-conformance-emulator"}


class UsageProblem(HarnessError):
    """A bad option or a missing key: one line, exit 2."""


@contextlib.contextmanager
def endpoint_settings(args, catalog) -> Iterator[Any]:
    """WireSettings for the run; starts (and stops) an in-process emulator unless --upstream/--live."""
    from harness.cassettes.settings import WireSettings

    emulator = None
    upstream = args.upstream
    if not args.live and not upstream:
        from harness.emulator import Emulator

        emulator = Emulator()
        upstream = emulator.start()
    try:
        yield (
            WireSettings(
                catalog=catalog,
                cassette_dir=Path("."),
                live=args.live,
                upstream=upstream,
                endpoint=getattr(args, "endpoint", "international"),
            ),
            emulator is not None,
        )
    finally:
        if emulator is not None:
            emulator.stop()


def base_url(settings, model) -> str:
    """--upstream's stand-in, else the provider's base URL as the catalog (or config) gives it;
    `--endpoint china` picks Moonshot's China endpoint."""
    up = settings.upstream_for(model)
    if up:
        return up
    if settings.endpoint != "international":
        return settings.canonical_base(model)
    return model.provider.base_url.rstrip("/")


def load_catalog(path):
    """The catalog of a command; a user config's warnings (per-1K cost figures) go to stderr."""
    from harness import catalog as catalog_mod

    cat = catalog_mod.load(path)
    for w in cat.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return cat


def key_for(provider, args, secrets, catalog) -> str:
    """The key of a run: the emulator placeholder unless --live; then the config's own key (an
    explicit apiKey wins, as in OpenClaw), then the provider's own variables — never another
    provider's (harness.online.keys.run_key)."""
    from harness.online.keys import key_owner, missing_key_reason, run_key

    if not args.live:
        return EMULATOR_KEYS.get(provider.id, EMULATOR_KEYS["moonshot"])
    key = run_key(provider, catalog, secrets.get(provider.id))
    if key:
        return key
    own = [n for n in provider.auth_env if key_owner(catalog, n) == provider.id]
    raise UsageProblem(
        missing_key_reason(own, provider.id)
        + " (its own key: another provider's variable or value is never sent to this host)"
        + (f" (or apiKey in {args.catalog})" if args.catalog else "")
    )


def load_user_config(args):
    from harness.catalog.user_config import UserConfig, parse

    return parse(args.catalog) if args.catalog else UserConfig(Path("-"), {})
