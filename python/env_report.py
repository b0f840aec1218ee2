#!/usr/bin/env python3
"""Report the training environment as one JSON object (EnvReport in src/core/python/types.ts).

Usage: python3 env_report.py [--output-dir DIR]

GPUs come from `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`, and from torch
only when nvidia-smi is missing and torch is installed. Library versions come from
importlib.metadata: nothing heavy is imported for them. The HF token is reported as a
boolean only; its value is never read into the output. Standard library only, Python 3.9+.
"""
import json
import os
import platform
import re
import shutil
import subprocess
import sys

LIBRARIES = ('torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate', 'bitsandbytes', 'flash_attn',
             'lighteval', 'mergekit', 'huggingface_hub', 'trackio', 'wandb', 'tensorboard', 'liger_kernel',
             'deepspeed', 'vllm')
# Distribution names differ from import names for a few packages.
DIST_NAMES = {'flash_attn': ('flash_attn', 'flash-attn'), 'huggingface_hub': ('huggingface_hub', 'huggingface-hub'),
              'liger_kernel': ('liger_kernel', 'liger-kernel')}
QUERY = 'index,name,memory.total,memory.free,compute_cap,driver_version'
SMI_TIMEOUT_S = 15


def library_versions():
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        return dict((name, None) for name in LIBRARIES)
    out = {}
    for name in LIBRARIES:
        version = None
        for dist in DIST_NAMES.get(name, (name,)):
            try:
                version = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
            except Exception:  # a broken dist-info must not break the report
                continue
        out[name] = version
    return out


def capability_flags(cap):
    """bf16 needs Ampere (8.0+); FlashAttention 2 needs Ampere or newer (8.0+)."""
    if cap is None:
        return None, None
    try:
        major = int(str(cap).split('.')[0])
    except ValueError:
        return None, None
    return major >= 8, major >= 8


def _num(s):
    s = s.strip()
    if not s or s.startswith('[') or s.lower() in ('n/a', '[n/a]'):
        return None
    try:
        return int(float(s))
    except ValueError:
        return None


def parse_smi(text):
    gpus = []
    driver = None
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(',')]
        if len(parts) < 6:
            continue
        index, name, total, free, cap, drv = parts[:6]
        cap = None if not re.match(r'^\d+\.\d+$', cap) else cap
        bf16, fa = capability_flags(cap)
        gpus.append({'index': _num(index), 'name': name, 'memoryTotalMiB': _num(total), 'memoryFreeMiB': _num(free),
                     'computeCapability': cap, 'bf16': bf16, 'flashAttention': fa})
        driver = driver or (drv if drv and not drv.startswith('[') else None)
    return gpus, driver


def cuda_from_smi():
    """The CUDA version the driver supports, from the plain nvidia-smi banner."""
    try:
        p = subprocess.run(['nvidia-smi'], capture_output=True, text=True, timeout=SMI_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'CUDA Version:\s*([\d.]+)', p.stdout or '')
    return m.group(1) if m else None


