import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tools/', 'charts/', 'deploy/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/**/*.js', 'public/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Browser ES modules of the web UI.
    files: ['public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'navigator',
          'location',
          'history',
          'localStorage',
          'fetch',
          'FormData',
          'URLSearchParams',
          'EventSource',
          'HTMLFormElement',
          'HTMLInputElement',
          'Element',
          'AbortSignal',
          'crypto',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'Uint8Array',
          'Blob',
          'TextEncoder',
          'atob',
          'btoa',
          'confirm',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The kiosk's service worker.
    files: ['public/kiosk-sw.js'],
    languageOptions: { globals: { self: 'readonly', caches: 'readonly', Request: 'readonly' } },
  },
);
