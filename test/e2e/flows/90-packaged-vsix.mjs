// Flow 90: what a user installs. `npm run package` builds the linux-x64 .vsix; code-server
// installs it with --install-extension (the package, not the development folder); a fresh
// workbench opens WITHOUT extensionDevelopmentPath, and the Fine-tune wizard runs to the first
// diff. Catches what only the package shows: a file .vscodeignore leaves out, a bundle that
// needs node_modules, a missing native module, a manifest field vsce rejects.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerBin } from '../setup.mjs';
import { startCodeServer, waitForExtension } from '../workbench.mjs';
import { fineTuneWizard, waitForDiff } from '../lib.mjs';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-1500)}`);
  return r.stdout;
}

export const flow = {
  id: 'packaged',
  name: 'The packaged linux-x64 .vsix installs with --install-extension and runs the Fine-tune wizard to the first diff',
  async run(ctx) {
    run(process.execPath, ['scripts/package.mjs', 'linux-x64'], ctx.repo);
    // The other flows load dist/ as the development folder: give them back the development build.
    run(process.execPath, ['esbuild.js'], ctx.repo);
    const vsix = join(ctx.repo, 'dist-vsix', 'ml-intern-linux-x64.vsix');
    if (!existsSync(vsix)) throw new Error(`npm run package did not write ${vsix}`);

    const installed = mkdtempSync(join(tmpdir(), 'ml-intern-vsix-'));
    let server;
    try {
      const out = run(codeServerBin(), ['--install-extension', vsix, '--extensions-dir', installed], ctx.repo);
      ctx.log(out.trim().split('\n').pop());
      const folder = readdirSync(installed).find((d) => d.startsWith('ml-intern.ml-intern-'));
      if (!folder) throw new Error(`--install-extension left no ml-intern folder in ${readdirSync(installed).join(', ')}`);
      const manifest = JSON.parse(readFileSync(join(installed, folder, 'package.json'), 'utf8'));
      for (const f of ['media/icon.png', 'dist/extension.js', 'dist/webview.js', 'python/inspect_data.py', 'dist/node_modules/node-pty/build/Release/pty.node', manifest.icon]) {
        if (!existsSync(join(installed, folder, f))) throw new Error(`the installed package lacks ${f}`);
      }
      server = await startCodeServer({ codeServer: codeServerBin(), workspace: ctx.workspace, extensions: [join(installed, folder)] });
      const page = await ctx.browser.newPage();
      page.setDefaultTimeout(60000);
      // No extensionDevelopmentPath: only the installed package can answer.
      await page.goto(`${server.url}/?folder=${encodeURIComponent(ctx.workspace)}`);
      await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
      await waitForExtension(page);
      await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
      await waitForDiff(page, 'train.py');
      await ctx.screenshot(page, 'first-diff-from-the-package');
      ctx.log(`installed ${folder}; the wizard reached the train.py diff`);
    } finally {
      await server?.stop();
      rmSync(installed, { recursive: true, force: true });
    }
  },
};
