// ESM throughout: sources are TypeScript compiled by ts-jest in ESM mode, so the ESM-only
// dependencies (p-queue, @dagrejs/graphlib) load the same way in tests as in the CLI.
const tsJest = ['ts-jest', { useESM: true }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'device', testMatch: ['<rootDir>/test/device/**/*.test.ts'] },
    { ...common, displayName: 'writer', testMatch: ['<rootDir>/test/writer/**/*.test.ts'] },
    { ...common, displayName: 'engine', testMatch: ['<rootDir>/test/engine/**/*.test.ts'] },
    { ...common, displayName: 'rootless', testMatch: ['<rootDir>/test/rootless/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
