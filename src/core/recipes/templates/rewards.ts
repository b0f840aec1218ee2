/**
 * rewards.py for GRPO: the built-in reward functions in trl's signature
 * `def name(completions, **kwargs) -> list[float]` (grpo_trainer.py passes every dataset column
 * but prompt/completion as a keyword list, and a conversational completion as a list of message
 * dicts). A reward that raised would stop a run hours in, so each one scores malformed text 0.0.
 */
import { pyStr } from './escape';
import { CODE_TESTS_REWARD_PY } from './rewardsCode';

export type RewardName = 'exact_answer' | 'choice_letter' | 'format' | 'length' | 'code_tests';
export const REWARD_NAMES: RewardName[] = ['exact_answer', 'choice_letter', 'format', 'length', 'code_tests'];

export interface RewardChoice {
  name: RewardName;
  weight?: number;
}

/** What each built-in needs: a reference column (trl passes it as a keyword argument) or nothing. */
export const REWARD_NEEDS_ANSWER: Record<RewardName, boolean> = { exact_answer: true, choice_letter: true, format: false, length: false, code_tests: true };

/** The Python function each choice becomes (trl names its metrics rewards/<function name>/mean). */
export const rewardFunctionName = (name: RewardName): string => `${name}_reward`;

/** The default: the final answer when the data has a reference, plus a light format reward. */
export function defaultRewards(hasAnswer: boolean): RewardChoice[] {
  return hasAnswer ? [{ name: 'exact_answer', weight: 1 }, { name: 'format', weight: 0.2 }] : [{ name: 'format', weight: 1 }, { name: 'length', weight: 0.5 }];
}

