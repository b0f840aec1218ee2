// The layering rule lives here: src/core is editor-agnostic and must never
// import 'vscode' (the CLI and the tests run it without VS Code).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'examples/**', 'out/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core is editor-agnostic: put VS Code code in src/vscode and reach it through a port.' }],
          patterns: [{ group: ['**/vscode/**', '../vscode/*', '../../vscode/*'], message: 'src/core must not depend on the VS Code layer.' }],
        },
      ],
    },
  },
  {
    files: ['media/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The webview cannot import vscode; talk to the host through the message protocol.' }] }],
    },
  },
);
