// Lint for what the type checker does not catch: promises nobody awaits or handles; and line length.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['test/.work/**', 'imports/**', 'dist/**', 'node_modules/**', '.build/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Lines a reader can take in: long literal texts (messages, expected output, patterns) may run on.
      'max-len': ['error', { code: 200, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true, ignoreComments: false }],
    },
  },
);