function pyNumber(n: number): string {
  // Weights are checked finite by the spec; a float literal keeps Python from reading 1 as an int weight.
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

export function renderRewards(rewards: RewardChoice[], answerColumn: string | undefined): string {
  const funcs = rewards.map((r) => rewardFunctionName(r.name));
  const weights = rewards.map((r) => pyNumber(r.weight ?? 1));
  return `"""
Reward functions for GRPO, in trl's signature: name(completions, **kwargs) -> list[float].
trl passes the other dataset columns as keyword arguments (lists, one item per completion), so the
reference answer arrives as kwargs[ANSWER_COLUMN]. A completion is a string, or for conversational
data a list of message dicts ({"role": "assistant", "content": ...}).
Every reward here returns 0.0 for text it cannot read instead of raising: one odd completion must
not stop the run. Add your own functions below and list them in REWARD_FUNCS with a weight.
Check them before spending GPU time:  ml-intern reward-test <this folder>
"""
import concurrent.futures
import functools
import re

# The dataset column holding the reference answer (None: the data has none).
ANSWER_COLUMN = ${answerColumn ? pyStr(answerColumn) : 'None'}
# Completions longer than this many characters lose length reward linearly (length_reward).
LENGTH_TARGET_CHARS = 1500


def completion_text(completion):
    """The text of a completion: a plain string, or the assistant content of a conversational one."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        content = completion.get("content")
        return content if isinstance(content, str) else ""
    if isinstance(completion, (list, tuple)):
        parts = [completion_text(m) for m in completion if not isinstance(m, dict) or m.get("role", "assistant") == "assistant"]
        return "\\n".join(p for p in parts if p)
    return ""


def never_raise(func):
    """Score 0.0 for any completion the reward cannot handle; keep the function's name for trl's metrics."""
    @functools.wraps(func)
    def wrapper(completions, **kwargs):
        def score(i):
            row = {key: values[i] for key, values in kwargs.items() if isinstance(values, (list, tuple)) and i < len(values)}
            try:
                return float(func(completion_text(completions[i]), row))
            except Exception:  # noqa: BLE001 - a reward must not crash training
                return 0.0
        if getattr(func, "runs_in_parallel", False) and len(completions) > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(completions))) as pool:
                return list(pool.map(score, range(len(completions))))
        return [score(i) for i in range(len(completions))]
    return wrapper


_NUMBER = r"-?\\d[\\d,]*(?:\\.\\d+)?"


def boxed_contents(text):
    """Contents of the last \\\\boxed{...}, braces balanced (\\\\boxed{\\\\frac{1}{2}})."""
    start = text.rfind("\\\\boxed{")
    if start < 0:
        return None
    i = start + len("\\\\boxed{")
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def extract_final_answer(text):
    """GSM8K's '#### 42', else the last \\\\boxed{...}, else 'answer is/Answer: X', else the last number."""
    if not isinstance(text, str) or not text.strip():
        return None
    marked = re.findall(r"####\\s*([^\\n]+)", text)
    if marked:
        return marked[-1].strip()
    boxed = boxed_contents(text)
    if boxed is not None:
        return boxed.strip()
    stated = re.findall(r"answer(?: is|:)\\s*\\$?\\s*(" + _NUMBER + r")", text, flags=re.IGNORECASE)
    if stated:
        return stated[-1]
    numbers = re.findall(_NUMBER, text)
    return numbers[-1] if numbers else None


def normalise_answer(answer):
    """'1,000' == '1000' == '1000.0' == '$1000' == ' 1000. '; other text compares case- and space-insensitively."""
    if answer is None:
        return None
    s = str(answer).strip().strip("$").strip()
    s = re.sub(r"\\\\text\\{([^}]*)\\}", r"\\1", s)
    s = s.rstrip(".").replace(" ", "").lower()
    plain = s.replace(",", "").lstrip("$")
    if re.fullmatch(r"-?\\d+(?:\\.\\d+)?", plain):
        if "." in plain:
            plain = plain.rstrip("0").rstrip(".")
        return plain or "0"
    return s or None


@never_raise
def exact_answer_reward(text, row):
    """1.0 when the completion's final answer equals the reference's (both normalised), else 0.0."""
    reference = row.get(ANSWER_COLUMN) if ANSWER_COLUMN else None
    if reference is None:
        return 0.0
    ref = str(reference)
    # GSM8K references are a worked solution ending in '#### 42': compare with that final answer.
    expected = normalise_answer(extract_final_answer(ref) if ("####" in ref or "\\\\boxed{" in ref) else ref)
    got = normalise_answer(extract_final_answer(text))
    return 1.0 if expected is not None and got == expected else 0.0


_LETTERS = "ABCDEFGHIJ"


def reference_letter(reference):
    """'B', 'b', '(B)', 'B) text' or an index (1 -> 'B')."""
    if isinstance(reference, bool):
        return None
    if isinstance(reference, int):
        return _LETTERS[reference] if 0 <= reference < len(_LETTERS) else None
    s = str(reference).strip()
    if s.isdigit():
        return _LETTERS[int(s)] if int(s) < len(_LETTERS) else None
    m = re.match(r"^\\(?([A-Ja-j])\\b", s)
    return m.group(1).upper() if m else None


def completion_letter(text):
    """The chosen letter: 'answer is (B)', 'Answer: B', or a lone letter at the end."""
    stated = re.findall(r"answer(?:\\s+is)?\\s*[:=]?\\s*\\(?([A-J])\\b", text, flags=re.IGNORECASE)
    if stated:
        return stated[-1].upper()
    boxed = boxed_contents(text)
    if boxed is not None and re.fullmatch(r"\\s*\\(?([A-Ja-j])\\)?\\s*", boxed):
        return boxed.strip().strip("()").upper()
    tail = re.search(r"(?:^|[\\s(])([A-J])\\)?[.!]?\\s*$", text)
    return tail.group(1) if tail else None


@never_raise
def choice_letter_reward(text, row):
    """1.0 when the completion picks the reference's multiple-choice letter, else 0.0."""
    expected = reference_letter(row.get(ANSWER_COLUMN)) if ANSWER_COLUMN else None
    got = completion_letter(text)
    return 1.0 if expected is not None and got == expected else 0.0


@never_raise
def format_reward(text, row):
    """1.0 for '<think>reasoning</think>' followed by a non-empty answer, else 0.0."""
    m = re.fullmatch(r"\\s*<think>(?:(?!</?think>).)+</think>(.*)", text, flags=re.DOTALL)
    # One reasoning block, then an answer that is not more reasoning.
    return 1.0 if m and m.group(1).strip() and "think>" not in m.group(1) else 0.0


@never_raise
def length_reward(text, row):
    """1.0 up to LENGTH_TARGET_CHARS, falling linearly to 0.0 at twice that; an empty completion scores 0.0."""
    n = len(text.strip())
    if n == 0:
        return 0.0
    if n <= LENGTH_TARGET_CHARS:
        return 1.0
    return max(0.0, 1.0 - (n - LENGTH_TARGET_CHARS) / LENGTH_TARGET_CHARS)
${rewards.some((r) => r.name === 'code_tests') ? CODE_TESTS_REWARD_PY : ''}

# ---- your own rewards: def my_reward(completions, **kwargs) -> list[float], then list it below.


# The rewards GRPO trains with, and their weights (GRPOConfig.reward_weights): same order, same length.
REWARD_FUNCS = [${funcs.join(', ')}]
REWARD_WEIGHTS = [${weights.join(', ')}]
`;
}
