"""python/data_rl.py through inspect_data.py: data GRPO can train on is proposed with a prompt (and
reference) mapping and fitting rewards, beside the detected format, which stays what it was."""
import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import inspect_data  # noqa: E402

FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'datasets')
GRPO_DATA = os.path.join(ROOT, 'test', 'fixtures', 'grpo-data')
SHARED = os.path.join(ROOT, '..', 'shared', 'data', 'datasets')

# file: (format as detected before GRPO existed, the GRPO mapping, answer kind, rewards)
EXPECT = {
    (FIXTURES, 'gsm8k.jsonl'): ('custom_qa', {'prompt': 'question', 'answer': 'answer'}, 'final_answer', ['exact_answer', 'format']),
    (FIXTURES, 'multiple_choice_eval.jsonl'): ('unknown', {'prompt': 'question', 'choices': 'choices', 'answer': 'answer'}, 'choice',
                                               ['choice_letter', 'format']),
    (FIXTURES, 'arc_choices_answerkey.jsonl'): ('unknown', {'prompt': 'question', 'choices': 'choices', 'answer': 'answerKey'}, 'choice',
                                                ['choice_letter', 'format']),
    (FIXTURES, 'no_answers.jsonl'): ('unknown', {'prompt': 'turns'}, None, ['format', 'length']),
    (GRPO_DATA, 'math_boxed.jsonl'): (None, {'prompt': 'problem', 'answer': 'solution'}, 'final_answer', ['exact_answer', 'format']),
    (GRPO_DATA, 'short_answers.jsonl'): (None, {'prompt': 'question', 'answer': 'answer'}, 'final_answer', ['exact_answer', 'format']),
    (GRPO_DATA, 'code_tests.jsonl'): (None, {'prompt': 'text', 'answer': 'test_list'}, 'code_tests', ['code_tests', 'format']),
    (GRPO_DATA, 'prompts_only.jsonl'): (None, {'prompt': 'prompt'}, None, ['format', 'length']),
}

# Real rows (../shared/data/datasets): math word problems with a final answer, and prompts without answers.
SHARED_EXPECT = {
    'openai_gsm8k.jsonl': ({'prompt': 'question', 'answer': 'answer'}, 'final_answer'),
    'metamath_gsm8k_test_query_response.jsonl': ({'prompt': 'query', 'answer': 'response'}, 'final_answer'),
    'metamath_gsm8k_backward_extra_cols.jsonl': ({'prompt': 'question', 'answer': 'answer'}, 'final_answer'),
    'partial/meta-math_MetaMathQA.jsonl': ({'prompt': 'query', 'answer': 'response'}, 'final_answer'),
    'fastchat_mt_bench_questions_no_answers.jsonl': ({'prompt': 'turns'}, None),
}

# Data whose answers are the training signal itself (SFT, DPO, KTO) or not post-training data: no GRPO proposal.
NO_PROPOSAL = ['alpaca.json', 'medical_dialogue.jsonl', 'openai_chat.jsonl', 'preference_explicit_strings.jsonl', 'kto.jsonl',
               'text_classification.jsonl', 'retrieval_triplets.jsonl', 'sharegpt.jsonl', 'text.jsonl']
SHARED_NO_PROPOSAL = ['tatsu-lab_alpaca.jsonl', 'chatdoctor_genmedgpt_5k.jsonl', 'sahil2801_CodeAlpaca-20k.jsonl',
                      'lvwerra_stack-exchange-paired.jsonl', 'llamafactory_kto_en_demo.jsonl', 'fastchat_dummy_conversation.jsonl']


class GrpoProposalTests(unittest.TestCase):
    def test_proposals(self):
        for (folder, name), (fmt, mapping, kind, rewards) in EXPECT.items():
            with self.subTest(name=name):
                r = inspect_data.inspect(os.path.join(folder, name))
                self.assertIn('grpo', r, r)
                g = r['grpo']
                self.assertEqual((g['mapping'], g['answerKind'], g['rewards'], g['trainable']), (mapping, kind, rewards, True))
                self.assertTrue(g['reason'])
                if fmt is not None:
                    self.assertEqual(r['format'], fmt, 'the detected format stays as it was')

    def test_code_tests_are_run_by_the_code_reward_and_the_solution_column_is_named(self):
        g = inspect_data.inspect(os.path.join(GRPO_DATA, 'code_tests.jsonl'))['grpo']
        self.assertTrue(any("code_tests runs each completion's code against 'test_list'" in n for n in g['notes']), g['notes'])
        self.assertTrue(any("'code' holds a reference solution" in n for n in g['notes']), g['notes'])

    def test_prompt_lists_use_the_first_turn(self):
        g = inspect_data.inspect(os.path.join(FIXTURES, 'no_answers.jsonl'))['grpo']
        self.assertTrue(any('the first is the prompt' in n for n in g['notes']), g['notes'])

    def test_no_proposal_where_answers_are_the_signal(self):
        for name in NO_PROPOSAL:
            with self.subTest(name=name):
                self.assertNotIn('grpo', inspect_data.inspect(os.path.join(FIXTURES, name)))

    def test_a_file_that_cannot_load_is_not_trainable_for_grpo_either(self):
        r = inspect_data.inspect(os.path.join(FIXTURES, 'half_written.jsonl'))
        self.assertEqual(r['grpo']['mapping'], {'prompt': 'question', 'answer': 'answer'})
        self.assertFalse(r['grpo']['trainable'])


@unittest.skipUnless(os.path.isdir(SHARED), 'shared data sets not present (../shared/data/datasets): real-row GRPO detection not checked')
class GrpoRealDataTests(unittest.TestCase):
    def test_real_math_and_prompt_sets(self):
        for name, (mapping, kind) in SHARED_EXPECT.items():
            with self.subTest(name=name):
                g = inspect_data.inspect(os.path.join(SHARED, name)).get('grpo')
                self.assertIsNotNone(g, name)
                self.assertEqual((g['mapping'], g['answerKind'], g['trainable']), (mapping, kind, True))

    def test_real_sft_and_preference_sets_get_none(self):
        for name in SHARED_NO_PROPOSAL:
            with self.subTest(name=name):
                self.assertNotIn('grpo', inspect_data.inspect(os.path.join(SHARED, name)))


if __name__ == '__main__':
    unittest.main()
