"""The docs are part of the product: the contract's anchors exist and every link to them resolves,
every relative link in the docs resolves (file and anchor), every command in a fenced block names
real subcommands, options, tox envs and modules, every pytest option of the plugin is documented,
and the README stays short. Nothing outside `.ci/` refers to a folder beside the checkout."""

from __future__ import annotations

import configparser
import contextlib
import importlib.util
import io
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "contract.md"
README = REPO / "README.md"
OPTIONS_DOC = REPO / "docs" / "reference" / "options.md"
README_MAX_LINES = 150
# the anchors the rule registry and the report link to; renaming one breaks their links
RULE_ANCHORS = {
    "routing",
    "t1",
    "t2",
    "t3",
    "t4",
    "t5",
    "t6",
    "t6b",
    "t7",
    "t8",
    "t9",
    "pass-through",
    "idempotence",
    "errors",
    "t10-web-search",
    "kimi-coding-anthropic",
    "smoke",
}
OTHER_ANCHORS = {
    "sources",
    "catalog",
    "transformations",
    "gaps",
    "decisions",
    "d1",
    "d2",
    "d3",
    "d4",
    "d5",
}
LINK = re.compile(r"contract\.md#([a-z0-9-]+)((?:(?:, |\.\.)#[a-z0-9-]+)*)")


def anchors() -> set[str]:
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', CONTRACT.read_text(encoding="utf-8")))


def tracked_text_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (the wheel check covers installed copies)")
    files = [REPO / f for f in out.splitlines()]
    return [
        f
        for f in files
        if f.is_file()
        and f.suffix
        in (
            ".py",
            ".md",
            ".json",
            ".yaml",
            ".yml",
            ".toml",
            ".ini",
            ".cfg",
            ".mjs",
            ".cjs",
            ".sh",
            ".txt",
        )
    ]


def test_every_rule_has_its_anchor():
    assert anchors() >= RULE_ANCHORS | OTHER_ANCHORS


@pytest.mark.integration
def test_every_link_into_the_contract_resolves():
    known, broken = anchors(), []
    for f in tracked_text_files():
        for m in LINK.finditer(f.read_text(encoding="utf-8", errors="replace")):
            names = [m[1], *re.findall(r"#([a-z0-9-]+)", m[2])]
            broken += [f"{f.relative_to(REPO)}: #{n}" for n in names if n not in known]
    assert broken == []


@pytest.mark.integration
def test_nothing_outside_ci_refers_to_a_sibling_folder():
    sibling = re.compile(r"\.\./" + "shared" + r"|/work/" + "shared")  # split so this file does not match
    hits = [
        f"{f.relative_to(REPO)}:{n}"
        for f in tracked_text_files()
        if ".ci" not in f.relative_to(REPO).parts
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if sibling.search(line)
    ]
    assert hits == []


def test_every_rule_of_the_registry_links_to_its_section():
    from harness.rules import all_rules

    missing = {r.id: r.section for r in all_rules() if r.section not in anchors()}
    assert missing == {}


# ------------------------------------------------------------------------------ the docs as files
def doc_files() -> list[Path]:
    """README.md, docs/**/*.md and benchmarks/README.md: every page a reader is sent to."""
    files = [README, *sorted((REPO / "docs").rglob("*.md")), REPO / "benchmarks" / "README.md"]
    return [f for f in files if f.is_file()]


def _name(f: Path) -> str:
    return str(f.relative_to(REPO)) if f.is_relative_to(REPO) else str(f)


FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([\w+-]*)")


