// One lint configuration for the whole monorepo; formatting is prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'scripts/infra/mongo-server/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // A run's next step is decided by nextRunStep (packages/core/src/run-step.ts) and nowhere else:
    // the modules that move runs ask it, they do not compare strategies or default one themselves.
    files: [
      'packages/store/src/run-lifecycle.ts',
      'services/extractor/src/extract-runs.ts',
      'services/extractor/src/resume-runs.ts',
      'services/extractor/src/continuous-cycle.ts',
      'services/van-writer/src/post-canvass-responses.ts',
      'services/csv-writer/src/**',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "BinaryExpression[operator=/^[!=]==?$/] > MemberExpression[property.name='strategy'], LogicalExpression[operator='??'] > MemberExpression.left[property.name='strategy']",
          message:
            'a run moves by nextRunStep (packages/core/src/run-step.ts): ask it instead of branching on the strategy',
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**', '**/test/**', '*.js', '*.mjs', 'jest.config.js'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
