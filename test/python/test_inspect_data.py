"""Tests for python/inspect_data.py: fixtures we build and real rows of public data sets."""
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import data_readers  # noqa: E402
import inspect_data  # noqa: E402

FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'datasets')
SHARED = os.path.join(ROOT, '..', 'shared', 'data', 'datasets')
SCRIPT = os.path.join(ROOT, 'python', 'inspect_data.py')

A = {'user': 'instruction', 'input': 'input', 'assistant': 'output'}
PREF = {'chosen': 'chosen', 'rejected': 'rejected'}
SG_FIX = {'messages': 'conversations'}

# file: (format, task, mapping, trainable, problem substrings)
FIXTURE_EXPECT = {
    'alpaca.json': ('alpaca', 'sft', A, True, []),
    'sharegpt.jsonl': ('sharegpt', 'sft', {'messages': 'conversations'}, True, []),
    'openai_chat.jsonl': ('messages', 'sft', {'messages': 'messages'}, True,
                          ['1 row(s) without an assistant turn (rows 3)', '1 row(s) with an empty answer (rows 4)']),
    'ultrafeedback_implicit.jsonl': ('preference_implicit', 'dpo', PREF, True, []),
    'preference_explicit_messages.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='prompt'), True, []),
    'preference_explicit_strings.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='prompt'), True, []),
    'hh_rlhf.jsonl': ('preference_implicit', 'dpo', PREF, True, []),
    'gsm8k.jsonl': ('custom_qa', 'sft', {'user': 'question', 'assistant': 'answer'}, True, []),
    'medical_dialogue.jsonl': ('custom_qa', 'sft', {'user': 'patient_query', 'assistant': 'doctor_response'}, True, []),
    'chinese_qa.jsonl': ('custom_qa', 'sft', {'user': '问题', 'assistant': '回答'}, True, []),
    'kto.jsonl': ('kto', 'kto', {'prompt': 'prompt', 'completion': 'completion', 'label': 'label'}, True, []),
    'extra_metadata.jsonl': ('messages', 'sft', {'messages': 'messages'}, True, []),
    'duplicated_columns.jsonl': ('alpaca', 'sft', A, True, ["duplicated columns: 'response' repeats 'output'"]),
    'duplicate_rows.jsonl': ('text', 'sft', {'text': 'text'}, True, ['2 duplicate row(s) (first at rows 3, 4)']),
    'nested_fields.jsonl': ('unknown', None, {}, False, ["nested inside 'data'"]),
    'turn_pairs.jsonl': ('turn_pairs', 'sft', {'messages': 'conversation'}, True, []),
    'parallel_turns.jsonl': ('parallel_turns', 'sft', {'user': 'input', 'assistant': 'output'}, True, []),
    'oasst_tree.jsonl': ('message_tree', 'sft', {'messages': 'prompt'}, True, []),
    'heterogeneous_keys.jsonl': ('custom_qa', 'sft', {'user': 'input', 'assistant': 'output', 'history': 'history'}, True,
                                 ['inconsistent keys across rows: 3 different key sets', 'history (1 of 3 rows)']),
    'qa.csv': ('custom_qa', 'sft', {'user': 'question', 'assistant': 'answer'}, True, []),
    'prompt_completion.jsonl': ('prompt_completion', 'sft', {'prompt': 'prompt', 'completion': 'completion'}, True, []),
    'text.jsonl': ('text', 'sft', {'text': 'text'}, True, []),
    'empty.jsonl': ('unknown', None, {}, False, ['empty file']),
    'binary.jsonl': ('unknown', None, {}, False, ['binary file']),
    'invalid_utf8.jsonl': ('text', 'sft', {'text': 'text'}, True, ['invalid UTF-8 on 1 line(s) (lines 2)']),
    'half_written.jsonl': ('custom_qa', 'sft', {'user': 'question', 'assistant': 'answer'}, False,
                           ['the last line (line 3) is cut off']),
    'invalid_json_line.jsonl': ('prompt_completion', 'sft', {'prompt': 'prompt', 'completion': 'completion'}, False,
                                ['1 invalid JSON line(s) (lines 2)']),
    'long_rows.jsonl': ('prompt_completion', 'sft', {'prompt': 'prompt', 'completion': 'completion'}, True,
                        ['1 of 2 row(s) are longer than --max-length 100 tokens']),
    'chat.jsonl.gz': ('messages', 'sft', {'messages': 'messages'}, True, []),
    'wrapped.json': ('custom_qa', 'sft', {'user': 'query', 'assistant': 'response'}, True, []),
    'no_answers.jsonl': ('unknown', None, {'prompt': 'turns'}, False, ['no answer column']),
    # Formats documented by other fine-tuning frameworks, in their real shapes (rows written here).
    'llamafactory_alpaca_history.jsonl': ('alpaca', 'sft', dict(A, system='system', history='history'), True, []),
    'sharegpt_system_tools.jsonl': ('sharegpt', 'sft', {'messages': 'conversations', 'system': 'system'}, True, []),
    'orca_dpo_system.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='question', system='system'), True, []),
    'openai_dpo.jsonl': ('preference_explicit', 'dpo',
                         {'prompt': 'input', 'chosen': 'preferred_output', 'rejected': 'non_preferred_output'}, True, []),
    'pku_saferlhf_pairs.jsonl': ('preference_explicit', 'dpo', {'prompt': 'prompt', 'chosen': 'response_0', 'rejected': 'response_1',
                                                                'choice': 'better_response_id'}, True, []),
    # SHP: labels = 1 when A is preferred, so B/A are chosen/rejected and labels is the index of the better one.
    'shp_pairs.jsonl': ('preference_explicit', 'dpo', {'prompt': 'history', 'chosen': 'human_ref_B', 'rejected': 'human_ref_A',
                                                       'choice': 'labels'}, True, []),
    'swift_rlhf.jsonl': ('preference_explicit', 'dpo',
                         {'prompt': 'query', 'chosen': 'response', 'rejected': 'rejected_response', 'system': 'system'}, True, []),
    'swift_query_history.jsonl': ('custom_qa', 'sft', {'user': 'query', 'assistant': 'response', 'system': 'system',
                                                       'history': 'history'}, True, []),
    'llamafactory_alpaca_preference.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='instruction', input='input'), True, []),
    'llamafactory_kto_tag.jsonl': ('kto', 'kto', {'prompt': 'instruction', 'input': 'input', 'completion': 'output', 'label': 'kto_tag'}, True, []),
    'xtuner_conversation.jsonl': ('turn_pairs', 'sft', {'messages': 'conversation'}, True, []),
    'ultrachat_prompt_messages.jsonl': ('messages', 'sft', {'messages': 'messages'}, True, []),
    'rm_static_prompt_response.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='prompt'), True, []),
    'argilla_dpo_mix_ratings.jsonl': ('preference_implicit', 'dpo', PREF, True, []),
    'openhermes_system_turn.jsonl': ('sharegpt', 'sft', SG_FIX, True, []),
    # A raw corpus with metadata is plain language-modelling text: trl's SFTTrainer trains on 'text'.
    'corpus_with_metadata.jsonl': ('text', 'sft', {'text': 'text'}, True, []),
    # Chat rendered into text beside a tag column is still SFT text, not text classification.
    'guanaco_text_with_tag.jsonl': ('text', 'sft', {'text': 'text'}, True, []),
    # Not post-training data: said so, never forced into a chat format.
    'retrieval_triplets.jsonl': ('unknown', None, {}, False, ['not post-training data: anchor, positive, negative are retrieval']),
    'text_classification.jsonl': ('unknown', None, {}, False, ["not post-training data: 'text' with a class in 'label'"]),
    'ner_tokens.jsonl': ('unknown', None, {}, False, ["not post-training data: 'tokens' with per-token 'ner_tags'"]),
    'multiple_choice_eval.jsonl': ('unknown', None, {}, False, ['not post-training data', 'multiple-choice evaluation set']),
    'arc_choices_answerkey.jsonl': ('unknown', None, {}, False, ["not post-training data: 'choices' with 'answerKey'"]),
    'stepwise_supervision.jsonl': ('unknown', None, {}, False, ['not post-training data', 'stepwise supervision']),
}

