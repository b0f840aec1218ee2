"""Data GRPO can learn from: prompts, with or without a reference the rewards can check.

GRPO samples its own completions, so a prompt column is all it needs; a reference makes a
verifiable reward possible. This proposes, beside the detected format (which it never changes):
- the prompt column (a string, or the first of a list of user turns);
- the reference and what kind it is: 'final_answer' (GSM8K's '#### 42', a \\boxed{...}, a short
  answer), 'choice' (an index or letter into a 'choices' column), 'code_tests' (tests the code_tests reward runs);
- the built-in rewards of rewards.py that fit it, and notes saying what the user must still do.
trl passes the reference to the rewards under its own column name, so the mapping keeps it.
"""
import re

from data_shapes import _first_named, _lower_map, _role_score, message_style, QUESTION_WORDS

PROMPT_NAMES = ('prompt', 'question', 'problem', 'query', 'instruction', 'input', 'text', 'task', 'turns',
                'prompts')
FINAL_ANSWER_NAMES = ('answer', 'final_answer', 'solution', 'response', 'output', 'target', 'gold',
                      'ground_truth', 'reference', 'expected_answer', 'completion')
CHOICE_ANSWER_NAMES = ('answer', 'answerkey', 'answer_idx', 'label', 'gold', 'correct', 'correct_answer')
CHOICES_NAMES = ('choices', 'options', 'endings')
TEST_NAMES = ('test_list', 'tests', 'test', 'test_cases', 'unit_tests', 'test_code', 'challenge_test_list')
MARKED = re.compile(r'####\s*\S')


def _values(rows, col):
    return [r[col] for r in rows if isinstance(r, dict) and r.get(col) is not None]


def _mostly(rows, col, test, share=0.8):
    vals = _values(rows, col)
    return bool(vals) and sum(1 for v in vals if test(v)) >= share * len(vals)


def _is_text(v):
    return isinstance(v, str) and bool(v.strip())


def _first_turns(v):
    return isinstance(v, list) and bool(v) and all(isinstance(x, str) for x in v)


NUMBER = re.compile(r'^\$?\s*-?(?:\d[\d,]*)?\.?\d+\s*%?$|^-?\d+\s*/\s*\d+$')


def _marked_answer(v):
    """A worked solution ending in a final answer the reward extracts: GSM8K's '#### 42' or MATH's \\boxed{...}."""
    return isinstance(v, str) and (bool(MARKED.search(v)) or '\\boxed{' in v)


def _number_answer(v):
    """A bare number ('42', '1,000', '$18', '3/4', 2.5): a short answer compared whole after normalising."""
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, float)) or (isinstance(v, str) and bool(NUMBER.match(v.strip())))


def _choice_answer(v):
    return (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10) or \
        (isinstance(v, str) and bool(re.match(r'^\(?[A-Ja-j]\)?$|^\d$', v.strip())))


def _choice_list(v):
    if isinstance(v, dict):
        v = v.get('text')
    return isinstance(v, list) and 2 <= len(v) <= 10 and all(isinstance(x, (str, int, float)) for x in v)


def _prompt_column(rows, cols, exclude):
    """The column holding the question: a prompt-like name first, else the most question-like string column."""
    rest = [c for c in cols if c not in exclude]
    named = _first_named(rest, PROMPT_NAMES)
    if named and (_mostly(rows, named, _is_text) or _mostly(rows, named, _first_turns)):
        return named
    scored = sorted(((_role_score(c, QUESTION_WORDS), c) for c in rest if _mostly(rows, c, _is_text)), reverse=True)
    return scored[0][1] if scored and scored[0][0] > 0 else None


def _messages_prompt(rows, cols):
    """A conversation column whose rows end on a user turn: the conversation is the prompt."""
    for c in cols:
        vals = _values(rows, c)
        if vals and all(message_style(v) == 'role_content' for v in vals) and \
                all(v and isinstance(v[-1], dict) and v[-1].get('role') == 'user' for v in vals):
            return c
    return None


def _proposal(mapping, kind, rewards, reason, notes=None):
    return {'mapping': mapping, 'answerKind': kind, 'rewards': rewards, 'reason': reason, 'notes': notes or []}


