/**
 * A GStreamer that lacks one plugin, as on a machine where its package is not installed: the system's
 * plugin folder mirrored by symlinks without that plugin, and a registry of its own, so nothing on the
 * host is changed. Pass `env` to the process under test.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SYSTEM_PLUGINS = '/usr/lib/x86_64-linux-gnu/gstreamer-1.0';

export function gstreamerWithout(pluginFile: string): { env: Record<string, string>; remove: () => void } {
  const all = readdirSync(SYSTEM_PLUGINS).filter((f) => f.endsWith('.so'));
  if (!all.includes(pluginFile)) throw new Error(`${pluginFile} is not in ${SYSTEM_PLUGINS}`);
  const dir = mkdtempSync(join(tmpdir(), 'siphon-gst-'));
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins);
  for (const f of all.filter((name) => name !== pluginFile)) symlinkSync(join(SYSTEM_PLUGINS, f), join(plugins, f));
  return {
    env: { GST_PLUGIN_SYSTEM_PATH_1_0: plugins, GST_REGISTRY_1_0: join(dir, 'registry.bin') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
