/** The CDN's placement (worker/src/tree.ts): where a viewer plays and where a new copy pulls from. */
import { describe, expect, it } from 'vitest';
import { childCounts, chooseParent, depths, placeViewer, subtree, type TreeCopy, type TreeRelay } from '../../../worker/src/tree.ts';

const relay = (id: string, region: string, headroom = 100, draining = false): TreeRelay => ({ id, region, headroom, draining });

describe('CDN tree placement', () => {
  it('a viewer plays where a copy is in its region; else a new copy in its region pulls from the root', () => {
    const relays = [relay('o', 'eu'), relay('e1', 'eu', 5), relay('u1', 'us', 50), relay('u2', 'us', 80)];
    const copies: TreeCopy[] = [{ relay: 'o', parent: null }, { relay: 'e1', parent: 'o' }];
    expect(placeViewer(copies, relays, 'eu')).toEqual({ kind: 'existing', relay: 'o' }); // the most headroom of the two
    expect(placeViewer(copies, relays, 'us')).toEqual({ kind: 'new', relay: 'u2', parent: 'o' });
  });

  it('grows a tree in which no copy feeds more than fanout children, however many relays join it', () => {
    const relays = Array.from({ length: 60 }, (_, i) => relay(`r${i}`, 'eu', 1)); // one viewer each: every viewer needs a new copy
    const copies: TreeCopy[] = [{ relay: 'r0', parent: null }];
    relays[0]!.headroom = 0;
    for (let i = 1; i < 60; i += 1) {
      const placed = placeViewer(copies, relays, 'eu', 4);
      expect(placed?.kind).toBe('new');
      if (placed?.kind !== 'new') return;
      copies.push({ relay: placed.relay, parent: placed.parent });
      relays.find((r) => r.id === placed.relay)!.headroom = 0;
    }
    expect(Math.max(...childCounts(copies).values())).toBe(4);
    expect(childCounts(copies).get('r0')).toBe(4);
    expect(Math.max(...depths(copies).values())).toBe(3); // 1 + 4 + 16 + 64 ≥ 60: breadth first
    expect(placeViewer(copies, relays, 'eu')).toBeUndefined(); // every relay full
  });

  it('a parent in the new copy\'s region first, then the shallowest; never a draining relay', () => {
    const byId = new Map([relay('o', 'eu'), relay('e1', 'eu'), relay('u1', 'us'), relay('u2', 'us', 10, true)].map((r) => [r.id, r]));
    const copies: TreeCopy[] = [{ relay: 'o', parent: null }, { relay: 'e1', parent: 'o' }, { relay: 'u1', parent: 'e1' }, { relay: 'u2', parent: 'o' }];
    expect(chooseParent(copies, byId, 'us', 4)).toBe('u1');
    expect(chooseParent(copies, byId, 'eu', 4)).toBe('o');
    expect(chooseParent(copies, byId, 'ap', 4)).toBe('o');
    expect(chooseParent(copies, byId, 'us', 4, new Set(['u1']))).toBe('o');
  });

  it('re-parenting excludes the copy\'s own subtree, so no copy ever pulls from below itself', () => {
    const copies: TreeCopy[] = [{ relay: 'o', parent: null }, { relay: 'a', parent: 'o' }, { relay: 'b', parent: 'a' }, { relay: 'c', parent: 'b' }];
    expect([...subtree(copies, 'a')].sort()).toEqual(['a', 'b', 'c']);
    const byId = new Map(['o', 'a', 'b', 'c'].map((id) => [id, relay(id, 'eu')]));
    byId.delete('o'); // the root's relay died: a has no live parent but its own children
    expect(chooseParent(copies.filter((c) => c.relay !== 'o'), byId, 'eu', 4, subtree(copies, 'a'))).toBeUndefined();
    expect(chooseParent(copies.filter((c) => c.relay !== 'a'), byId, 'eu', 4, subtree(copies, 'b'))).toBeUndefined();
  });

  it('a full region sends its viewers to a copy elsewhere before a new copy elsewhere', () => {
    const relays = [relay('o', 'eu', 0), relay('e1', 'eu', 0), relay('u1', 'us', 9), relay('u2', 'us', 90)];
    expect(placeViewer([{ relay: 'o', parent: null }, { relay: 'u1', parent: 'o' }], relays, 'eu')).toEqual({ kind: 'existing', relay: 'u1' });
    expect(placeViewer([{ relay: 'o', parent: null }], relays, 'eu')).toEqual({ kind: 'new', relay: 'u2', parent: 'o' });
  });
});
