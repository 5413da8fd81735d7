/** DevTools automator suite (`npm run test:e2e`): needs WeChat DevTools, so it is not part of `npm test`. */
module.exports = {
  rootDir: '../..',
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2020' } }] },
  testTimeout: 120000,
  maxWorkers: 1,
};
