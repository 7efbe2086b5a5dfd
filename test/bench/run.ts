// `npm run bench`: every benchmark module in turn; each prints its figures as ratios against a
// baseline measured in the same run.
const modules = [
  './startup.bench.js',
  './engine.bench.js',
  './writer.bench.js',
  './raspi.bench.js',
  './leaf.bench.js',
  './repro.bench.js',
  './emulated-cpu.bench.js',
  './device.bench.js',
  './rootless.bench.js',
  './raspi-userns.bench.js',
  './registry.bench.js',
];

for (const m of modules) {
  try {
    const bench = (await import(m)) as { run: () => Promise<void> };
    await bench.run();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') continue;
    console.error(`${m}: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