Q = lambda q, a: {'user': q, 'assistant': a}  # noqa: E731
SG = {'messages': 'conversations'}

# Real rows of public data sets (../shared/data/datasets, see SOURCES.tsv there). The expectation is
# decided by reading each file: what trl needs, which columns feed it, and whether it trains as is.
SHARED_EXPECT = {
    'anthropic_hh-rlhf_harmless-base.jsonl': ('preference_implicit', 'dpo', PREF, True),
    'chatdoctor_genmedgpt_5k.jsonl': ('alpaca', 'sft', A, True),
    'chinese-vicuna_chat_parallel_lists.jsonl': ('parallel_turns', 'sft', Q('input', 'output'), True),
    'codealpaca_new_codealpaca_dup_columns.jsonl': ('alpaca', 'sft', A, True),
    'fastchat_dummy_conversation.jsonl': ('sharegpt', 'sft', SG, True),
    'fastchat_mt_bench_questions_no_answers.jsonl': ('unknown', None, {'prompt': 'turns'}, False),
    'firefly_moss_multiturn_human_assistant.jsonl': ('turn_pairs', 'sft', {'messages': 'conversation'}, True),
    'gpteacher_toolformer_heterogeneous_keys.jsonl': ('alpaca', 'sft', dict(A, assistant='response'), True),
    'huatuogpt_med_dialog_case_diagnosis.jsonl': ('custom_qa', 'sft', Q('medical_case', 'doctor_diagnosis'), True),
    'huggingfaceh4_ultrafeedback_binarized.jsonl': ('preference_implicit', 'dpo', PREF, True),
    'llamafactory_c4_demo.jsonl': ('text', 'sft', {'text': 'text'}, True),
    'llamafactory_dpo_en_demo.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='conversations'), True),
    'llamafactory_glaive_toolcall_en_demo.jsonl': ('sharegpt', 'sft', SG, True),
    'llamafactory_kto_en_demo.jsonl': ('kto', 'kto', {'messages': 'messages', 'label': 'label'}, True),
    'llm-foundry_arxiv_redpajama_style.jsonl': ('text', 'sft', {'text': 'text'}, True),
    'lvwerra_stack-exchange-paired.jsonl': ('preference_explicit', 'dpo',
                                            {'prompt': 'question', 'chosen': 'response_j', 'rejected': 'response_k'}, True),
    'medalpaca_medical_meadow_small.jsonl': ('alpaca', 'sft', A, True),
    'medicalgpt_dpo_zh_500.jsonl': ('preference_explicit', 'dpo', dict(PREF, prompt='conversations'), True),
    'medicalgpt_sharegpt_gpt4_zh.jsonl': ('sharegpt', 'sft', SG, True),
    'metamath_gsm8k_backward_extra_cols.jsonl': ('custom_qa', 'sft', Q('question', 'answer'), True),
    'metamath_gsm8k_test_query_response.jsonl': ('custom_qa', 'sft', Q('query', 'response'), True),
    'mosaicml_dolly_hhrlhf.jsonl': ('prompt_completion', 'sft', {'prompt': 'prompt', 'completion': 'response'}, True),
    'oasst_message_trees.jsonl': ('message_tree', 'sft', {'messages': 'prompt'}, True),
    'openai_cookbook_drone_function_calling.jsonl': ('messages', 'sft', {'messages': 'messages'}, True),
    'openai_cookbook_toy_chat_fine_tuning.jsonl': ('messages', 'sft', {'messages': 'messages'}, True),
    'openai_gsm8k.jsonl': ('custom_qa', 'sft', Q('question', 'answer'), True),
    'sahil2801_CodeAlpaca-20k.jsonl': ('alpaca', 'sft', A, True),
    'self-instruct_t0_prompt_completion.jsonl': ('prompt_completion', 'sft', {'prompt': 'prompt', 'completion': 'completion'}, True),
    'stanford_alpaca_seed_tasks_nested.jsonl': ('unknown', 'sft', Q('instruction', 'instances'), False),
    'tatsu-lab_alpaca.jsonl': ('alpaca', 'sft', A, True),
    'partial/databricks_databricks-dolly-15k.jsonl': ('alpaca', 'sft', {'user': 'instruction', 'input': 'context', 'assistant': 'response'}, True),
    'partial/meta-math_MetaMathQA.jsonl': ('custom_qa', 'sft', Q('query', 'response'), True),
    'partial/open-orca_OpenOrca.jsonl': ('custom_qa', 'sft', {'system': 'system_prompt', 'user': 'question', 'assistant': 'response'}, True),
}

