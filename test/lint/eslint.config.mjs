// ESLint for src, test and bench: typescript-eslint's recommended rules with type
// information, and eslint-config-prettier so that layout is prettier's business alone.
// Run as `eslint -c test/lint/eslint.config.mjs` (the project keeps its top level small).
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'test/clients/build/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {parserOptions: {project: ['./test/tsconfig.json'], tsconfigRootDir: process.cwd()}},
    rules: {
      // Promises left floating are bugs in a tool that must not half-do things silently.
      '@typescript-eslint/no-floating-promises': ['error', {allowForKnownSafeCalls: [{from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach']}]}],
      '@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: false}],
      '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports', disallowTypeAnnotations: false}],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true}],
      // oclif's parse() generics and xmpp.js's untyped corners need `any` in a few typed places.
      '@typescript-eslint/no-explicit-any': 'off',
      // `catch {}` is how "not JSON / not there: leave it undefined" reads here.
      'no-empty': ['error', {allowEmptyCatch: true}],
    },
  },
  {
    // Typings of xmpp.js 0.14, which ships none: a middleware context differs per plugin.
    files: ['**/*.d.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    rules: {'no-empty': ['error', {allowEmptyCatch: true}]},
    languageOptions: {globals: globals.node},
  },
  prettier,
)
