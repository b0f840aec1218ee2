// dist/extension.js is what VS Code evaluates at activation: the LLM and MCP SDKs must stay out of
// it (they come with dist/llm.js and dist/mcp.js, loaded on first use through src/vscode/lazy/loader.ts).
// A direct import of an SDK from host code pulls it in silently (Try it's vLLM client did once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { extensionTargets } = require('../../esbuild.js') as { extensionTargets: (outdir: string, o: object) => esbuild.BuildOptions[] };

const SDKS = ['node_modules/openai/', 'node_modules/@anthropic-ai/sdk/', 'node_modules/@modelcontextprotocol/sdk/'];

test('the activation bundle holds no LLM or MCP SDK; the lazy bundles do', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mli-lazy-'));
  try {
    const inputs: Record<string, string[]> = {};
    for (const t of extensionTargets(out, { sourcemap: false, plugins: [] })) {
      const r = await esbuild.build({ ...t, metafile: true, write: false });
      inputs[String(t.outfile).split(/[\\/]/).pop() as string] = Object.keys(r.metafile!.inputs);
    }
    const sdkIn = (file: string) => inputs[file].filter((p) => SDKS.some((s) => p.includes(s)));
    assert.deepEqual(sdkIn('extension.js').slice(0, 5), [], 'extension.js imports an SDK directly: load it through src/vscode/lazy/loader.ts');
    assert.ok(sdkIn('llm.js').some((p) => p.includes('node_modules/openai/')), 'llm.js carries the openai SDK');
    assert.ok(sdkIn('llm.js').some((p) => p.includes('node_modules/@anthropic-ai/sdk/')), 'llm.js carries the Anthropic SDK');
    assert.ok(sdkIn('mcp.js').some((p) => p.includes('node_modules/@modelcontextprotocol/sdk/')), 'mcp.js carries the MCP SDK');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
