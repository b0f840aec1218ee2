"""python/preflight.py on scripts the recipe engine really writes, with the stub tokenizers of
test/fixtures/stubs/tokenizer_fake (a word-level tokenizer, ChatML-like templates with one defect
each) and the stub trl versions (only their dist-info version is read)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'python', 'preflight.py')
STUBS = os.path.join(ROOT, 'test', 'fixtures', 'stubs')
PACKAGES = {'trl': '0.24.0', 'transformers': '4.56.0', 'peft': '0.13.2'}
RENDER = """
const { renderRecipe } = require('./src/core/recipes');
const specs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(specs.map((s) => renderRecipe(s).files.find((f) => f.path === 'train.py').content)));
"""

CHAT = [
    {'messages': [{'role': 'system', 'content': 'You are terse.'}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello.'}]},
    {'messages': [{'role': 'user', 'content': 'What is 2+2?'}, {'role': 'assistant', 'content': '4'},
                  {'role': 'user', 'content': 'And 3+3?'}, {'role': 'assistant', 'content': '6'}]},
]
QA = [{'question': 'Capital of France?', 'answer': 'Paris.'}, {'question': 'Two plus two?', 'answer': 'Four.'}]
THINK = [{'messages': [{'role': 'user', 'content': 'Why?'}, {'role': 'assistant', 'content': '<think>because</think>So.'}]}]
PREFERENCE = [{'prompt': [{'role': 'user', 'content': 'Sky color?'}], 'chosen': [{'role': 'assistant', 'content': 'Blue.'}],
               'rejected': [{'role': 'assistant', 'content': 'Green.'}]}]


def spec(method='sft', model='stub/chatml', mapping=None, **extra):
    out = {'method': method, 'baseModel': model, 'dataset': 'data.jsonl', 'evalSplit': 0,
           'columnMapping': mapping or {'messages': 'messages'}, 'env': {'packages': PACKAGES}}
    out.update(extra)
    return out


def render_all(specs):
    p = subprocess.run(['node', '--import', 'tsx', '-e', RENDER], input=json.dumps(specs), capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise AssertionError('recipe rendering failed: ' + p.stderr[-2000:])
    return json.loads(p.stdout)


class PreflightTests(unittest.TestCase):
    SPECS = {
        'chat': spec(),
        'qa': spec(mapping={'user': 'question', 'assistant': 'answer'}),
        'chat_nogen': spec(model='stub/chatml-nogen'),
        'chat_nogen_trl19': spec(model='stub/chatml-nogen', env={'packages': dict(PACKAGES, trl='1.9.0')}),
        'drops_system': spec(model='stub/drops-system'),
        'no_pad': spec(model='stub/no-pad'),
        'chat_old_trl': spec(env={'packages': dict(PACKAGES, trl='0.11.4')}),
        'no_pad_old_trl': spec(model='stub/no-pad', env={'packages': dict(PACKAGES, trl='0.11.4')}),
        'strips_think': spec(model='stub/strips-think'),
        'eos_mismatch': spec(model='stub/eos-mismatch'),
        'base': spec(model='stub/base'),
        'text': spec(mapping={'text': 'text'}, maxLength=12),
        'qa_short': spec(mapping={'user': 'question', 'assistant': 'answer'}, maxLength=16),
        'kto': spec(method='kto', mapping={'prompt': 'question', 'completion': 'answer', 'label': 'good'}),
        'dpo': spec(method='dpo', mapping={'prompt': 'prompt', 'chosen': 'chosen', 'rejected': 'rejected'}, maxLength=16),
        'dpo_long': spec(method='dpo', mapping={'prompt': 'prompt', 'chosen': 'chosen', 'rejected': 'rejected'}, maxLength=64),
    }

    @classmethod
    def setUpClass(cls):
        names = list(cls.SPECS)
        cls.scripts = dict(zip(names, render_all([cls.SPECS[n] for n in names])))
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def recipe(self, name, rows, edit=None):
        folder = os.path.join(self.tmp.name, '%s-%d' % (name, len(os.listdir(self.tmp.name))))
        os.makedirs(folder)
        text = self.scripts[name]
        if edit:
            text = edit(text)
        with open(os.path.join(folder, 'train.py'), 'w', encoding='utf-8') as f:
            f.write(text)
        with open(os.path.join(folder, 'data.jsonl'), 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
        return folder

    def run_preflight(self, folder, *args, stubs=('tokenizer_fake', 'trl_new')):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(os.path.join(STUBS, s) for s in stubs))
        if not stubs:
            env.pop('PYTHONPATH')
        p = subprocess.run([sys.executable, SCRIPT, folder, *args], capture_output=True, text=True, env=env, cwd=ROOT)
        return p.returncode, json.loads(p.stdout)

    def ok(self, *a, **k):
        code, out = self.run_preflight(*a, **k)
        self.assertEqual(code, 0, out)
        return out

    def check(self, report, check_id):
        return next(c for c in report['checks'] if c['id'] == check_id)

    @staticmethod
    def trained_text(sequence):
        return ''.join(t['text'] for t in sequence['tokens'] if t['trained'])

    @staticmethod
    def whole_text(sequence):
        return ''.join(t['text'] for t in sequence['tokens'])

    def test_messages_rows_train_the_assistant_turns_and_pass_the_checks(self):
        r = self.ok(self.recipe('chat', CHAT), '--rows', '2')
        self.assertEqual(r['method'], 'sft')
        self.assertEqual(r['trl'], {'version': '0.24.0', 'source': 'installed'})
        # The template marks the answers ({% generation %}): train.py turns assistant_only_loss on (issue 18, finding 7).
        self.assertIn('assistant_masks', r['rule']['text'])
        seq = r['rows'][0]['sequences'][0]
        self.assertEqual(self.whole_text(seq), '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n'
                         '<|im_start|>assistant\nHello.<|im_end|>\n')
        self.assertEqual(self.trained_text(seq), 'Hello.<|im_end|>')
        self.assertTrue(next(t for t in seq['tokens'] if t['text'] == '<|im_end|>')['special'])
        self.assertFalse(next(t for t in seq['tokens'] if t['text'] == 'Hello')['special'])
        self.assertEqual({c['id']: c['status'] for c in r['checks']},
                         {'template': 'pass', 'assistant_masks': 'pass', 'eos': 'pass', 'system': 'pass', 'thinking': 'skip', 'pad_eos': 'pass'})

    def test_single_turn_rows_train_the_answer_only_and_older_trl_also_the_header(self):
        folder = self.recipe('qa', QA)
        r = self.ok(folder)
        seq = r['rows'][0]['sequences'][0]
        self.assertEqual(self.trained_text(seq), 'Paris.<|im_end|>\n')
        self.assertIn('completion_mask', r['rule']['text'])
        # trl 0.20-0.23 tokenized the prompt without the generation prompt: the header is trained.
        old = self.ok(folder, '--trl-version', '0.21.0')
        self.assertEqual(self.trained_text(old['rows'][0]['sequences'][0]), '<|im_start|>assistant\nParis.<|im_end|>\n')
        self.assertEqual(old['trl']['source'], 'given')
        self.assertIn('WITHOUT add_generation_prompt', old['rule']['text'])

    def test_assistant_only_loss_needs_generation_blocks(self):
        good = self.ok(self.recipe('chat', CHAT))
        self.assertEqual(self.check(good, 'assistant_masks')['status'], 'pass')
        self.assertEqual(self.trained_text(good['rows'][1]['sequences'][0]), '4<|im_end|>6<|im_end|>')
        # Without {% generation %} the script itself falls back to the last answer of each conversation.
        fallback = self.ok(self.recipe('chat_nogen', CHAT))
        self.assertIn('completion_mask', fallback['rule']['text'])
        self.assertEqual(self.trained_text(fallback['rows'][1]['sequences'][0]).strip(), '6<|im_end|>')
        # Forced on anyway (a user's edit), nothing trains: the check fails and names the fix.
        edit = lambda t: t.replace('assistant_only_loss=assistant_only,', 'assistant_only_loss=True,').replace(
            'ASSISTANT_ONLY_LOSS = True', 'ASSISTANT_ONLY_LOSS = False')
        bad = self.ok(self.recipe('chat_nogen', CHAT, edit))
        failed = self.check(bad, 'assistant_masks')
        self.assertEqual(failed['status'], 'fail')
        self.assertIn('assistant_only_loss=False', failed['fix'])
        self.assertEqual(bad['rows'][0]['sequences'][0]['trained'], 0)

    def test_a_template_that_drops_the_system_prompt_fails_naming_the_row(self):
        r = self.ok(self.recipe('drops_system', CHAT))
        c = self.check(r, 'system')
        self.assertEqual(c['status'], 'fail')
        self.assertIn('row 1', c['detail'])
        self.assertIn('first user turn', c['fix'])
        self.assertNotIn('terse', self.whole_text(r['rows'][0]['sequences'][0]))

    def test_pad_equal_to_eos_masks_every_eos_under_the_old_collator(self):
        folder = self.recipe('no_pad', CHAT)
        old = self.ok(folder, stubs=('tokenizer_fake', 'trl_old'))
        self.assertEqual(old['trl']['version'], '0.11.4')
        c = self.check(old, 'pad_eos')
        self.assertEqual(c['status'], 'fail')
        self.assertIn('0.17', c['fix'])
        eos = [t for t in old['rows'][0]['sequences'][0]['tokens'] if t['text'] == '<|im_end|>']
        self.assertEqual(len(eos), 3)
        self.assertFalse(any(t['trained'] for t in eos))
        new = self.ok(folder)
        self.assertEqual(self.check(new, 'pad_eos')['status'], 'pass')
        self.assertIn('harmless', self.check(new, 'pad_eos')['detail'])
        # The assistant's closing <|im_end|> (EOS) trains: the model learns to stop.
        self.assertTrue([t for t in new['rows'][0]['sequences'][0]['tokens'] if t['text'] == '<|im_end|>'][-1]['trained'])

    def test_a_script_for_old_trl_pads_with_a_distinct_token(self):
        # Rendered for trl 0.11 (issue 18, finding 8): train.py swaps the pad away from EOS, and the preview follows it.
        old = self.ok(self.recipe('no_pad_old_trl', CHAT), stubs=('tokenizer_fake', 'trl_old'))
        self.assertEqual(self.check(old, 'pad_eos')['status'], 'pass')
        eos = [t for t in old['rows'][0]['sequences'][0]['tokens'] if t['text'] == '<|im_end|>']
        self.assertTrue(eos[-1]['trained'], 'the answer\'s EOS trains: the model learns to stop')

    def test_old_trl_trains_the_answers_through_the_completion_only_collator(self):
        # trl < 0.17: train.py masks with DataCollatorForCompletionOnlyLM from the template's own headers; so does the preview.
        r = self.ok(self.recipe('chat_old_trl', CHAT), stubs=('tokenizer_fake', 'trl_old'))
        self.assertEqual(r['rule']['id'], 'completion-only-collator')
        self.assertEqual(self.trained_text(r['rows'][1]['sequences'][0]), '4<|im_end|>\n6<|im_end|>\n')
        self.assertEqual(self.trained_text(r['rows'][0]['sequences'][0]), 'Hello.<|im_end|>\n')

    def test_thinking_blocks_kept_or_stripped(self):
        self.assertEqual(self.check(self.ok(self.recipe('chat', THINK)), 'thinking')['status'], 'pass')
        stripped = self.check(self.ok(self.recipe('strips_think', THINK)), 'thinking')
        self.assertEqual(stripped['status'], 'fail')
        self.assertIn('strips 1 of 1', stripped['detail'])

    def test_assistant_turns_not_ending_with_eos_fail(self):
        c = self.check(self.ok(self.recipe('eos_mismatch', CHAT)), 'eos')
        self.assertEqual(c['status'], 'fail')
        self.assertIn("'<|endoftext|>'", c['detail'])
        self.assertIn('eos_token', c['fix'])

    def test_a_model_without_template_gets_the_scripts_own(self):
        r = self.ok(self.recipe('base', CHAT))
        self.assertEqual(self.check(r, 'template')['status'], 'warn')
        self.assertEqual(self.check(r, 'eos')['status'], 'pass')
        self.assertTrue(self.whole_text(r['rows'][0]['sequences'][0]).startswith('### system:\nYou are terse.\n'))

    def test_lengths_truncation_and_percentiles(self):
        # "w " * n is 2n pieces; trl appends EOS to text rows: 2n + 1 tokens, so 3, 5, ..., 21.
        rows = [{'text': 'w ' * n} for n in range(1, 11)]
        r = self.ok(self.recipe('text', rows), '--rows', '10')
        lengths = r['lengths']
        self.assertEqual((lengths['rows'], lengths['max_length'], lengths['longest']), (10, 12, 21))
        self.assertEqual(lengths['truncated'], 5)
        self.assertEqual((lengths['p95'], lengths['p99']), (21, 21))
        self.assertEqual(sum(b['count'] for b in lengths['histogram']), 10)
        last = r['rows'][9]['sequences'][0]
        self.assertEqual((last['count'], last['length_before_truncation']), (12, 21))
        self.assertEqual(r['rows'][0]['sequences'][0]['tokens'][-1]['text'], '<|im_end|>')
        sampled = self.ok(self.recipe('text', rows), '--sample', '4')['lengths']
        self.assertEqual((sampled['rows'], sampled['sampled']), (4, True))

    def test_trl_1_9_drops_rows_whose_prompt_fills_max_length(self):
        # The ChatML prompt is 8 tokens around the question and its generation header: 19 and 9 tokens here.
        rows = [{'question': 'one two three four five six', 'answer': 'ok'}, {'question': 'hi', 'answer': 'ok'}]
        folder = self.recipe('qa_short', rows)
        self.assertEqual(self.ok(folder)['lengths']['dropped'], 0)
        new = self.ok(folder, '--trl-version', '1.9.0')
        self.assertEqual((new['lengths']['dropped'], new['lengths']['truncated']), (1, 1))
        self.assertTrue(new['rows'][0]['dropped'])
        self.assertFalse(new['rows'][1]['dropped'])

    def test_preference_rows_train_chosen_and_rejected_after_the_prompt(self):
        r = self.ok(self.recipe('dpo', PREFERENCE))
        seqs = {s['name']: s for s in r['rows'][0]['sequences']}
        self.assertEqual(self.trained_text(seqs['chosen']), 'Blue.<|im_end|>\n')
        self.assertEqual(self.trained_text(seqs['rejected']), 'Green.<|im_end|>\n')
        self.assertEqual(r['rule']['id'], 'preference-completion-mask')
        self.assertEqual((seqs['chosen']['count'], r['lengths']['dropped']), (16, 0))
        long_prompt = [dict(PREFERENCE[0], prompt=[{'role': 'user', 'content': 'a b c d e f'}])]
        dropped = self.ok(self.recipe('dpo', long_prompt), '--trl-version', '1.9.0')
        self.assertEqual(dropped['lengths']['dropped'], 1)

    def test_dpo_before_0_28_trains_an_eos_after_the_templates_turn_end(self):
        # trl 0.12-0.27's DPOTrainer.tokenize_row appends eos_token_id to chosen and rejected even for chat rows
        # (trl/trainer/dpo_trainer.py v0.24.0); trl 1.9's tokenize_fn takes the template's ids as they are.
        folder = self.recipe('dpo_long', PREFERENCE)
        old = self.ok(folder)  # the stub trl installed is 0.24.0
        seqs = {s['name']: s for s in old['rows'][0]['sequences']}
        self.assertEqual(self.trained_text(seqs['chosen']), 'Blue.<|im_end|>\n<|im_end|>')
        self.assertEqual(self.trained_text(seqs['rejected']), 'Green.<|im_end|>\n<|im_end|>')
        self.assertIn('EOS is appended', old['rule']['text'])
        new = self.ok(folder, '--trl-version', '1.9.0')
        self.assertEqual(self.trained_text(new['rows'][0]['sequences'][0]), 'Blue.<|im_end|>\n')
        self.assertEqual(new['rows'][0]['sequences'][0]['count'] + 1, seqs['chosen']['count'])

    def test_kto_rows_train_the_completion_only(self):
        r = self.ok(self.recipe('kto', [{'question': 'Sky color?', 'answer': 'Blue.', 'good': True}]))
        seqs = r['rows'][0]['sequences']
        self.assertEqual([s['name'] for s in seqs], ['completion'])
        self.assertEqual(self.trained_text(seqs[0]), 'Blue.<|im_end|>\n')
        self.assertIn('KTO', r['rule']['text'])

    def test_without_transformers_says_what_to_install(self):
        code, out = self.run_preflight(self.recipe('chat', CHAT), stubs=())
        self.assertEqual(code, 1)
        self.assertIn('pip install transformers', out['error'])

    def test_bad_targets_are_named(self):
        code, out = self.run_preflight(os.path.join(self.tmp.name, 'nowhere'))
        self.assertEqual(code, 1)
        self.assertIn('give a recipe folder', out['error'])
        folder = self.recipe('chat', CHAT, lambda t: re.sub(r'MODEL_ID = .*', 'MODEL_ID = "stub/unknown"', t, count=1))
        code, out = self.run_preflight(folder)
        self.assertEqual(code, 1)
        self.assertIn("MODEL_ID 'stub/unknown'", out['error'])

    def test_trl_19_trains_the_assistant_turns_of_a_template_it_patches(self):
        # trl >= 1.1 swaps in get_training_chat_template when assistant_only_loss meets a template without
        # {% generation %} (trl/trainer/sft_trainer.py, SFTTrainer.__init__, v1.9.0): the preview must show the
        # mask trl builds with that template, not the all-zero one of the model's own template.
        folder = self.recipe('chat_nogen_trl19', CHAT)
        r = self.ok(folder, '--rows', '2', stubs=('trl_19', 'tokenizer_fake'))
        self.assertEqual(r['trl'], {'version': '1.9.0', 'source': 'installed'})
        self.assertIn('assistant_masks', r['rule']['text'])
        first, second = (row['sequences'][0] for row in r['rows'])
        # get_training_chat_template's {% generation %} covers the reply and its end-of-turn token, as trl labels them.
        self.assertEqual(self.trained_text(first), 'Hello.<|im_end|>')
        self.assertEqual(self.trained_text(second), '4<|im_end|>6<|im_end|>')
        check = self.check(r, 'assistant_masks')
        self.assertEqual(check['status'], 'pass', check)
        self.assertIn('get_training_chat_template', check['detail'])

        # The same script where trl cannot patch (trl 0.24's stub has no chat_template_utils): its own run-time check
        # turns assistant_only_loss off and trains the last answer, and the preview shows that, not a swapped template.
        old = self.ok(folder, '--rows', '2', '--trl-version', '1.9.0', stubs=('tokenizer_fake', 'trl_new'))
        self.assertEqual(self.check(old, 'assistant_masks')['status'], 'skip')
        self.assertEqual(self.trained_text(old['rows'][1]['sequences'][0]), '6<|im_end|>\n')


if __name__ == '__main__':
    unittest.main()
