// Unit specs live beside the code (src, *.spec.ts); e2e specs in test/ (*.e2e-spec.ts). Both run on ts-jest, CommonJS.
const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
  moduleNameMapper: { '^src/(.*)$': '<rootDir>/src/$1', '^test/(.*)$': '<rootDir>/test/$1' },
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/jest-timeout.ts'],
    },
    // Swagger UI in chromium against the built app: only `npm run test:browser` lists it, so `npm test` does not
    // run it a second time in CI.
    ...(process.env.GATEHOUSE_BROWSER_TESTS === '1'
      ? [{ ...shared, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] }]
      : []),
  ],
};
