/**
 * Unit, protocol and full-flow tests, plus the mini-program's page tests a second time against the code
 * package miniprogram-ci compiled (`npm test` compiles it first). The DevTools suite (test/e2e) has its own config.
 */
const transform = { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2020' } }] };
const common = {
  transform,
  moduleNameMapper: { '^wx-server-sdk$': '<rootDir>/scripts/local-host/wx-server-sdk/index.ts' },
  setupFiles: ['<rootDir>/test/setup/quiet-console.ts'],
  // Module `require`s with the mini-program's require.async (cross-package loading, as WeChat has it).
  runtime: '<rootDir>/test/setup/miniprogram-runtime.js',
};
module.exports = {
  testTimeout: 20000,
  projects: [
    {
      ...common,
      displayName: 'source',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/miniprogram-compiled/'],
      transformIgnorePatterns: ['/node_modules/(?!(mobx-miniprogram|mobx-miniprogram-bindings)/)'],
      testTimeout: 20000,
    },
    {
      ...common,
      displayName: 'compiled',
      // The same page, store and service tests, loading .build/miniprogram/ (ES5 from DevTools' compiler)
      // and its miniprogram_npm instead of the TypeScript sources and node_modules.
      testMatch: ['<rootDir>/test/miniprogram/**/*.test.ts', '<rootDir>/test/miniprogram-compiled/**/*.test.ts'],
      // Checks of the sources themselves (Babel per file, WXML of the source tree) stay in the source project.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/miniprogram/devtools-compile.test.ts'],
      // The compiled package runs as compiled: never transformed again.
      transformIgnorePatterns: ['/node_modules/', '<rootDir>/.build/'],
      moduleNameMapper: {
        ...common.moduleNameMapper,
        // Two or more ../ : the app's folder from test/<dir>/; `../miniprogram/setup` (test/miniprogram from test/miniprogram-flow) stays.
        '^(\\.\\./){2,}miniprogram/(.*)$': '<rootDir>/.build/miniprogram/$2',
      },
      resolver: '<rootDir>/test/miniprogram-compiled/resolver.js',
      setupFiles: [...common.setupFiles, '<rootDir>/test/miniprogram-compiled/use-compiled.js'],
      testTimeout: 20000,
    },
  ],
};
