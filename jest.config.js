/** Unit, protocol and full-flow tests. The DevTools suite (test/e2e) has its own config. */
module.exports = {
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2020' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(mobx-miniprogram|mobx-miniprogram-bindings)/)'],
  moduleNameMapper: { '^wx-server-sdk$': '<rootDir>/scripts/local-host/wx-server-sdk/index.ts' },
  setupFiles: ['<rootDir>/test/setup/quiet-console.ts'],
  testTimeout: 20000,
};
