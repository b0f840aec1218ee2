// Copies node-pty's runtime files (JavaScript + the native module for one target) next to the
// bundle, so `require('node-pty')` from dist/extension.js resolves dist/node_modules/node-pty
// inside the .vsix. node-pty ships prebuilt modules for darwin-x64/arm64 and win32-x64/arm64; on
// Linux it is compiled by `npm ci` (node-gyp) for this machine only. So each .vsix is
// platform-specific (vsce --target): a target with neither a prebuild nor a local build (e.g.
// linux-arm64 packaged on x64) gets no native module, and the extension falls back to
// child_process with a one-time warning (no colours or tqdm redraws in its terminal; runs work).
// Usage: node scripts/bundle-node-pty.mjs [<platform>-<arch>]   (default: this machine)
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const target = process.argv[2] ?? `${process.platform}-${process.arch}`;
const local = target === `${process.platform}-${process.arch}`;
const src = 'node_modules/node-pty';
const dest = 'dist/node_modules/node-pty';
if (!existsSync(join(src, 'package.json'))) {
  console.error('node-pty is not installed here: run npm ci first.');
  process.exit(1);
}
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
const windows = target.startsWith('win32');
// Windows needs conpty/winpty; other targets leave them out (they are most of the size).
const keep = (f) => !f.endsWith('.test.js') && !f.endsWith('.map') && !f.endsWith('.pdb') && (windows || !/windows|conpty|winpty/i.test(f.split('/').pop() ?? ''));
const parts = ['package.json', 'LICENSE', 'lib', `prebuilds/${target}`];
if (local) parts.push('build/Release/pty.node');
for (const p of parts) if (existsSync(join(src, p))) cpSync(join(src, p), join(dest, p), { recursive: true, filter: keep });
const native = existsSync(join(dest, 'build/Release/pty.node')) || existsSync(join(dest, `prebuilds/${target}/pty.node`));
console.log(`node-pty copied to ${dest} for ${target}${native ? '' : ' WITHOUT a native module (no prebuild for it; the extension falls back to child_process)'}`);
