"""The README is executed: every code block runs as written, outside the repository.

* ```python blocks run with this interpreter in a temporary folder (so neither the repository's
  ``conftest.py`` nor its working tree is involved); a block that defines ``test_*`` functions
  runs under pytest there. A trailing comment ``# -> text`` on a line is an expected line of
  standard output (checked).
* ```console blocks: every ``hyperribbon ...`` line is a case; the lines of one block run in
  order in one temporary folder (a session: a later line may read what an earlier one wrote).
  Commands that take minutes are listed in :data:`EXPENSIVE` with the reason and skipped (the
  reason shows in the summary; ``HYPERRIBBON_README_ALL=1`` runs them too), and so are later
  lines of the block that read a folder a skipped command would have written.
* ```sh blocks hold ``make`` targets, which (re)install the environment: skipped with the reason.
* ```text blocks that follow "A real run (`hyperribbon ...`)" must equal that command's output.
"""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent
#: Console commands of the README not run by default, with the reason (shown by pytest -ra).
EXPENSIVE = {
    "hyperribbon falsify --examples 500": "500 examples for every lemma: several minutes",
    "hyperribbon phase-diagram --T-max 10000 --T-num 64 --c-num 64 --ratios 1.2,2.4,4.8 "
    "--out out/phase": "a 64 × 64 × 3 grid with 8 target draws: minutes on one core",
    "hyperribbon demo --out out/demo --quick": "runs every lemma and a Monte-Carlo ensemble; "
    "tests/experiments/test_cli.py runs the same command",
    "hyperribbon manifold --quick --out out/manifold-quick": "trains 12 networks and runs 13 "
    "analyses (about 8 minutes on 2 cores); tests/experiments/manifold runs the same code on a "
    "tiny sweep (test_manifold_quick.py, test_manifold_cli_run.py)",
    "hyperribbon manifold status out/manifold-quick/sweep": "needs the sweep written by "
    "`manifold --quick`; tests/experiments/manifold/test_manifold_cli_run.py runs status",
    "hyperribbon manifold analyze out/manifold-quick/sweep --analyses 1,2,6 --out out/analysis":
    "needs the sweep written by `manifold --quick`; "
    "tests/experiments/manifold/test_manifold_analyze_cli.py runs analyze on a tiny sweep",
    "hyperribbon pac-bayes --out out/pac-bayes": "trains a network and optimises a posterior "
    "(about a minute of CPU); tests/experiments/curvature run `pac-bayes --quick`",
    "hyperribbon spectrum all --arch mlp2 --width 32 --out out/spectrum-all": "every quantity of "
    "a trained network (several minutes on 2 cores); the README's smaller `spectrum` line runs",
}


def blocks():
    """(language, text, line number, preceding paragraph) of every fenced block."""
    text = README.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"^```([\w-]*)\n(.*?)^```", text, flags=re.S | re.M):
        before = text[:m.start()].rstrip().split("\n\n")[-1]
        out.append((m.group(1), m.group(2), text[:m.start()].count("\n") + 1, before))
    return out


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    return env


PYTHON = [(t, n) for lang, t, n, _ in blocks() if lang == "python"]
CONSOLE = [(n, line.split(" #")[0].strip()) for lang, t, n, _ in blocks() if lang == "console"
           for line in t.splitlines() if line.strip().startswith("hyperribbon")]
_SESSIONS: dict = {}            # block line → (folder, folders a skipped command would write)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    def folder(block):
        if block not in _SESSIONS:
            _SESSIONS[block] = (tmp_path_factory.mktemp(f"readme-block-{block}"), [])
        return _SESSIONS[block]
    return folder


def _outputs(args):
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--out"]


def test_every_block_has_a_known_language():
    langs = {lang for lang, *_ in blocks()}
    assert langs <= {"python", "console", "sh", "text"}, langs
    assert PYTHON and CONSOLE


@pytest.mark.parametrize("code,line", PYTHON, ids=[f"python-line-{n}" for _, n in PYTHON])
def test_python_block_runs_as_written(code, line, tmp_path):
    if re.search(r"^def test_", code, flags=re.M):
        f = tmp_path / f"test_readme_block_{line}.py"
        f.write_text(code)
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              str(f)], cwd=tmp_path, capture_output=True, text=True, env=_env(),
                             timeout=900)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        return
    f = tmp_path / "block.py"
    f.write_text(code)
    res = subprocess.run([sys.executable, str(f)], cwd=tmp_path, capture_output=True, text=True,
                         env=_env(), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    printed = [ln.strip() for ln in res.stdout.splitlines()]
    for expected in re.findall(r"#\s*->\s*(.+)$", code, flags=re.M):
        assert expected.strip() in printed, (expected, res.stdout[:2000])


@pytest.mark.parametrize("block,command", CONSOLE, ids=[c for _, c in CONSOLE])
def test_console_command_runs(block, command, sessions):
    cwd, skipped = sessions(block)
    args = shlex.split(command)
    if command in EXPENSIVE and not os.environ.get("HYPERRIBBON_README_ALL"):
        skipped.extend(_outputs(args))
        pytest.skip(f"README command not run by default: {EXPENSIVE[command]}")
    needs = [s for s in skipped for a in args[1:] if a.startswith(s.rstrip("/") + "/")]
    if needs:
        pytest.skip(f"reads {needs[0]}, which a skipped command of the same block writes")
    res = subprocess.run([str(BIN / args[0])] + args[1:], cwd=cwd, capture_output=True,
                         text=True, env=_env(), timeout=1800)
    # exit status 1 = a statement fails, documented (verify all / falsify over the errata)
    assert res.returncode in (0, 1), res.stdout[-2000:] + res.stderr[-3000:]
    assert res.stdout.strip(), command


def test_make_blocks_are_only_make_targets():
    for lang, text, _, _ in blocks():
        if lang == "sh":
            for line in text.splitlines():
                if line.strip() and not line.startswith(" "):
                    assert line.startswith("make "), line
    pytest.skip("```sh blocks are `make` targets, which (re)install the environment: not run "
                "by the test-suite (they are what .ci/run and a fresh clone run)")


def test_real_run_outputs_are_real():
    checked = 0
    for lang, text, _, before in blocks():
        m = re.search(r"A real run \(`(hyperribbon [^`]+)`\)", before)
        if lang == "text" and m:
            args = shlex.split(m.group(1))
            res = subprocess.run([str(BIN / args[0])] + args[1:], capture_output=True, text=True,
                                 env=_env(), timeout=600)
            assert res.stdout.strip() == text.strip()
            checked += 1
    assert checked >= 1
