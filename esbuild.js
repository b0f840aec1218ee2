// Bundles the extension host, the CLI and the webview, in the style of the
// official vscode-extension-samples esbuild sample.
const esbuild = require('esbuild');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints the lines VS Code's `$esbuild-watch` problem matcher looks for. */
const esbuildProblemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      console.log('[watch] build started');
    });
    build.onEnd((result) => {
      result.errors.forEach(({ text, location }) => {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      });
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  // The [watch] lines are for `npm run watch`'s problem matcher only, not for builds and packaging.
  plugins: watch ? [esbuildProblemMatcherPlugin] : [],
};

/**
 * The sibling bundles (dist/llm.js, dist/mcp.js) take the modules whose identity matters
 * (LlmError, the redactor) from dist/extension.js instead of bundling their own copy: see
 * src/vscode/lazy/loader.ts, which must list the same paths.
 */
const SHARED_MODULE_PATHS = ['src/core/llm/types', 'src/core/util/redact'];
const sharedFromExtensionPlugin = {
  name: 'shared-from-extension',
  setup(build) {
    const root = __dirname;
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const rel = path.relative(root, path.resolve(args.resolveDir, args.path)).replace(/\\/g, '/').replace(/\.ts$/, '');
      return SHARED_MODULE_PATHS.includes(rel) ? { path: rel, namespace: 'mli-shared' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'mli-shared' }, (args) => ({
      contents: `module.exports = globalThis[Symbol.for('ml-intern.shared-modules')][${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

/** dist/extension.js and the bundles it loads on first use (outdir: where the files go). */
function extensionTargets(outdir, options = {}) {
  const base = { ...common, ...options, absWorkingDir: __dirname, format: 'cjs', platform: 'node', target: 'node20', external: ['vscode', 'node-pty'] };
  return [
    { ...base, entryPoints: ['src/vscode/extension.ts'], outfile: path.join(outdir, 'extension.js'), define: { __BUNDLED__: 'true' } },
    { ...base, entryPoints: ['src/vscode/lazy/llmBundle.ts'], outfile: path.join(outdir, 'llm.js'), plugins: [...(base.plugins ?? []), sharedFromExtensionPlugin] },
    { ...base, entryPoints: ['src/vscode/lazy/mcpBundle.ts'], outfile: path.join(outdir, 'mcp.js'), plugins: [...(base.plugins ?? []), sharedFromExtensionPlugin] },
  ];
}

const targets = [
  ...extensionTargets('dist'),
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['node-pty'],
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: ['media/main.ts'],
    outfile: 'dist/webview.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  {
    // The side-by-side Try-it view (src/vscode/tryIt/tryItPanel.ts).
    ...common,
    entryPoints: ['media/tryIt/main.ts'],
    outfile: 'dist/tryit.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  {
    // The panel's stylesheet (uPlot's CSS is @imported into it).
    ...common,
    entryPoints: ['media/chat.css'],
    outfile: 'dist/chat.css',
    sourcemap: false,
  },
  {
    ...common,
    entryPoints: ['test/vscode/suite/index.ts'],
    outfile: 'dist/test/suite/index.js',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode', 'node-pty', 'mocha'],
    // The suite bundles the sources it imports, the lazy ones included.
    define: { __BUNDLED__: 'false' },
  },
];

async function main() {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    await Promise.all(contexts.map((c) => c.rebuild()));
    await Promise.all(contexts.map((c) => c.dispose()));
    require('fs').chmodSync('dist/cli.js', 0o755);
  }
}

module.exports = { extensionTargets };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
