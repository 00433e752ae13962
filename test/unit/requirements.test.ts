/** The list of what Siphon runs is tied to the code that runs it, and setup installs exactly what is missing. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SOURCE_ELEMENTS, TEST_SOURCE_REQUIREMENTS, testSourcePipeline } from '../../relay/sources/test-source.ts';
import { elementsOfLaunchLine, gstElements } from '../../relay/host/gstreamer-elements.ts';
import { JANUS_REQUIREMENTS, writeJanusConfig } from '../../relay/janus/config.ts';
import { RELAY_REQUIREMENTS } from '../../relay/requirements.ts';
import { checkAll, formatTable, hostProbe, missingBuilds, missingPackages, onPath } from '../../relay/host/check.ts';
import type { Requirement } from '../../relay/host/requirement.ts';

let dir: string | undefined;
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined; });

describe('requirements: tied to the pipelines and configs that use them', () => {
  it('every element of the demo pipeline is named in the list, with its package (timeoverlay → gstreamer1.0-x)', () => {
    const used = (['vp8', 'h264'] as const).flatMap((codec) =>
      elementsOfLaunchLine(testSourcePipeline({ ports: { video: 1, audio: 3 }, kbps: 1500, pattern: 'ball', size: '640x360', codec })));
    expect(new Set(used)).toEqual(new Set(TEST_SOURCE_ELEMENTS));
    const listed = RELAY_REQUIREMENTS.filter((r) => r.kind === 'gst-element').map((r) => r.name);
    for (const element of used) expect(listed, element).toContain(element);
    expect(TEST_SOURCE_REQUIREMENTS.find((r) => r.name === 'timeoverlay')).toMatchObject({ package: 'gstreamer1.0-x' });
  });

  it('an element with no known package is refused when the list is built', () => {
    expect(() => gstElements(['openh264enc'], 'a new pipeline')).toThrow(/openh264enc .*has no package/);
  });

  it('the launch-line parser finds elements of unlinked branches and caps filters', () => {
    expect(elementsOfLaunchLine(['a', 'p=1', '!', 'video/x-raw,width=2', '!', 'b', 'font-desc=Sans 24', 'c', '!', 'd']))
      .toEqual(['a', 'capsfilter', 'b', 'c', 'd']);
  });

  it('every plugin and transport the Janus config loads is a checked file of the Janus Siphon builds', () => {
    dir = mkdtempSync(join(tmpdir(), 'siphon-req-'));
    writeJanusConfig({
      dir, apiPort: 1, adminPort: 2, adminSecret: 's', streamingAdminKey: 'k', icePorts: { from: 1, to: 2 }, nosipPorts: { from: 3, to: 4 },
      mountpointPorts: { from: 5, to: 6 }, publicIp: '', iceInterfaces: [], eventLoops: 1, libDir: '/nonexistent',
    });
    const loaded = [...readdirSync(join(dir, 'plugins')), ...readdirSync(join(dir, 'transports'))];
    const files = JANUS_REQUIREMENTS.filter((r) => r.kind === 'built' && r.name !== 'janus');
    expect(files.map((r) => r.name).sort()).toEqual(loaded.sort());
    expect(new Set(files.map((r) => r.kind === 'built' && r.builtBy))).toEqual(new Set(['relay/janus/build']));
    // Building it takes libraries, named for pkg-config with the -dev package that has each.
    expect(JANUS_REQUIREMENTS.find((r) => r.kind === 'pkg-config' && r.name === 'nice')).toMatchObject({ package: 'libnice-dev' });
  });
});

describe('requirements: checking a host', () => {
  const reqs: Requirement[] = [
    { kind: 'binary', name: 'janus', package: 'janus', usedBy: 't' },
    { kind: 'gst-element', name: 'timeoverlay', package: 'gstreamer1.0-x', usedBy: 't' },
    { kind: 'gst-element', name: 'vp8enc', package: 'gstreamer1.0-plugins-good', usedBy: 't' },
    { kind: 'gst-element', name: 'udpsink', package: 'gstreamer1.0-plugins-good', usedBy: 't' },
    { kind: 'file', name: 'libjanus_nosip.so', path: '/x', package: 'janus', usedBy: 't' },
  ];

  it('installs exactly the packages of the missing things, each once', async () => {
    const present = new Set(['janus', 'vp8enc']);
    const checked = await checkAll(reqs, async (r) => present.has(r.name));
    expect(missingPackages(checked)).toEqual(['gstreamer1.0-x', 'gstreamer1.0-plugins-good', 'janus']);
    expect(formatTable(checked).split('\n')[2]).toMatch(/^gst-element\s+timeoverlay\s+gstreamer1.0-x\s+MISSING/);
  });

  it('something Siphon builds is never an apt package: it is built once the packages are in, and rebuilt when its recipe changes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'siphon-req-'));
    const stamp = join(dir, 'recipe');
    writeFileSync(stamp, 'old-recipe\n');
    const built: Requirement = { kind: 'built', name: 'janus', path: stamp, stamp: { file: stamp, value: 'new-recipe' }, builtBy: 'relay/janus/build', usedBy: 't' };
    const checked = await checkAll([...reqs, built], async (r) => (r.kind === 'built' ? hostProbe(r) : true));
    expect(missingPackages(checked)).toEqual([]);
    expect(missingBuilds(checked)).toEqual(['relay/janus/build']);
    writeFileSync(stamp, 'new-recipe\n');
    expect(missingBuilds(await checkAll([built]))).toEqual([]);
  });

  it('a library is checked by its pkg-config name', async () => {
    const [lib] = await checkAll([{ kind: 'pkg-config', name: 'no-such-library-siphon', package: 'x-dev', usedBy: 't' }]);
    expect(lib!.present).toBe(false);
  });

  it('nothing to install when everything is there', async () => {
    expect(missingPackages(await checkAll(reqs, async () => true))).toEqual([]);
  });

  it('a binary is looked up on PATH only', () => {
    expect(onPath('sh', '/bin:/usr/bin')).toBe(true);
    expect(onPath('sh', '/nonexistent')).toBe(false);
  });
});