# Problems the real files must report (substrings).
SHARED_PROBLEMS = {
    'codealpaca_new_codealpaca_dup_columns.jsonl': ["duplicated columns: 'response' repeats 'output'"],
    'gpteacher_toolformer_heterogeneous_keys.jsonl': ['inconsistent keys', 'example_input (1 of 3 rows)'],
    'stanford_alpaca_seed_tasks_nested.jsonl': ["'instances' is a nested list"],
    'fastchat_mt_bench_questions_no_answers.jsonl': ['no answer column'],
    'self-instruct_t0_prompt_completion.jsonl': ['literal end-of-text token'],
}


def run(path, *args):
    return inspect_data.inspect(path, *args)


class FixtureTests(unittest.TestCase):
    def test_fixtures(self):
        for name, (fmt, task, mapping, trainable, problems) in sorted(FIXTURE_EXPECT.items()):
            with self.subTest(name=name):
                r = run(os.path.join(FIXTURES, name), 100)
                self.assertEqual(r['format'], fmt)
                self.assertEqual(r['task'], task)
                self.assertEqual(r['mapping'], mapping)
                self.assertEqual(r['trainable'], trainable)
                for p in problems:
                    self.assertTrue(any(p in x for x in r['problems']), '%r not in %r' % (p, r['problems']))
                if not problems:
                    self.assertEqual(r['problems'], [])

    def test_every_fixture_has_an_expectation(self):
        self.assertEqual(sorted(os.listdir(FIXTURES)), sorted(FIXTURE_EXPECT))

    def test_columns_rows_samples(self):
        r = run(os.path.join(FIXTURES, 'medical_dialogue.jsonl'), 1024, 1)
        self.assertEqual(r['rows'], 2)
        self.assertEqual(r['columns'], [
            {'name': 'id', 'type': 'int', 'nonNull': 2},
            {'name': 'department', 'type': 'string', 'nonNull': 2},
            {'name': 'patient_query', 'type': 'string', 'nonNull': 2},
            {'name': 'doctor_response', 'type': 'string', 'nonNull': 2},
        ])
        self.assertEqual(len(r['samples']), 1)
        r = run(os.path.join(FIXTURES, 'openai_chat.jsonl'))
        self.assertEqual(r['columns'], [{'name': 'messages', 'type': 'list<object>', 'nonNull': 4}])
        self.assertEqual(r['messageStyle'], 'role_content')

    def test_samples_truncate_long_strings(self):
        r = run(os.path.join(FIXTURES, 'long_rows.jsonl'))
        s = r['samples'][0]['completion']
        self.assertLessEqual(len(s), 301)
        self.assertTrue(s.endswith('…'))

    def test_duplicates_compare_what_trains_in_jsonl_and_csv_alike(self):
        # An id column made every JSONL row unique while the same rows as CSV were counted
        # (issue 25 polish): both now compare the columns training reads.
        rows = [
            {'id': 1, 'instruction': 'Name a primary colour.', 'output': 'Red.'},
            {'id': 2, 'instruction': 'What is 2 + 2?', 'output': '4'},
            {'id': 3, 'instruction': 'Name a primary colour.', 'output': 'Red.'},
            {'id': 4, 'instruction': 'Spell cat.', 'output': 'c-a-t'},
            {'id': 5, 'instruction': 'What is 2 + 2?', 'output': '4'},
        ]
        with tempfile.TemporaryDirectory() as d:
            jsonl = os.path.join(d, 'rows.jsonl')
            with open(jsonl, 'w') as f:
                f.write(''.join(json.dumps(r) + '\n' for r in rows))
            csv_path = os.path.join(d, 'rows.csv')
            with open(csv_path, 'w') as f:
                f.write('id,instruction,output\n' + ''.join('%d,"%s","%s"\n' % (r['id'], r['instruction'], r['output']) for r in rows))
            found = {}
            for path in (jsonl, csv_path):
                r = run(path)
                self.assertEqual(r['mapping'], {'user': 'instruction', 'assistant': 'output'})
                found[os.path.basename(path)] = [p for p in r['problems'] if 'duplicate row' in p]
            self.assertEqual(len(found['rows.jsonl']), 1, found)
            self.assertIn('2 duplicate row(s) (first at rows 3, 5)', found['rows.jsonl'][0])
            self.assertEqual(found['rows.jsonl'][0].split(' (')[0], found['rows.csv'][0].split(' (')[0])

    def test_exchange_layouts_say_how_the_script_reads_them(self):
        pairs = run(os.path.join(FIXTURES, 'turn_pairs.jsonl'))
        self.assertTrue(any('one dict per exchange' in n and 'exchange_messages' in n for n in pairs['notes']), pairs['notes'])
        lists = run(os.path.join(FIXTURES, 'parallel_turns.jsonl'))
        self.assertTrue(any('zips them in order' in n for n in lists['notes']), lists['notes'])
        # The third row has a user turn more than answers: said, not hidden (the fourth is one text per cell).
        self.assertTrue(any('1 of the first 4 rows have more turns in one list' in n for n in lists['notes']), lists['notes'])
        # An exchange dict without a recognisable answer side stays unknown, with the explanation.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'rows.jsonl')
            with open(path, 'w') as f:
                f.write(json.dumps({'conversation': [{'human': 'hi', 'gpt': 'hello'}, {'human': 'and?', 'note': 'x'}]}) + '\n')
                f.write(json.dumps({'conversation': [{'human': 'q', 'gpt': 'a'}]}) + '\n')
            r = run(path)
            self.assertEqual((r['format'], r['trainable']), ('unknown', False))
            self.assertTrue(any('list of exchanges' in p for p in r['problems']), r['problems'])

    def test_ultrafeedback_prompt_note(self):
        r = run(os.path.join(FIXTURES, 'ultrafeedback_implicit.jsonl'))
        self.assertTrue(any("'prompt' repeats the prompt" in n for n in r['notes']))


