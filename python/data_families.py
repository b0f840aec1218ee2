"""Data set families the column-name detectors would misread, decided before them.

Two kinds:
- data that is not post-training data (retrieval pairs/triplets, token classification, text
  classification, stepwise supervision for process reward models): reported as such with the
  reason, never forced into a chat format (positive/negative looks like a preference pair, and a
  text column with a label like a corpus);
- preference pairs stored as two answers plus an index saying which one won (PKU-SafeRLHF's
  response_0/response_1/better_response_id, SHP's human_ref_A/human_ref_B/labels): mapped with the
  'choice' role, whose value is the position of the better answer among (chosen, rejected) columns.
"""
from data_shapes import SYSTEM_NAMES, _first_named

NOT_POST_TRAINING = 'not post-training data: '
TOKEN_TAG_NAMES = ('ner_tags', 'pos_tags', 'chunk_tags', 'tags', 'labels', 'ner', 'bio_tags')
CLASS_TEXT_NAMES = ('text', 'sentence', 'review', 'tweet', 'content', 'document', 'comment', 'sentence1', 'premise')
CLASS_LABEL_NAMES = ('label', 'labels', 'class', 'category', 'sentiment', 'intent', 'label_text', 'coarse_label',
                     'fine_label', 'topic', 'emotion')
CHAT_MARKERS = ('Assistant:', '### Response', '<|im_start|>', '[/INST]', '<|assistant|>')
# Columns that carry an answer: with one of them, a text + label set is instruction data, not classification.
ANSWERISH = ('response', 'output', 'answer', 'completion', 'chosen', 'rejected', 'messages', 'conversations',
             'solution', 'target', 'assistant')


class Family(object):
    """What the detector decided; data_detect.py turns it into a Detection."""

    def __init__(self, fmt, task, mapping, trainable, problem=None, notes=None):
        self.format, self.task, self.mapping, self.trainable = fmt, task, mapping, trainable
        self.problem = problem
        self.notes = notes or []


def _values(rows, col):
    return [r[col] for r in rows if r.get(col) is not None]


def _all(rows, col, test):
    vals = _values(rows, col)
    return bool(vals) and all(test(v) for v in vals)


def _is_str(v):
    return isinstance(v, str)


def _is_str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_number_or_bool(v):
    return isinstance(v, (int, float, bool))


