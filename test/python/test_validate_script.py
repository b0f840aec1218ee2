"""Tests for python/validate_script.py against stub trl versions (old 0.11 / new 0.24)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'python', 'validate_script.py')
STUBS = os.path.join(ROOT, 'test', 'fixtures', 'stubs')
TRAIN = os.path.join(ROOT, 'test', 'fixtures', 'scripts', 'train_sft.py')


def validate(path, stubs=None):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([os.path.join(STUBS, s) for s in stubs] if stubs else [])
    if not stubs:
        env.pop('PYTHONPATH')
    p = subprocess.run([sys.executable, SCRIPT, path, '--json'], capture_output=True, text=True, env=env, cwd=ROOT)
    return p.returncode, json.loads(p.stdout), p.stderr


def brief(result):
    return [(f['line'], f['column'], f['severity'], f['code'], f['message'].split(' (')[0], f.get('suggestion'))
            for f in result['findings']]


DATASETS_MISSING = (2, 1, 'warning', 'missing-package', 'datasets is not installed in %s; keywords not checked' % sys.executable,
                    'install it in this interpreter (pip install datasets) or select the interpreter that has it')


class ValidateTests(unittest.TestCase):
    def test_config_with_its_own_init_under_a_dataclass_mixin(self):
        # transformers' BitsAndBytesConfig writes its own __init__ below the dataclass QuantizationConfigMixin;
        # reading the mixin's fields flagged every 4-bit keyword on transformers 5.17 (seen on a real GPU machine).
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'qlora.py')
            with open(path, 'w') as f:
                f.write('import torch\nfrom transformers import BitsAndBytesConfig\n'
                        'q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,\n'
                        '                       bnb_4bit_compute_dtype=torch.bfloat16)\n'
                        'from transformers import TrainingArguments\nTrainingArguments(output_dir="o", evaluation_strategy="no")\n')
            code, r, err = validate(path, ['trl_new', 'common'])
        self.assertEqual(code, 0, err)
        found = [(f['line'], f['code'], f['message'].split(' (')[0]) for f in r['findings'] if f['code'] != 'missing-package']
        self.assertEqual(found, [(6, 'unknown-keyword', "TrainingArguments() got an unexpected keyword 'evaluation_strategy'")])

    def test_old_trl(self):
        code, r, err = validate(TRAIN, ['trl_old', 'common'])
        self.assertEqual(code, 0, err)
        self.assertEqual(brief(r), [
            DATASETS_MISSING,
            (14, 47, 'error', 'unknown-keyword', "LoraConfig() got an unexpected keyword 'target_module'", "did you mean 'target_modules'?"),
            (15, 57, 'error', 'unknown-keyword', "SFTConfig() got an unexpected keyword 'evaluation_strategy'", "use 'eval_strategy' instead"),
            (18, 37, 'error', 'unknown-keyword', "SFTTrainer() got an unexpected keyword 'processing_class'",
             "this installed version still calls it 'tokenizer'"),
            (19, 46, 'error', 'unknown-keyword', "TrainingArguments() got an unexpected keyword 'no_cuda'", "use 'use_cpu' instead"),
        ])
        self.assertEqual(r['libraries'], {'trl': '0.11.4', 'transformers': '4.46.0', 'peft': '0.13.2',
                                          'bitsandbytes': None, 'datasets': None, 'accelerate': None})
        self.assertEqual(r['checked'], 9)
        self.assertIn('(trl 0.11.4)', r['findings'][2]['message'])

    def test_new_trl(self):
        code, r, err = validate(TRAIN, ['trl_new', 'common'])
        self.assertEqual(code, 0, err)
        self.assertEqual(brief(r)[:2], [
            DATASETS_MISSING,
            (8, 17, 'error', 'unresolved-import', "cannot import 'DataCollatorForCompletionOnlyLM' from 'trl'",
             'removed in trl 0.20: train only on completions with SFTConfig(completion_only_loss=True) '
             '(prompt/completion data) or SFTConfig(assistant_only_loss=True) (messages)'),
        ])
        self.assertEqual(brief(r)[2:], [
            (14, 47, 'error', 'unknown-keyword', "LoraConfig() got an unexpected keyword 'target_module'", "did you mean 'target_modules'?"),
            (15, 36, 'error', 'unknown-keyword', "SFTConfig() got an unexpected keyword 'max_seq_length'", "use 'max_length' instead"),
            (15, 57, 'error', 'unknown-keyword', "SFTConfig() got an unexpected keyword 'evaluation_strategy'", "use 'eval_strategy' instead"),
            (17, 46, 'error', 'unknown-keyword', "SFTTrainer() got an unexpected keyword 'tokenizer'", "use 'processing_class' instead"),
            (19, 46, 'error', 'unknown-keyword', "TrainingArguments() got an unexpected keyword 'no_cuda'", "use 'use_cpu' instead"),
        ])
        self.assertEqual(r['libraries']['trl'], '0.24.0')
        f = r['findings'][3]
        self.assertEqual((f['column'], f['endColumn']), (36, 50))  # exactly 'max_seq_length'

    def test_nothing_installed_gives_one_warning_per_library(self):
        code, r, _ = validate(TRAIN)
        self.assertEqual(code, 0)
        self.assertEqual([(f['line'], f['code'], f['message'].split(' ')[0]) for f in r['findings']], [
            (2, 'missing-package', 'datasets'), (3, 'missing-package', 'transformers'),
            (5, 'missing-package', 'peft'), (6, 'missing-package', 'trl'),
        ])
        self.assertEqual(r['checked'], 0)
        self.assertEqual(set(r['libraries'].values()), {None})

    def test_kwargs_accepting_classes_are_not_flagged(self):
        _, r, _ = validate(TRAIN, ['trl_new', 'common'])
        self.assertFalse(any('some_future_flag' in f['message'] for f in r['findings']))
        self.assertFalse(any('device_map' in f['message'] for f in r['findings']))

    def test_syntax_error_and_unicode_columns(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, 'bad.py')
            with open(bad, 'w') as f:
                f.write('from trl import SFTConfig\nargs = SFTConfig(output_dir="o",\n')
            code, r, _ = validate(bad, ['trl_new', 'common'])
            self.assertEqual(code, 0)
            self.assertEqual([(f['line'], f['code']) for f in r['findings']], [(2, 'syntax-error')])
            uni = os.path.join(d, 'uni.py')
            with open(uni, 'w', encoding='utf-8') as f:
                f.write('from trl import SFTConfig\nargs = SFTConfig(output_dir="é模型", max_seq_length=8)\n')
            _, r, _ = validate(uni, ['trl_new', 'common'])
            f = r['findings'][0]
            self.assertEqual((f['line'], f['column'], f['endColumn']), (2, 36, 50))  # characters, not UTF-8 bytes

    def test_missing_submodule_and_cli_errors(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, 's.py')
            with open(p, 'w') as f:
                f.write('from trl.nope import X\nfrom trl import SFTConfg\n')
            _, r, _ = validate(p, ['trl_new', 'common'])
            self.assertEqual(brief(r), [
                (1, 1, 'error', 'unresolved-import', "module 'trl.nope' does not exist in the installed trl 0.24.0", None),
                (2, 17, 'error', 'unresolved-import', "cannot import 'SFTConfg' from 'trl'", "did you mean 'SFTConfig'?"),
            ])
        code, r, err = validate(os.path.join(ROOT, 'no-such-file.py'))
        self.assertEqual(code, 1)
        self.assertIn('Cannot read', r['error'])
        self.assertNotIn('Traceback', err)


if __name__ == '__main__':
    unittest.main()
