// Copies node-pty's runtime files (JavaScript + the native module built for this
// platform) next to the bundle, so `require('node-pty')` from dist/extension.js
// resolves dist/node_modules/node-pty inside the .vsix. node-pty has no Linux
// prebuilds: the .vsix is therefore platform-specific (packaged with --target).
// Without it the extension still works: it falls back to child_process with a warning.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const src = 'node_modules/node-pty';
const dest = 'dist/node_modules/node-pty';
if (!existsSync(join(src, 'build', 'Release', 'pty.node')) && !existsSync(join(src, 'prebuilds'))) {
  console.error('node-pty is not built here (no build/Release/pty.node): run npm ci first.');
  process.exit(1);
}
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
for (const p of ['package.json', 'LICENSE', 'lib', 'build/Release/pty.node', `prebuilds/${process.platform}-${process.arch}`]) {
  if (existsSync(join(src, p))) cpSync(join(src, p), join(dest, p), { recursive: true, filter: (f) => !f.endsWith('.test.js') && !f.endsWith('.map') && !/windows|conpty|winpty/i.test(f.split('/').pop() ?? '') });
}
console.log(`node-pty copied to ${dest}`);
