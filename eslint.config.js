// ESLint (flat config): typescript-eslint's recommended rules over lib/ and test/, plus the few
// rules this codebase's habits rely on. Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // unused bindings named _x are deliberate (destructuring something away)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // every engine call and host tool goes through the port and the exec layer
      'no-restricted-imports': ['error', { paths: [{ name: 'dockerode', message: 'only lib/engine/docker-*.ts talks to Docker: use the engine port' }] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // tests assert terminal escapes and column alignment literally
    files: ['test/**/*.ts'],
    rules: { 'no-control-regex': 'off', 'no-regex-spaces': 'off' },
  },
  {
    files: ['lib/engine/docker-*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
