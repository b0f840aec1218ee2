"""Tests for python/env_report.py, here (no GPU) and with a fake nvidia-smi first on PATH."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'python', 'env_report.py')
FAKE_SMI_DIR = os.path.join(ROOT, 'test', 'fixtures', 'fake-nvidia-smi')
sys.path.insert(0, os.path.join(ROOT, 'python'))
import env_report  # noqa: E402


def run(env_extra=None, path_prefix=None, args=()):
    env = dict(os.environ)
    for k in ('HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HOME'):
        env.pop(k, None)
    if path_prefix:
        env['PATH'] = path_prefix + os.pathsep + env.get('PATH', '')
    env.update(env_extra or {})
    p = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True, env=env, cwd=ROOT)
    return p.returncode, json.loads(p.stdout), p.stderr


class EnvReportTests(unittest.TestCase):
    def test_shape_here(self):
        with tempfile.TemporaryDirectory() as home:
            code, r, err = run({'HOME': home}, args=['--output-dir', os.path.join(home, 'not', 'yet')])
        self.assertEqual(code, 0, err)
        self.assertEqual(err, '')
        for key in ('gpus', 'cudaVersion', 'driverVersion', 'python', 'libraries', 'disk', 'hfToken', 'cpuCount',
                    'ramMiB', 'problems'):
            self.assertIn(key, r)
        self.assertEqual(sorted(r['libraries']), sorted(env_report.LIBRARIES))
        self.assertEqual(r['python']['executable'], sys.executable)
        self.assertIsInstance(r['disk']['freeMiB'], int)
        self.assertIs(r['hfToken'], False)
        self.assertGreaterEqual(r['cpuCount'], 1)

    def test_deepspeed_and_vllm_versions_read_without_importing_them(self):
        # Packages whose import fails loudly: their versions must come from the dist-info alone, since
        # importing the real ones can compile CUDA ops, initialise CUDA or need a toolkit the machine lacks.
        with tempfile.TemporaryDirectory() as site:
            for name, version in (('deepspeed', '0.16.4'), ('vllm', '0.10.1')):
                os.makedirs(os.path.join(site, name))
                with open(os.path.join(site, name, '__init__.py'), 'w') as f:
                    f.write("raise RuntimeError('%s was imported')\n" % name)
                info = os.path.join(site, '%s-%s.dist-info' % (name, version))
                os.makedirs(info)
                with open(os.path.join(info, 'METADATA'), 'w') as f:
                    f.write('Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (name, version))
            code, r, err = run({'PYTHONPATH': site})
        self.assertEqual(code, 0, err)
        self.assertEqual(r['libraries']['deepspeed'], '0.16.4')
        self.assertEqual(r['libraries']['vllm'], '0.10.1')
        self.assertNotIn('was imported', err)

    def test_fake_nvidia_smi(self):
        code, r, _ = run(path_prefix=FAKE_SMI_DIR)
        self.assertEqual(code, 0)
        self.assertEqual(r['gpuSource'], 'nvidia-smi')
        self.assertEqual([g['name'] for g in r['gpus']], ['Tesla T4', 'Tesla T4', 'NVIDIA A100-SXM4-80GB'])
        self.assertEqual([g['bf16'] for g in r['gpus']], [False, False, True])
        self.assertEqual([g['flashAttention'] for g in r['gpus']], [False, False, True])
        self.assertEqual(r['gpus'][2], {'index': 2, 'name': 'NVIDIA A100-SXM4-80GB', 'memoryTotalMiB': 81920,
                                        'memoryFreeMiB': 81050, 'computeCapability': '8.0', 'bf16': True,
                                        'flashAttention': True})
        self.assertEqual(r['driverVersion'], '535.104.05')
        self.assertEqual(r['cudaVersion'], '12.2')

    def test_hf_token_is_a_boolean_never_the_value(self):
        secret = 'hf_abcdefghijklmnopqrstuvwx'
        code, r, _ = run({'HF_TOKEN': secret})
        self.assertIs(r['hfToken'], True)
        with tempfile.TemporaryDirectory() as home:
            os.makedirs(os.path.join(home, '.cache', 'huggingface'))
            with open(os.path.join(home, '.cache', 'huggingface', 'token'), 'w') as f:
                f.write(secret)
            code, r, _ = run({'HOME': home})
            self.assertIs(r['hfToken'], True)
            self.assertNotIn(secret, json.dumps(r))

    def test_parse_smi_unknowns(self):
        gpus, driver = env_report.parse_smi('0, Tesla V100-SXM2-16GB, 16384, [N/A], 7.0, 470.1\n\n')
        self.assertEqual(gpus[0]['memoryFreeMiB'], None)
        self.assertEqual(gpus[0]['bf16'], False)
        self.assertEqual(driver, '470.1')

    def test_bad_argument_is_json_error(self):
        code, r, err = run(args=['--bogus'])
        self.assertEqual(code, 1)
        self.assertIn("unknown argument '--bogus'", r['error'])
        self.assertNotIn('Traceback', err)


if __name__ == '__main__':
    unittest.main()
