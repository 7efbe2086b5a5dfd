// `stalker export --docker`: what skopeo is asked (every value behind a transport prefix, so a
// name can never become an option) and how a failed copy is reported.
import { exportToDocker, skopeoCopyArgs } from '../../lib/inspect/export-docker.js';

test('skopeo copies the ref from the OCI layout to the daemon under the same name', () => {
  expect(skopeoCopyArgs({ layout: '/s/oci', ref: 'hello/app:final' })).toEqual([
    'copy',
    '--quiet',
    'oci:/s/oci:hello/app:final',
    'docker-daemon:hello/app:final',
  ]);
  expect(skopeoCopyArgs({ layout: '/s/oci', ref: 'hello/app:final', daemonHost: 'unix:///run/d.sock' })).toEqual([
    'copy',
    '--quiet',
    '--dest-daemon-host',
    'unix:///run/d.sock',
    'oci:/s/oci:hello/app:final',
    'docker-daemon:hello/app:final',
  ]);
});

test('a failed copy is an engine error with skopeo last words; a missing skopeo says how to install it', async () => {
  await expect(exportToDocker({ layout: '/nonexistent/oci', ref: 'hello/app:final' }, 'false')).rejects.toMatchObject({
    code: 'ENGINE',
    message: expect.stringMatching(/skopeo could not copy hello\/app:final into Docker \(exit 1\)/),
  });
  await expect(exportToDocker({ layout: '/x', ref: 'a/b:c' }, '/nonexistent/skopeo')).rejects.toMatchObject({
    message: expect.stringMatching(/apt-get install skopeo/),
  });
});
