// The devcontainer.json "ML Intern: Create Dev Container" proposes: read as VS Code reads it
// (JSON with comments), it gives a CUDA + PyTorch container with the GPUs, the workspace, the
// training stack, the Python extension and ML Intern, and a lasting Hugging Face cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEV_CONTAINER_IMAGE, DEV_CONTAINER_PATH, devContainerJson } from '../../../src/core/sandbox/devContainer';

/** devcontainer.json is JSONC: whole-line // comments are what this file has. */
function parse(text: string): Record<string, unknown> {
  return JSON.parse(text.split('\n').filter((l) => !l.trimStart().startsWith('//')).join('\n')) as Record<string, unknown>;
}

test('the dev container runs the GPU training stack with the workspace mounted', () => {
  const text = devContainerJson({ name: 'my-project', extensionId: 'ml-intern.ml-intern' });
  assert.equal(DEV_CONTAINER_PATH, '.devcontainer/devcontainer.json');
  const config = parse(text);
  assert.equal(config.image, DEV_CONTAINER_IMAGE);
  assert.match(String(config.image), /^pytorch\/pytorch:[\d.]+-cuda12\.\d+-cudnn\d+-devel$/);
  // The comment says which image and why.
  assert.match(text, /\/\/ Image: pytorch\/pytorch:.*CUDA 12\.8/);
  assert.deepEqual(config.runArgs, ['--gpus', 'all', '--shm-size', '16g']);
  assert.equal(config.workspaceMount, 'source=${localWorkspaceFolder},target=/workspace,type=bind');
  assert.equal(config.workspaceFolder, '/workspace');
  for (const pkg of ['trl', 'peft', 'transformers', 'datasets', 'accelerate']) assert.match(String(config.postCreateCommand), new RegExp(`^pip install .*\\b${pkg}\\b`));
  const vscode = (config.customizations as { vscode: { extensions: string[] } }).vscode;
  assert.deepEqual(vscode.extensions, ['ms-python.python', 'ml-intern.ml-intern']);
  // The Hugging Face cache is a named volume, and HF_HOME points at it.
  const mounts = config.mounts as string[];
  const cache = mounts.find((m) => m.includes('type=volume'));
  assert.ok(cache, 'a volume for the cache');
  const target = /target=([^,]+)/.exec(cache)?.[1];
  assert.equal((config.containerEnv as Record<string, string>).HF_HOME, target);
  assert.equal(config.name, 'my-project (GPU training)');
});

test('a workspace name with quotes, backslashes and newlines stays one JSON string', () => {
  const name = 'a "b" \\c\n// d';
  const config = parse(devContainerJson({ name, extensionId: 'ml-intern.ml-intern' }));
  assert.equal(config.name, `${name} (GPU training)`);
});