@unittest.skipUnless(os.path.isdir(SHARED), 'shared data sets not present (../shared/data/datasets)')
class RealDataTests(unittest.TestCase):
    def test_accuracy_on_real_datasets(self):
        files = sorted(f for f in os.listdir(SHARED) if f.endswith('.jsonl'))
        files += sorted('partial/' + f for f in os.listdir(os.path.join(SHARED, 'partial')) if f.endswith('.jsonl'))
        self.assertEqual(sorted(files), sorted(SHARED_EXPECT), 'expectation table out of date')
        right, wrong = 0, []
        for name in files:
            fmt, task, mapping, trainable = SHARED_EXPECT[name]
            r = run(os.path.join(SHARED, name))
            got = (r['format'], r['task'], r['mapping'], r['trainable'])
            if got == (fmt, task, mapping, trainable):
                right += 1
            else:
                wrong.append('%s: expected %r got %r' % (name, (fmt, task, mapping, trainable), got))
        sys.stderr.write('\ninspect_data real-data accuracy: %d/%d\n' % (right, len(files)))
        self.assertEqual(wrong, [])

    def test_problems_on_real_datasets(self):
        for name, probs in SHARED_PROBLEMS.items():
            with self.subTest(name=name):
                r = run(os.path.join(SHARED, name))
                for p in probs:
                    self.assertTrue(any(p in x for x in r['problems']), '%r not in %r' % (p, r['problems']))

    def test_clean_files_have_no_problems(self):
        for name in ('tatsu-lab_alpaca.jsonl', 'openai_gsm8k.jsonl', 'fastchat_dummy_conversation.jsonl',
                     'anthropic_hh-rlhf_harmless-base.jsonl', 'openai_cookbook_toy_chat_fine_tuning.jsonl',
                     'openai_cookbook_drone_function_calling.jsonl'):
            with self.subTest(name=name):
                self.assertEqual(run(os.path.join(SHARED, name))['problems'], [])