def not_post_training(rows, cols, low):
    """A Family when the rows are not post-training data, else None."""
    names = set(low)
    # Sentence-transformers / FlagEmbedding retrieval data: an anchor with positive (and negative) passages.
    if {'anchor', 'positive'} <= names or ({'query', 'pos'} <= names and _all(rows, low['pos'], _is_str_list)) or \
            ({'query', 'positive'} <= names and _all(rows, low['positive'], _is_str_list)):
        cols_txt = ', '.join(c for c in cols if c.lower() in ('anchor', 'query', 'positive', 'negative', 'pos', 'neg'))
        return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
            "%s are retrieval pairs/triplets for training an embedding model (sentence-transformers), not answers "
            "to learn: there is no prompt and response for trl; for DPO, rows need a prompt with a chosen and a "
            "rejected answer" % cols_txt))
    if {'sentence1', 'sentence2'} <= names and not names & set(ANSWERISH):
        return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
            "sentence1/sentence2 with a score or label are sentence-pair data (similarity, entailment) for a "
            "classifier or an embedding model; to fine-tune a chat model on it, write it as prompt/completion"))
    tokens = _first_named(cols, ('tokens', 'words'))
    tags = _first_named([c for c in cols if c != tokens], TOKEN_TAG_NAMES)
    if tokens and tags and _all(rows, tokens, _is_str_list) and _all(rows, tags, lambda v: isinstance(v, list)):
        return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
            "'%s' with per-token '%s' is token classification (NER/tagging) data for a token-classification "
            "head; to teach a chat model the task, turn each row into a prompt (the sentence) and a completion "
            "(the entities)" % (tokens, tags)))
    choices = _first_named(cols, ('choices', 'options', 'endings'))
    answer = _first_named(cols, ('answer', 'answerkey', 'label', 'gold', 'answer_idx'))
    if choices and answer and _all(rows, choices, lambda v: isinstance(v, (list, dict))) and \
            _all(rows, answer, lambda v: isinstance(v, int) or (isinstance(v, str) and len(v.strip()) <= 2)):
        # MMLU / ARC / HellaSwag: the answer is an index or a letter into the choices, not text to learn.
        return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
            "'%s' with '%s' as an index or letter is a multiple-choice evaluation set (MMLU/ARC style): evaluate "
            "on it; to fine-tune on it, write each row as a prompt (question and choices) and a completion "
            "(the answer text)" % (choices, answer)))
    completions = _first_named(cols, ('completions',))
    step_labels = _first_named(cols, ('labels',))
    if completions and step_labels and _all(rows, completions, _is_str_list) and \
            _all(rows, step_labels, lambda v: isinstance(v, list) and all(isinstance(x, bool) for x in v)):
        return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
            "'%s' with per-step '%s' is stepwise supervision (trl's format for a process reward model, "
            "PRMTrainer), not SFT, DPO or KTO data: train a reward model on it, or keep only correct steps "
            "as completions for SFT" % (completions, step_labels)))
    text = _first_named(cols, CLASS_TEXT_NAMES)
    label = _first_named([c for c in cols if c != text], CLASS_LABEL_NAMES)
    if text and label and _all(rows, text, _is_str) and not names & set(ANSWERISH):
        strings = [c for c in cols if c not in (text, label) and _all(rows, c, _is_str)
                   and sum(len(v) for v in _values(rows, c)) > 40 * len(_values(rows, c))]
        labels = _values(rows, label)
        distinct = set(str(v) for v in labels)
        short = all(_is_number_or_bool(v) or (isinstance(v, str) and len(v) <= 40) for v in labels)
        texts = _values(rows, text)
        # Chat rendered into text (guanaco's "### Human: ... ### Assistant:") with a tag column is SFT text.
        rendered = sum(1 for v in texts if any(m in v for m in CHAT_MARKERS)) >= len(texts) / 2.0
        if not strings and short and not rendered and len(distinct) <= max(50, len(labels) // 5):
            return Family('unknown', None, {}, False, NOT_POST_TRAINING + (
                "'%s' with a class in '%s' (%d distinct values) is text classification data for a "
                "classification head (AutoModelForSequenceClassification); to fine-tune a chat model on it, "
                "write each row as a prompt (the text and the classes) and a completion (the class name)"
                % (text, label, len(distinct))))
    return None


def _index_valued(rows, col, allowed):
    vals = _values(rows, col)
    return bool(vals) and len(vals) == len(rows) and all(
        not isinstance(v, bool) and isinstance(v, int) and v in allowed for v in vals)


def indexed_preference(rows, cols, low):
    """Two answers and the index of the better one, when the convention is documented (else None)."""
    prompt = _first_named(cols, ('prompt', 'history', 'question', 'instruction', 'query'))
    if not prompt:
        return None
    pair = None
    if {'response_0', 'response_1'} <= set(low):
        choice = _first_named(cols, ('better_response_id', 'safer_response_id', 'preferred_response_id'))
        if choice and _index_valued(rows, choice, (0, 1)):
            # better_response_id is the index of the better answer: 0 -> response_0.
            pair = (low['response_0'], low['response_1'], choice)
    elif {'human_ref_a', 'human_ref_b'} <= set(low):
        choice = _first_named(cols, ('labels', 'label'))
        if choice and _index_valued(rows, choice, (0, 1)):
            # SHP: labels is 1 when A is preferred, so with (B, A) as (chosen, rejected) it is the index of the better.
            pair = (low['human_ref_b'], low['human_ref_a'], choice)
    if pair is None:
        return None
    chosen, rejected, choice = pair
    mapping = {'prompt': prompt, 'chosen': chosen, 'rejected': rejected, 'choice': choice}
    system = _first_named([c for c in cols if c not in mapping.values()], SYSTEM_NAMES)
    if system:
        mapping['system'] = system
    note = ("'%s' says which answer is better: 0 = '%s', 1 = '%s'; each row's pair is ordered by it"
            % (choice, chosen, rejected))
    return Family('preference_explicit', 'dpo', mapping, True, notes=[note])