def gpus_from_smi(problems):
    exe = shutil.which('nvidia-smi')
    if not exe:
        return None, None, None
    try:
        p = subprocess.run([exe, '--query-gpu=' + QUERY, '--format=csv,noheader,nounits'],
                           capture_output=True, text=True, timeout=SMI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        problems.append('nvidia-smi did not answer within %ds: the driver may be hung' % SMI_TIMEOUT_S)
        return [], None, None
    except OSError as e:
        problems.append('nvidia-smi could not run: %s' % e)
        return [], None, None
    if p.returncode != 0:
        msg = (p.stderr or p.stdout or '').strip().splitlines()
        problems.append('nvidia-smi failed: %s' % (msg[0] if msg else 'exit %d' % p.returncode))
        return [], None, None
    gpus, driver = parse_smi(p.stdout)
    return gpus, driver, cuda_from_smi()


def gpus_from_torch(versions):
    """Only when nvidia-smi is unavailable and torch is installed (importing torch is slow)."""
    if not versions.get('torch'):
        return None, None
    try:
        import torch  # noqa: lazy heavy import
    except Exception:
        return None, None
    cuda = getattr(torch.version, 'cuda', None)
    gpus = []
    try:
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                free = None
                try:
                    free = int(torch.cuda.mem_get_info(i)[0] / 1048576)
                except Exception:
                    pass
                cap = '%d.%d' % (props.major, props.minor)
                bf16, fa = capability_flags(cap)
                gpus.append({'index': i, 'name': props.name, 'memoryTotalMiB': int(props.total_memory / 1048576),
                             'memoryFreeMiB': free, 'computeCapability': cap, 'bf16': bf16, 'flashAttention': fa})
    except Exception:
        pass
    return gpus, cuda


def ram_mib():
    try:
        with open('/proc/meminfo') as f:
            info = dict(line.split(':', 1) for line in f if ':' in line)
        total = int(info['MemTotal'].split()[0]) // 1024
        avail = int(info.get('MemAvailable', info['MemFree']).split()[0]) // 1024
        return total, avail
    except (OSError, KeyError, ValueError):
        pass
    try:
        pages = os.sysconf('SC_PHYS_PAGES')
        size = os.sysconf('SC_PAGE_SIZE')
        return pages * size // 1048576, None
    except (ValueError, OSError, AttributeError):
        return None, None


def disk_free(path):
    probe = os.path.abspath(path)
    while not os.path.exists(probe):  # the output folder may not exist yet
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    try:
        u = shutil.disk_usage(probe)
        return {'path': os.path.abspath(path), 'freeMiB': u.free // 1048576, 'totalMiB': u.total // 1048576}
    except OSError:
        return {'path': os.path.abspath(path), 'freeMiB': None, 'totalMiB': None}


def hf_token_available():
    if os.environ.get('HF_TOKEN') or os.environ.get('HUGGING_FACE_HUB_TOKEN'):
        return True
    home = os.environ.get('HF_HOME') or os.path.join(os.path.expanduser('~'), '.cache', 'huggingface')
    path = os.environ.get('HF_TOKEN_PATH') or os.path.join(home, 'token')
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def report(output_dir='.'):
    problems = []
    versions = library_versions()
    gpus, driver, cuda = gpus_from_smi(problems)
    source = 'nvidia-smi' if gpus is not None else None
    if gpus is None:
        gpus, cuda = gpus_from_torch(versions)
        source = 'torch' if gpus is not None else None
        gpus = gpus or []
    total, avail = ram_mib()
    out = {
        'gpus': gpus,
        'gpuSource': source,
        'cudaVersion': cuda,
        'driverVersion': driver,
        'python': {'version': platform.python_version(), 'executable': sys.executable},
        'platform': platform.platform(),
        'libraries': versions,
        'disk': disk_free(output_dir),
        'hfToken': hf_token_available(),
        'cpuCount': os.cpu_count(),
        'ramMiB': total,
        'ramAvailableMiB': avail,
        'problems': problems,
    }
    if not gpus:
        problems.append('no NVIDIA GPU found (nvidia-smi missing or no devices): training would run on CPU, '
                        'which only suits tiny models')
    elif not versions.get('torch'):
        problems.append('torch is not installed in %s: install a CUDA build of torch first' % sys.executable)
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    output_dir = '.'
    i = 0
    try:
        while i < len(argv):
            a = argv[i]
            if a == '--output-dir' and i + 1 < len(argv):
                output_dir = argv[i + 1]
                i += 2
            elif a.startswith('--output-dir='):
                output_dir = a.split('=', 1)[1]
                i += 1
            else:
                print(json.dumps({'error': "unknown argument '%s'; usage: env_report.py [--output-dir DIR]" % a}))
                return 1
        print(json.dumps(report(output_dir)))
        return 0
    except Exception as e:  # never a traceback
        print(json.dumps({'error': 'Could not build the environment report: %s: %s' % (type(e).__name__, e)}))
        return 1


if __name__ == '__main__':
    sys.exit(main())
