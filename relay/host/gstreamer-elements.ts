/**
 * Which Debian 12 package provides each GStreamer element Siphon's pipelines use. A pipeline names its
 * elements; this table turns them into requirements, and a unit test fails when a pipeline uses an
 * element that is not here.
 */
import type { Requirement } from './requirement.ts';

const ELEMENT_PACKAGES: Record<string, string> = {
  videotestsrc: 'gstreamer1.0-plugins-base',
  audiotestsrc: 'gstreamer1.0-plugins-base',
  audioconvert: 'gstreamer1.0-plugins-base',
  audioresample: 'gstreamer1.0-plugins-base',
  capsfilter: 'libgstreamer1.0-0',
  opusenc: 'gstreamer1.0-plugins-base',
  timeoverlay: 'gstreamer1.0-x', // the pango plugin: not in plugins-base, and what a fresh machine lacked
  vp8enc: 'gstreamer1.0-plugins-good',
  rtpvp8pay: 'gstreamer1.0-plugins-good',
  x264enc: 'gstreamer1.0-plugins-ugly',
  rtph264pay: 'gstreamer1.0-plugins-good',
  rtpopuspay: 'gstreamer1.0-plugins-good',
  udpsink: 'gstreamer1.0-plugins-good',
};

export function gstElementPackage(element: string): string | undefined {
  return ELEMENT_PACKAGES[element];
}

export function gstElements(elements: readonly string[], usedBy: string): Requirement[] {
  return [...new Set(elements)].map((name) => {
    const pkg = gstElementPackage(name);
    if (!pkg) throw new Error(`GStreamer element ${name} (${usedBy}) has no package in relay/host/gstreamer-elements.ts`);
    return { kind: 'gst-element', name, package: pkg, usedBy };
  });
}

/** The element names of a gst-launch description: the first word of each `!`-separated link; caps are a capsfilter. */
export function elementsOfLaunchLine(args: readonly string[]): string[] {
  const out: string[] = [];
  let expectElement = true;
  for (const arg of args) {
    if (arg === '!') { expectElement = true; continue; }
    if (expectElement) {
      out.push(arg.includes('/') ? 'capsfilter' : arg);
      expectElement = false;
      continue;
    }
    // After an element's properties, a bare word (no `=`) starts a new, unlinked branch.
    if (!arg.includes('=') && !arg.includes('/')) out.push(arg);
  }
  return out;
}
