"""The harness's exception types: bad input, a broken target, a broken cassette, a test that
cannot run here. Layers below the pytest plugin raise these; the plugin turns `NotRun` into a
skip and `CassetteError` into a failure without a traceback."""


class HarnessError(Exception):
    """Base class for every error the harness raises on purpose."""


class CatalogError(HarnessError):
    """The catalog is invalid, or a model ref does not resolve."""


class CaseError(HarnessError):
    """A case is malformed (unknown ref, wrong types, bad messages).

    The reference raises only this for bad input; a target that rejects a case reports it as
    this too, so suites can tell "rejected as invalid" from "crashed".
    """


class TargetError(HarnessError):
    """A target crashed, timed out, or answered outside the protocol."""


class TargetUnavailable(TargetError):
    """A target cannot run here (not installed); the message says how to install it."""


class TargetProtocolError(TargetError):
    """A target answered a line that is not the awaited answer (wrong id, not JSON, wrong shape)."""


class TargetUnresponsive(TargetError):
    """A target process timed out or died: N of these in a row mark the target broken."""


class TargetTimeout(TargetUnresponsive):
    """A target did not answer within its timeout."""


class TargetExited(TargetUnresponsive):
    """A target process exited (or closed its input) before answering."""


class TargetBroken(TargetError):
    """A target was marked broken for this session; its remaining cases are not run."""


class CassetteError(HarnessError):
    """A cassette file cannot be used: truncated, malformed, or from a newer format version.
    The message names the file and what is wrong, on one line."""


class NotRun(HarnessError):
    """This test cannot run here, and that is no verdict on the rules: no key for its provider,
    the upstream is gone, the spend budget is used up, no cassette and none is expected. The
    message says why (the pytest plugin reports it as skipped, with that reason)."""