def blocks(text: str) -> tuple[str, list[tuple[str, int, list[str]]]]:
    """(the text with fenced blocks blanked out, [(language, first line number, lines)] of the
    fenced blocks). Line numbers stay those of the file."""
    prose, found, fence, lang, start, body = [], [], None, "", 0, []
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence, lang, start, body = m[1], m[2].lower(), n + 1, []
            prose.append("")
        elif fence is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            found.append((lang, start, body))
            fence = None
            prose.append("")
        elif fence is not None:
            body.append(line)
            prose.append("")
        else:
            prose.append(line)
    return "\n".join(prose), found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower-cased, punctuation dropped, spaces
    to hyphens (so `T4 — tool_choice` gives `t4--tool_choice`)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(f: Path) -> set[str]:
    prose, _ = blocks(f.read_text(encoding="utf-8"))
    found: set[str] = set(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", prose))
    seen: dict[str, int] = {}
    for m in re.finditer(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", prose, re.M):
        base = slug(m[1])
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
MD_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def links_of(f: Path) -> list[tuple[int, str]]:
    """(line, target) of every Markdown link outside code."""
    prose, _ = blocks(f.read_text(encoding="utf-8"))
    out = []
    for n, line in enumerate(prose.splitlines(), 1):
        line = INLINE_CODE.sub("", line)
        out += [(n, m[1]) for m in MD_LINK.finditer(line)]
    return out


def test_the_docs_exist():
    names = {_name(f) for f in doc_files()}
    expected = {
        "README.md",
        "benchmarks/README.md",
        "docs/index.md",
        "docs/contract.md",
        "docs/quickstart.md",
        "docs/guides/your-gateway.md",
        "docs/guides/recording-cassettes.md",
        "docs/guides/live-runs.md",
        "docs/guides/real-targets.md",
        "docs/guides/ci.md",
        "docs/reference/target-protocol.md",
        "docs/reference/cli.md",
        "docs/reference/options.md",
        "docs/reference/exit-codes.md",
        "docs/reference/case-format.md",
        "docs/reference/divergence-format.md",
        "docs/reference/tox.md",
        "docs/reference/architecture.md",
    }
    assert expected <= names, sorted(expected - names)


def test_every_relative_link_resolves():
    """A relative link names an existing file or folder; its `#anchor` is a heading's GitHub slug
    or an explicit `<a id>` of the page it points at."""
    broken = []
    for f in doc_files():
        for n, target in links_of(f):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
                continue
            path, _, anchor = target.partition("#")
            dest = (f.parent / path).resolve() if path else f
            where = f"{_name(f)}:{n}: {target}"
            if not dest.exists():
                broken.append(f"{where}: no such file")
            elif REPO not in dest.parents and dest != REPO:
                broken.append(f"{where}: outside the repository")
            elif anchor and (dest.suffix != ".md" or anchor not in anchors_of(dest)):
                broken.append(f"{where}: no anchor #{anchor} in {dest.name}")
    assert broken == []


# the folders a path in backticks may start with: such a path names a file of this repository
REPO_PATH = re.compile(r"`((?:harness|suites|tests|benchmarks|cassettes|docs|kimi_conformance|\.ci)/[^`\s]*)`")


def written_by_init() -> set[str]:
    """The files `kimi-conformance init` writes into a user's repository (the guide names them as
    the user will find them, not as files of this one)."""
    from argparse import Namespace

    from harness.cli import init

    args = Namespace(name="my-gateway", target="reference", api=None, dir=Path("."), tests="tests")
    return {path.as_posix() for path in init.files(args)}


def test_every_repository_path_named_in_the_docs_exists():
    """`harness/rules/t4_tool_choice.py` in backticks is a promise that the file is there (the
    layout moves; the docs must follow). Paths with a placeholder (`<rule>`, `*`, `…`) are patterns."""
    missing = []
    for f in doc_files():
        prose, _ = blocks(f.read_text(encoding="utf-8"))
        for n, line in enumerate(prose.splitlines(), 1):
            for path in REPO_PATH.findall(line):
                path = path.rstrip(".,:;")
                if re.search(r"[<>*…{}]|\.\.\.", path):
                    continue
                file, _, anchor = path.split("::")[0].partition("#")
                if file in written_by_init():
                    continue
                if not (REPO / file).exists():
                    missing.append(f"{_name(f)}:{n}: {path}")
                elif anchor and anchor not in anchors_of(REPO / file):
                    missing.append(f"{_name(f)}:{n}: {path}: no such anchor")
    assert missing == []


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


# ------------------------------------------------------------------------------ commands in the docs
SHELLS = {"bash", "console", "sh", "shell"}


def _strip_comment(line: str) -> str:
    """The line without a shell comment (`#` at the start of a word, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def commands_of(f: Path) -> list[tuple[str, int, str]]:
    """(file, line, command line) of every command in a shell block: `$ ` stripped (in a console
    block only `$ ` lines are commands, the rest is output), comments dropped, `\\` joined."""
    _, found = blocks(f.read_text(encoding="utf-8"))
    out = []
    for lang, start, body in found:
        if lang not in SHELLS:
            continue
        pending, first = "", 0
        for n, raw in enumerate(body, start):
            line = raw.strip()
            if not pending:
                if line.startswith("$ "):
                    line = line[2:]
                elif lang == "console":
                    continue
                first = n
            line = _strip_comment(line).strip()
            if line.endswith("\\"):
                pending += line[:-1].rstrip() + " "
                continue
            line, pending = (pending + line).strip(), ""
            if line:
                out.append((_name(f), first, line))
    return out


def split_commands(line: str) -> list[list[str]]:
    """The simple commands of a command line (split at `&&`, `||`, `;`, `|`), without leading
    `VAR=value` assignments and redirections."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    out: list[list[str]] = [[]]
    tokens = list(lexer)
    skip = False
    for tok in tokens:
        if skip:
            skip = False
        elif tok in ("&&", "||", ";", "|", "&"):
            out.append([])
        elif tok in (">", ">>", "<", "2>", "2>&1"):
            skip = True
        elif not out[-1] and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tok):
            continue
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def long_options(argv: list[str]) -> list[str]:
    """The `--name` options of an argument list (`--name=value` gives `--name`), up to a bare `--`."""
    found = []
    for a in argv:
        if a == "--":
            break
        if re.match(r"^--[A-Za-z0-9]", a):
            found.append(a.split("=", 1)[0])
    return found


def _help_options(text: str) -> set[str]:
    """The options of a `--help` text: every `--name` in the option column (argparse and pytest
    both start an option line with two spaces and a dash)."""
    names: set[str] = set()
    for line in text.splitlines():
        m = re.match(r"^ {2,4}(-\S.*?)(?: {2,}|$)", line)
        if m:
            names.update(n.split("=")[0] for n in re.findall(r"--[A-Za-z0-9][\w-]*", m[1]))
    return names


@cache
def pytest_help() -> str:
    """`pytest --help` from the repository root, with the plugin loaded."""
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, f"pytest --help failed:\n{(r.stdout + r.stderr)[-3000:]}"
    return r.stdout


def pytest_options() -> set[str]:
    return _help_options(pytest_help())


def plugin_options() -> set[str]:
    """Every spelling of every option in the plugin's `kimi-conformance` group of `pytest --help`."""
    section, inside = [], False
    for line in pytest_help().splitlines():
        if line.startswith("kimi-conformance"):
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        if inside:
            section.append(line)
    assert section, "no kimi-conformance section in pytest --help"
    return _help_options("\n".join(section))


@cache
def module_help(module: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, f"python -m {module} --help failed:\n{(r.stdout + r.stderr)[-2000:]}"
    return r.stdout


# modules that hand the arguments they do not know on to pytest
PASSES_TO_PYTEST = {"harness.cassettes.record"}
# `python -m` modules the docs name that are not this project's and need not be installed where
# these tests run, each with its reason. Keep it short: everything else is checked.
NOT_INSTALLED_HERE = {
    "build": "PyPA's wheel builder (`python -m build` in the quickstart): not a dependency of the tests",
}


@cache
def tox_config() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(REPO / "tox.ini", encoding="utf-8")
    return cp


def tox_envs() -> set[str]:
    cp = tox_config()
    envs = {s.split(":", 1)[1] for s in cp.sections() if s.startswith("testenv:")}
    envs |= {e.strip() for e in cp.get("tox", "env_list", fallback="").replace("\n", ",").split(",") if e.strip()}
    return envs


def tox_posargs_commands(env: str) -> list[list[str]]:
    """The commands of a tox env that take `{posargs}`, as argument lists."""
    cp = tox_config()
    section = f"testenv:{env}" if cp.has_option(f"testenv:{env}", "commands") else "testenv"
    out = []
    for line in cp.get(section, "commands", fallback="").splitlines():
        line = line.strip()
        if "{posargs}" in line and not line.startswith("#"):
            out.append(shlex.split(line.removeprefix("- ").replace("{posargs}", "")))
    return out


def check_kimi_conformance(argv: list[str]) -> list[str]:
    from harness.cli.main import build_parser, main

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            ns = build_parser().parse_args(argv)
    except SystemExit as e:
        if e.code == 0:  # --help
            return []
        return [f"does not parse: {err.getvalue().strip().splitlines()[-1]}"]
    rest = getattr(ns, "rest", None)
    if rest:  # a subcommand with its own parser (validate-captures): its --help names its options
        out = io.StringIO()
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main([argv[0], "PATH", "--help"])
        known = _help_options(out.getvalue())
        return [f"{argv[0]} has no option {o}" for o in long_options(rest) if o not in known]
    return []


def deprecated_options() -> set[str]:
    """The plugin's deprecated spellings: in its group, every name without the `--kimi-` prefix."""
    return {o for o in plugin_options() if not o.startswith("--kimi-")}


def pytest_option_problem(option: str) -> str | None:
    if option not in pytest_options():
        return f"pytest has no option {option}"
    if option in deprecated_options():
        return f"{option} is a deprecated alias: write its --kimi- name (docs/reference/options.md)"
    return None


def check_pytest(argv: list[str]) -> list[str]:
    problems = [p for p in map(pytest_option_problem, long_options(argv)) if p]
    paths = [a for a in argv if re.match(r"^(suites|tests|benchmarks)(/|$)", a)]
    mine = written_by_init()
    return problems + [
        f"no such test path {p}" for p in paths if not (REPO / p.split("::")[0]).exists() and p not in mine
    ]


def check_python_module(argv: list[str]) -> list[str]:
    if len(argv) < 2 or argv[0] != "-m":
        return []
    module, args = argv[1], argv[2:]
    if module == "pytest":
        return check_pytest(args)
    if module in NOT_INSTALLED_HERE:
        return []
    try:
        spec = importlib.util.find_spec(module)
    except ImportError:
        spec = None
    if spec is None:
        return [f"no module {module}"]
    opts = long_options(args)
    if not opts:
        return []
    known = _help_options(module_help(module))
    problems = []
    for o in opts:
        if o in known:
            continue
        if module in PASSES_TO_PYTEST:  # not its own: pytest's, then
            problems += [p for p in [pytest_option_problem(o)] if p]
        else:
            problems.append(f"python -m {module} has no option {o}")
    return problems


def check_tox(argv: list[str]) -> list[str]:
    problems, envs = [], []
    cut = argv.index("--") if "--" in argv else len(argv)
    own, posargs = argv[:cut], argv[cut + 1 :]
    for i, a in enumerate(own):
        if a in ("-e", "--env") and i + 1 < len(own):
            envs += own[i + 1].split(",")
        elif a.startswith("-e") and len(a) > 2:
            envs += a[2:].split(",")
    known = tox_envs()
    problems += [f"tox has no env {e!r}" for e in envs if e not in known]
    if posargs:
        for env in (e for e in envs if e in known):
            commands = tox_posargs_commands(env)
            if not commands:
                problems.append(f"tox env {env} takes no arguments after --")
            for command in commands:
                problems += check(command + posargs)
    return problems


def check(argv: list[str]) -> list[str]:
    """What is wrong with one simple command ([] when nothing is, or when it is not ours to check)."""
    prog = argv[0]
    if prog == "kimi-conformance":
        return check_kimi_conformance(argv[1:])
    if prog == "pytest":
        return check_pytest(argv[1:])
    if prog in ("python", "python3"):
        return check_python_module(argv[1:])
    if prog == "tox":
        return check_tox(argv[1:])
    return []


def all_commands() -> list[tuple[str, int, str]]:
    return [c for f in doc_files() for c in commands_of(f)]


def test_commands_are_read_as_a_shell_reads_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ kimi-conformance rules   # a comment\noutput, not a command\n```\n"
        "```bash\nCI=true pytest suites \\\n  --kimi-target 'a # b' && tox -e py\n```\n"
        "```python\npytest = 1\n```\n",
        encoding="utf-8",
    )
    found = [(n, line) for _, n, line in commands_of(page)]
    assert found == [(2, "kimi-conformance rules"), (6, "CI=true pytest suites --kimi-target 'a # b' && tox -e py")]
    assert split_commands(found[1][1]) == [["pytest", "suites", "--kimi-target", "a # b"], ["tox", "-e", "py"]]


def test_the_docs_show_commands():
    """The checker sees the commands (a parser that finds none would pass everything)."""
    progs = {argv[0] for _, _, line in all_commands() for argv in split_commands(line)}
    assert {"kimi-conformance", "pytest", "tox", "python"} <= progs


@pytest.mark.integration
def test_every_documented_command_is_real():
    """kimi-conformance: a real subcommand whose options parse; pytest: registered options only;
    tox: envs of tox.ini (and what follows `--` valid for the command that takes it); python -m:
    an importable module with those options."""
    problems = []
    for name, n, line in all_commands():
        for argv in split_commands(line):
            problems += [f"{name}:{n}: {line}\n    {p}" for p in check(argv)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "line",
    [
        "kimi-conformance no-such-command",
        "kimi-conformance smoke --no-such-option",
        "kimi-conformance validate-captures PATH --no-such-option",
        "pytest suites --no-such-option",
        "pytest suites --target openclaw",
        "pytest tests/test_no_such_file.py -q",
        "python -m harness.cassettes.record --model moonshot/kimi-k2.6",
        "tox -e no-such-env",
        "tox -e smoke -- --no-such-option",
        "python -m harness.no_such_module",
        "python -m harness.cassettes.real --no-such-option",
    ],
)
@pytest.mark.integration
def test_the_command_checker_catches(line):
    assert [p for argv in split_commands(line) for p in check(argv)], line


@pytest.mark.integration
def test_the_command_checker_accepts():
    for line in (
        "CI=true pytest suites --hypothesis-profile=deep -n auto",
        "pip install tox && tox -e py,lint",
        "kimi-conformance emulator serve --port 8089 --faults 429:0.2 --seed 7",
        "kimi-conformance validate-captures PATH --all-errors",
        "kimi-conformance smoke --live --model moonshot/kimi-k2.6",
        "python -m harness.cassettes.record --live --kimi-model moonshot/kimi-k2.6 -k plain",
        "tox -e bench -- --compare OLD.json",
    ):
        assert [p for argv in split_commands(line) for p in check(argv)] == [], line


# ------------------------------------------------------------------------------ the plugin's options
@pytest.mark.integration
def test_every_plugin_option_is_documented():
    """docs/reference/options.md names every spelling of every option in the plugin's group (the
    new `--kimi-…` names and their deprecated aliases): a new option without docs fails here."""
    text = OPTIONS_DOC.read_text(encoding="utf-8")
    options = plugin_options()
    assert "--kimi-target" in options, "the plugin's options are not `--kimi-…` yet"
    missing = sorted(o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text))
    assert missing == []


@pytest.mark.integration
def test_every_kimi_option_the_docs_name_exists():
    """A `--kimi-…` name anywhere in the docs (prose included) is a registered pytest option."""
    known = pytest_options()
    unknown = sorted(
        f"{_name(f)}: {o}"
        for f in doc_files()
        for o in set(re.findall(r"(?<![\w-])--kimi-[a-z0-9-]*[a-z0-9]", f.read_text(encoding="utf-8")))
        if o not in known
    )
    assert unknown == []