class StreamingTests(unittest.TestCase):
    def test_large_jsonl_is_streamed(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'big.jsonl')
            with open(path, 'w') as f:
                for i in range(40000):
                    f.write(json.dumps({'i': i, 'text': 'row %d ' % i + 'x' * 600}) + '\n')
            size = os.path.getsize(path)
            tracemalloc.start()
            r = run(path)
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.assertEqual(r['rows'], 40000)
            self.assertLess(peak, size / 3, 'peak %d bytes for a %d-byte file' % (peak, size))

    def test_json_array_size_cap(self):
        old = data_readers.MAX_JSON_BYTES
        data_readers.MAX_JSON_BYTES = 10
        try:
            with self.assertRaises(inspect_data.InspectError) as cm:
                run(os.path.join(FIXTURES, 'alpaca.json'))
            self.assertIn('Convert it to JSON Lines', str(cm.exception))
        finally:
            data_readers.MAX_JSON_BYTES = old


class CliTests(unittest.TestCase):
    def cli(self, *args):
        p = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True, cwd=ROOT)
        return p.returncode, json.loads(p.stdout), p.stderr

    def test_cli_ok(self):
        code, out, err = self.cli('test/fixtures/datasets/gsm8k.jsonl', '--max-length', '512', '--sample', '1')
        self.assertEqual(code, 0)
        self.assertEqual(out['format'], 'custom_qa')
        self.assertEqual(out['path'], 'test/fixtures/datasets/gsm8k.jsonl')
        self.assertEqual(len(out['samples']), 1)
        self.assertEqual(err, '')

    def test_cli_errors_are_json(self):
        for args, text in ((['missing.jsonl'], 'File not found'), ([], 'usage'),
                           (['x.jsonl', '--max-length', 'many'], 'whole number'),
                           (['x.jsonl', '--bogus'], "unknown option '--bogus'")):
            with self.subTest(args=args):
                code, out, err = self.cli(*args)
                self.assertEqual(code, 1)
                self.assertIn(text, out['error'])
                self.assertNotIn('Traceback', err)

    def test_hub_id_without_datasets(self):
        try:
            import datasets  # noqa: F401
            self.skipTest('datasets is installed here')
        except ImportError:
            pass
        code, out, _ = self.cli('tatsu-lab/alpaca')
        self.assertEqual(code, 1)
        self.assertIn("install the 'datasets' package", out['error'])

    def test_hub_id_is_streamed_and_capped(self):
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'test', 'fixtures', 'stubs', 'datasets_fake'))
        p = subprocess.run([sys.executable, SCRIPT, 'tatsu-lab/alpaca'], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=60)
        out = json.loads(p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual((out['format'], out['rows'], out['trainable']), ('alpaca', 52002, True))
        self.assertIn("streamed the first %d rows" % inspect_data.HUB_MAX_ROWS, out['notes'][0])
        self.assertNotIn('rowsSampled', out)
        # A Hub set of unknown size: 'rows' counts the sample only, and says so.
        p = subprocess.run([sys.executable, SCRIPT, 'tatsu-lab/alpaca'], capture_output=True, text=True, cwd=ROOT,
                           env=dict(env, FAKE_HUB_NO_INFO='1'), timeout=60)
        out = json.loads(p.stdout)
        self.assertEqual((out['rows'], out.get('rowsSampled')), (inspect_data.HUB_MAX_ROWS, True))

    def test_parquet_without_pyarrow(self):
        try:
            import pyarrow  # noqa: F401
            self.skipTest('pyarrow is installed here')
        except ImportError:
            pass
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'x.parquet')
            with open(path, 'wb') as f:
                f.write(b'PAR1\x00\x00PAR1')
            code, out, _ = self.cli(path)
            self.assertEqual(code, 1)
            self.assertIn("'pyarrow'", out['error'])


if __name__ == '__main__':
    unittest.main()
