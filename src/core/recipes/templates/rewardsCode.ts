/**
 * The code_tests reward of rewards.py: a completion's code runs against the row's tests in a child
 * Python, and scores the fraction of tests that pass. The code is the model's, so it runs with no
 * secrets in its environment, limited in time, memory and CPU, in a fresh temporary folder, and
 * inside bubblewrap (network off, home hidden) when bwrap works here. Rendered only when chosen.
 * Formats read: MBPP (test_list: assert strings, test_setup_code) and HumanEval (test: a string
 * defining check(candidate), entry_point; the prompt holds the signature a body-only answer needs).
 */

/** Columns code_tests_reward reads besides the reference when the data has them: train.py keeps them in each row. */
export const CODE_TEST_EXTRA_COLUMNS = ['entry_point', 'test_setup_code'];

// String.raw keeps Python's backslashes as written; the code fence is matched as \x60 (a backtick),
// which a template literal could not hold.
export const CODE_TESTS_REWARD_PY = String.raw`

# ---- code_tests: run the completion's code against the row's tests (MBPP's test_list, HumanEval's check()).
# Seconds one completion's code and tests may run; memory (bytes) its Python may map.
import os  # noqa: E402
import threading  # noqa: E402

CODE_TIME_LIMIT_S = 5
CODE_MEMORY_LIMIT_BYTES = 2 * 1024 ** 3

# The child: limits first (set here rather than in a preexec_fn, which is unsafe with the threads that
# score completions in parallel), then the solution, then each test; a line per passed test, signed
# with a nonce from stdin so printed text cannot count as a pass.
_CODE_RUNNER = '''
import json, resource, sys
limits = json.load(open("task.json", encoding="utf-8"))
for kind, value in ((resource.RLIMIT_AS, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]), (resource.RLIMIT_FSIZE, 16 * 1024 ** 2)):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass
nonce = sys.stdin.readline().strip()
out = sys.stdout
namespace = {"__name__": "__solution__"}
try:
    exec(compile(limits["code"], "solution.py", "exec"), namespace)
except BaseException:
    sys.exit(0)
for index, test in enumerate(limits["tests"]):
    try:
        exec(compile(test, "test_%d.py" % index, "exec"), namespace)
    except BaseException:
        continue
    out.write("%s passed %d\\n" % (nonce, index))
    out.flush()
'''

_CODE_SANDBOX = {}
_CODE_SANDBOX_LOCK = threading.Lock()
_CODE_FENCE = re.compile(r"\x60{3}[ \t]*(?:python3?|py)?[ \t]*\r?\n(.*?)\x60{3}", flags=re.DOTALL | re.IGNORECASE)


def completion_code(text):
    """The last \x60\x60\x60python (or bare \x60\x60\x60) block of the completion, else the text after any
    <think>...</think> (the format reward asks for reasoning first; it is no Python)."""
    blocks = _CODE_FENCE.findall(text)
    if blocks:
        return blocks[-1]
    return text.rsplit("</think>", 1)[-1]


def _prompt_text(prompt):
    """The prompt as text: a string, or the last user turn of a conversational prompt."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)):
        users = [m.get("content") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return users[-1] if users and isinstance(users[-1], str) else ""
    return ""


def code_tests_of(tests, entry_point):
    """The tests as separate snippets: a list of asserts (MBPP), or test code split at its top-level asserts;
    HumanEval's check(candidate) becomes one test calling it on the entry point."""
    import ast

    # A test that asserts nothing would pass any code (a reference column that holds no tests).
    if isinstance(tests, (list, tuple)):
        return [t for t in tests if isinstance(t, str) and "assert" in t]
    if not isinstance(tests, str) or "assert" not in tests:
        return []
    if entry_point and re.search(r"^def check\(", tests, flags=re.MULTILINE):
        return [tests + "\ncheck(" + entry_point + ")\n"]
    body = ast.parse(tests).body
    if body and all(isinstance(node, ast.Assert) for node in body):
        return [ast.get_source_segment(tests, node) for node in body]
    return [tests]


def _bwrap_prefix(workdir):
    """bubblewrap around the child (network off, home and /tmp hidden, the work folder writable), or []
    when bwrap is missing or cannot start here (tested once; a warning says the code runs unconfined)."""
    import sys

    home = os.path.expanduser("~")
    # Python itself may live under the hidden home (pyenv, a venv there): it comes back read-only.
    python_dirs = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)))})

    def argv(folder):
        keep = [arg for d in python_dirs if d.startswith(home.rstrip("/") + "/") for arg in ("--ro-bind", d, d)]
        return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--tmpfs", home, *keep, "--bind", folder, folder, "--unshare-all", "--cap-drop", "ALL",
                "--die-with-parent", "--new-session", "--chdir", folder, "--"]

    with _CODE_SANDBOX_LOCK:
        _probe_sandbox(argv, workdir)
    return argv(workdir) if _CODE_SANDBOX["works"] else []


def _probe_sandbox(argv, workdir):
    """Whether bwrap starts this Python here: tried once per process (the threads wait for the first try)."""
    import shutil
    import subprocess
    import sys

    if "works" not in _CODE_SANDBOX:
        works = False
        if shutil.which("bwrap"):
            try:
                probe = subprocess.run(argv(workdir) + [sys.executable, "-I", "-c", "pass"], capture_output=True, timeout=30)
                works = probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                works = False
        _CODE_SANDBOX["works"] = works
        if not works:
            print("rewards.py: bubblewrap (bwrap) is not available or cannot start here: code_tests_reward runs "
                  "completions in a plain child Python (time, memory and environment limited; network and files not confined).",
                  file=sys.stderr, flush=True)


def run_code_tests(code, tests, time_limit=None):
    """How many of the tests pass after the code runs, in a child Python: (passed, total)."""
    import json
    import secrets
    import signal
    import subprocess
    import sys
    import tempfile

    limit = CODE_TIME_LIMIT_S if time_limit is None else time_limit
    if not tests:
        return 0, 0
    with tempfile.TemporaryDirectory(prefix="code-reward-") as workdir:
        with open(os.path.join(workdir, "task.json"), "w", encoding="utf-8") as f:
            json.dump({"code": code, "tests": tests, "memory": CODE_MEMORY_LIMIT_BYTES, "cpu": int(limit) + 1}, f)
        with open(os.path.join(workdir, "runner.py"), "w", encoding="utf-8") as f:
            f.write(_CODE_RUNNER)
        # No inherited environment: tokens and keys (HF_TOKEN, cloud credentials) stay out of the model's code.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        nonce = secrets.token_hex(16)
        # Output goes to a file, not a pipe: RLIMIT_FSIZE caps what a printing loop can write (a pipe would buffer it all here).
        output_path = os.path.join(workdir, "output.txt")
        with open(output_path, "wb") as output:
            child = subprocess.Popen(_bwrap_prefix(workdir) + [sys.executable, "-I", "runner.py"], cwd=workdir, env=env,
                                     stdin=subprocess.PIPE, stdout=output, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                child.communicate((nonce + "\n").encode(), timeout=limit)
            except subprocess.TimeoutExpired:
                # The whole session (bwrap and whatever the code started) stops; tests that passed in time still count.
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except OSError:
                    pass
                child.wait()
        with open(output_path, "rb") as output:
            lines = output.read().decode("utf-8", "replace").splitlines()
    passed = {line.split()[-1] for line in lines if line.startswith(nonce + " passed ")}
    return len(passed), len(tests)


def in_parallel(func):
    """Mark a reward whose completions never_raise scores on several threads (each waits on a child process)."""
    func.runs_in_parallel = True
    return func


@never_raise
@in_parallel
def code_tests_reward(text, row):
    """The fraction of the row's tests the completion's code passes (0.0 for code that does not run)."""
    entry_point = row.get("entry_point") if isinstance(row.get("entry_point"), str) else None
    tests = code_tests_of(row.get(ANSWER_COLUMN) if ANSWER_COLUMN else None, entry_point)
    if not tests:
        return 0.0
    code = completion_code(text)
    if not code.strip():
        return 0.0
    prompt = _prompt_text(row.get("prompts"))
    # HumanEval prompts hold the imports, signature and docstring: an answer that is only the body needs them first.
    if entry_point and not re.search(r"def\s+" + re.escape(entry_point) + r"\s*\(", code) and ("def " + entry_point) in prompt:
        code = prompt + code
    setup = row.get("test_setup_code")
    if isinstance(setup, str) and setup.strip():
        code = setup + "\n" + code
    passed, total = run_code_tests(code, tests)
    return passed / total if total else 0.0
`;
