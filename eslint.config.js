import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Node's built-in modules: workflow code is replayed in a sandbox and may use none of them.
const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', '.temporal', '.tools', 'scratch', 'test-results', 'bin', '.dbt'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'test/agents/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    // import-x/no-cycle would otherwise parse dependencies' bundles (PGlite's overflows the parser's stack).
    settings: { 'import-x/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'import-x/no-cycle': 'error',
      // Agents and activities are async by interface, whether or not a given one awaits.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: [
      'src/workflows/**/*.ts',
      'src/identity/**/*.ts',
      'src/flows.ts',
      'src/field.ts',
      'src/temporal/failure-converter.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.flatMap((m) => [
            { name: m, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
            { name: `node:${m}`, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
          ]),
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/agents/**',
                '**/temporal/**',
                '**/cli/**',
                '**/contracts/**',
                '@temporalio/worker',
                '@temporalio/client',
                '@temporalio/activity',
              ],
              allowTypeImports: true,
              message:
                'Workflows import activities, agents and transports as types only (proxyActivities<Activities>()).',
            },
          ],
        },
      ],
    },
  },
  {
    // expect.stringContaining() and friends are typed `any` by vitest.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  { files: ['*.js', 'eslint.config.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly' } } },
);
