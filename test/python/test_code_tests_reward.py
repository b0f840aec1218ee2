"""code_tests_reward of the rendered rewards.py (src/core/recipes/templates/rewardsCode.ts), run on
completions a model could write for MBPP-shaped rows (test_list of asserts) and HumanEval-shaped
rows (a check(candidate) string and entry_point): right code scores 1.0, partly right a fraction,
broken or endless code 0.0 within the time limit, and the code sees neither the home's files (when
bubblewrap works here) nor the trainer's secrets."""
import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

RENDER = ("const {renderRewards}=require('./src/core/recipes/templates/rewards.ts');"
          "process.stdout.write(renderRewards([{name:'code_tests',weight:1},{name:'format',weight:0.1}],process.argv[1]))")

ADD_TESTS = ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0', 'assert add(0, 5) == 5']
FENCE = '```'


def load_rewards(answer_column):
    """rewards.py as the recipe renders it, imported as a module from a fresh folder."""
    folder = tempfile.mkdtemp(prefix='code-reward-test-')
    rendered = subprocess.run(['node', '--import', 'tsx', '-e', RENDER, answer_column], cwd=ROOT, capture_output=True, text=True, check=True)
    path = os.path.join(folder, 'rewards.py')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(rendered.stdout)
    spec = importlib.util.spec_from_file_location('rewards_' + answer_column, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MbppShapedRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rewards = load_rewards('test_list')

    def score(self, completions, tests=ADD_TESTS, **columns):
        extra = {k: [v] * len(completions) for k, v in columns.items()}
        return self.rewards.code_tests_reward(completions, test_list=[tests] * len(completions), **extra)

    def test_right_partly_right_broken_and_endless_code(self):
        self.rewards.CODE_TIME_LIMIT_S = 2
        completions = [
            'Here is the function:\n' + FENCE + 'python\ndef add(a, b):\n    return a + b\n' + FENCE + '\nIt adds.',
            [{'role': 'assistant', 'content': 'def add(a, b):\n    return a + b if a > 0 else 7'}],
            'def add(a, b) return a + b',
            'def add(a, b):\n    while True:\n        pass',
            'while True:\n    print("x" * 4096)',
            'I cannot write that.',
        ]
        started = time.monotonic()
        scores = self.score(completions)
        self.assertLess(time.monotonic() - started, 15, 'the endless loop must stop at the time limit')
        self.assertEqual(scores[0], 1.0)
        self.assertAlmostEqual(scores[1], 1 / 3)
        self.assertEqual(scores[2:], [0.0, 0.0, 0.0, 0.0])

    def test_the_last_block_counts_and_printed_pass_lines_do_not(self):
        draft = FENCE + 'python\ndef add(a, b):\n    return 0\n' + FENCE
        final = FENCE + '\ndef add(a, b):\n    return a + b\n' + FENCE
        forged = 'for i in range(3):\n    print("passed", i)\ndef add(a, b):\n    return 3'
        self.assertEqual(self.score([draft + '\nFixed:\n' + final, forged]), [1.0, 1 / 3])

    def test_reasoning_before_unfenced_code_is_not_run_as_code(self):
        self.assertEqual(self.score(['<think>add them</think>\ndef add(a, b):\n    return a + b\n']), [1.0])

    def test_setup_code_runs_first_and_tests_as_one_string_are_split_at_their_asserts(self):
        scores = self.score(['def add(a, b):\n    return OFFSET + a + b - 10'], tests='assert add(1, 2) == 3\nassert add(2, 2) == 5\n',
                            test_setup_code='OFFSET = 10')
        self.assertEqual(scores, [0.5])

    def test_malformed_rows_and_completions_score_zero_without_raising(self):
        scores = self.rewards.code_tests_reward([None, 'def add(a, b): return a + b', 'x'], test_list=[ADD_TESTS, None, 'def ('])
        self.assertEqual(scores, [0.0, 0.0, 0.0])

    def with_planted_secrets(self, completion_for_key):
        """Score a completion with HF_TOKEN set and a key planted under a fake HOME."""
        home = tempfile.mkdtemp(prefix='fake-home-')
        os.makedirs(os.path.join(home, '.ssh'))
        key = os.path.join(home, '.ssh', 'id_ed25519')
        with open(key, 'w', encoding='utf-8') as f:
            f.write('PLANTED-KEY')
        saved = {name: os.environ.get(name) for name in ('HOME', 'HF_TOKEN')}
        os.environ.update(HOME=home, HF_TOKEN='hf_planted_secret')
        try:
            return self.score([completion_for_key(key)])
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def test_the_code_does_not_inherit_the_trainers_secrets(self):
        score = self.with_planted_secrets(lambda key: 'import os\nassert "HF_TOKEN" not in os.environ\ndef add(a, b):\n    return a + b')
        self.assertEqual(score, [1.0])

    def test_the_home_is_hidden_from_the_code_when_bubblewrap_works(self):
        score = self.with_planted_secrets(lambda key: 'KEY = open(%r).read()\nassert KEY == "PLANTED-KEY"\ndef add(a, b):\n    return a + b' % key)
        if not self.rewards._CODE_SANDBOX.get('works'):
            self.skipTest('bwrap missing or unusable here (which: %s): the code runs unconfined' % shutil.which('bwrap'))
        self.assertEqual(score, [0.0])


class WithoutBubblewrap(unittest.TestCase):
    def test_a_missing_bwrap_warns_once_and_the_code_still_runs_limited(self):
        rewards = load_rewards('test_list')
        saved_path = os.environ.get('PATH', '')
        os.environ['PATH'] = tempfile.mkdtemp(prefix='no-bwrap-')
        warnings = io.StringIO()
        try:
            with contextlib.redirect_stderr(warnings):
                scores = rewards.code_tests_reward(['def add(a, b):\n    return a + b', 'def add(a, b):\n    return 0'] * 2,
                                                   test_list=[ADD_TESTS] * 4)
        finally:
            os.environ['PATH'] = saved_path
        self.assertEqual(scores, [1.0, 1 / 3, 1.0, 1 / 3])
        self.assertEqual(warnings.getvalue().count('bubblewrap (bwrap) is not available'), 1, warnings.getvalue())


class HumanEvalShapedRows(unittest.TestCase):
    PROMPT = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum of xs."""\n'
    TEST = '\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate([1, 2]) == 3\n    assert candidate([]) == 0\n'

    @classmethod
    def setUpClass(cls):
        cls.rewards = load_rewards('test')

    def test_a_body_only_answer_gets_the_prompt_a_whole_function_runs_as_written(self):
        prompts = [[{'role': 'system', 'content': 'Write Python.'}, {'role': 'user', 'content': self.PROMPT}]] * 3
        completions = ['    return sum(xs)\n', FENCE + 'python\ndef total(xs):\n    return sum(xs)\n' + FENCE, '    return len(xs)\n']
        scores = self.rewards.code_tests_reward(completions, prompts=prompts, test=[self.TEST] * 3, entry_point=['total'] * 3)
        self.assertEqual(scores, [1.0, 1.0, 0.0])


if __name__ == '__main__':
    unittest.main()
