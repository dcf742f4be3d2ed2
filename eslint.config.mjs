import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'test/artifacts/**', 'bench/results/**', 'src/database/migrations/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../**', '../*/**'], message: 'Cross-feature imports use src/... paths; relative imports stay inside a feature.' },
            { group: ['**/index', './index'], message: 'No barrels inside src/.' },
          ],
        },
      ],
    },
  },
  // Which folder may import which (layers, no cycles, no foreign repositories) is checked by dependency-cruiser:
  // .dependency-cruiser.js, `npm run depcruise`.
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {},
  },
  // Child-process fixtures that import ESM-only packages (test/fixtures/oidc-provider) are ES modules.
  { files: ['test/fixtures/**/*.mjs'], languageOptions: { sourceType: 'module' } },
  // Better Auth is ESM only; its benchmark server is a module of its own package (bench/refs/better-auth/).
  {
    files: ['bench/refs/better-auth/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);
