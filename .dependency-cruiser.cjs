// Dependency rules the layering relies on (run by `npm run lint`): data flows config -> graph ->
// plan -> run -> engine port; the plan never reaches into the runners; the device side is its own
// program; only the Docker engine module talks to Docker.
module.exports = {
  forbidden: [
    {
      name: 'no-plan-to-run',
      comment: 'plan/ decides, run/ executes: the runners import the plan, never the other way round',
      severity: 'error',
      from: { path: '^lib/plan/' },
      to: { path: '^lib/run/' },
    },
    {
      name: 'no-cache-engine-to-run-plan',
      comment: 'keys, the index and the engine port sit below the plan and the runners',
      severity: 'error',
      from: { path: '^lib/(cache|engine)/' },
      to: { path: '^lib/(run|plan|cli|inspect)/' },
    },
    {
      name: 'device-isolated',
      comment: 'lib/device is bundled onto the image: it must not pull in the builder',
      severity: 'error',
      from: { path: '^lib/device/' },
      to: { path: '^lib/', pathNot: '^lib/device/' },
    },
    {
      name: 'builder-not-into-device',
      comment: 'the builder does not depend on the device programs',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/(device/|flash/provision-files\\.ts$)' },
      to: { path: '^lib/device/' },
    },
    {
      name: 'provisioning-reader-only',
      comment:
        "the one exception: the host checks provisioning files with the device's own pure reader (lib/device/provision/read-provision.ts), so what it accepts is what the device applies",
      severity: 'error',
      from: { path: '^lib/flash/provision-files\\.ts$' },
      to: { path: '^lib/device/', pathNot: '^lib/device/provision/read-provision\\.ts$' },
    },
    {
      name: 'dockerode-only-in-docker-engine',
      comment: 'everything else goes through the engine port (lib/engine/engine-port.ts)',
      severity: 'error',
      from: { pathNot: '^lib/engine/docker-' },
      to: { path: 'node_modules/(dockerode|@types/dockerode)/' },
    },
    {
      name: 'docker-engine-only-from-composition-root',
      comment: 'commands open their engine through lib/engine/open-engine.ts',
      severity: 'error',
      from: { pathNot: '^lib/engine/(open-engine|docker-)' },
      to: { path: '^lib/engine/docker-' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