def grpo_proposal(rows, cols, detection):
    """What GRPO would train on in these rows (a dict), or None when there is no usable prompt."""
    if not rows or detection.task in ('dpo', 'kto') or detection.format.startswith('preference') or detection.format == 'kto':
        return None  # preference pairs and labelled answers are for DPO/KTO: their answers are not references
    low = _lower_map(cols)
    # Multiple choice: the question, its choices, and the index or letter of the right one.
    choices = _first_named(cols, CHOICES_NAMES)
    if choices and _mostly(rows, choices, _choice_list, 1.0):
        answer = _first_named([c for c in cols if c != choices], CHOICE_ANSWER_NAMES)
        prompt = _prompt_column(rows, cols, (choices, answer))
        if answer and prompt and _mostly(rows, answer, _choice_answer, 1.0):
            return _proposal({'prompt': prompt, 'choices': choices, 'answer': answer}, 'choice', ['choice_letter', 'format'],
                             "multiple choice: '%s' with its '%s' lettered A, B, C... in the prompt; '%s' says which is right"
                             % (prompt, choices, answer))
    # Code with tests: the tests are the reference; a reward runs the completion's code against them.
    tests = _first_named(cols, TEST_NAMES)
    if tests and (_mostly(rows, tests, _is_text, 1.0) or _mostly(rows, tests, _first_turns, 1.0)):
        prompt = _prompt_column(rows, cols, (tests,) + tuple(c for c in cols if c.lower() in ('code', 'canonical_solution', 'solution')))
        if prompt:
            solution = next((c for c in cols if c.lower() in ('code', 'canonical_solution', 'solution')), None)
            notes = ["code_tests runs each completion's code against '%s' in a child Python (5 s, memory limited, no "
                     "secrets in its environment; inside bubblewrap with the network off when bwrap works here)" % tests]
            if solution:
                notes.append("'%s' holds a reference solution: reward-test scores it as the right answer" % solution)
            return _proposal({'prompt': prompt, 'answer': tests}, 'code_tests', ['code_tests', 'format'],
                             "code with tests: '%s' asks for a program and '%s' holds its tests" % (prompt, tests), notes)
    # A reference answer the exact-answer reward can check (math word problems and short answers).
    for name in FINAL_ANSWER_NAMES:
        answer = low.get(name)
        if not answer:
            continue
        prompt = _prompt_column(rows, cols, (answer,))
        marked = _mostly(rows, answer, _marked_answer)
        if prompt and (marked or _mostly(rows, answer, _number_answer)):
            how = "its final answer ('#### 42' or \\boxed{...}) is compared" if marked else 'it is compared whole (normalised)'
            return _proposal({'prompt': prompt, 'answer': answer}, 'final_answer', ['exact_answer', 'format'],
                             "prompts with a reference answer: '%s' asks, '%s' is the reference (%s)" % (prompt, answer, how))
    # A conversation that ends on the user's turn is a prompt as it is.
    convo = _messages_prompt(rows, cols)
    if convo:
        return _proposal({'messages': convo}, None, ['format', 'length'],
                         "'%s' holds conversations ending on a user turn: the model answers each" % convo,
                         ['no reference answer: the rewards can only judge the form (format, length); add your own for content'])
    # Prompts only (the detector found a prompt column and no answer): the rewards judge the completion alone.
    # Data with free-text answers of its own is for SFT; such an answer is no reference a reward can check.
    prompt = detection.mapping.get('prompt')
    if detection.format != 'unknown' or set(detection.mapping) != {'prompt'} or \
            not (_mostly(rows, prompt, _is_text) or _mostly(rows, prompt, _first_turns)):
        return None
    notes = ['no reference answer: the rewards can only judge the form (format, length); add your own for content']
    if _mostly(rows, prompt, _first_turns):
        notes.append("'%s' holds a list of user turns per row: the first is the prompt (the later ones follow an answer "
                     "the model has not given yet)" % prompt)
    return _proposal({'prompt': prompt}, None, ['format', 'length'], "prompts only: '%s'" % prompt, notes)
