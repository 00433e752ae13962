/**
 * WCS's lists of masks (`allow_domains=!*.evil.com,*.mydomain.com`, the publish and play name restrictions): entries
 * in order, `*` matches any run of characters, a leading `!` refuses what it matches; the first entry that matches
 * decides, and a name no entry matches is refused. An empty list allows everything (WCS's default).
 */
export class NameMasks {
  private readonly entries: { deny: boolean; pattern: RegExp; text: string }[];

  constructor(list: readonly string[], caseInsensitive = false) {
    this.entries = list.map((raw) => raw.trim()).filter(Boolean).map((text) => {
      const deny = text.startsWith('!');
      const mask = deny ? text.slice(1) : text;
      const source = mask.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
      return { deny, pattern: new RegExp(`^${source}$`, caseInsensitive ? 'i' : ''), text };
    });
  }

  get restricts(): boolean { return this.entries.length > 0; }

  /** Undefined when allowed; else the reason, naming the entry that refused (or that none allowed it). */
  refusal(name: string): string | undefined {
    if (!this.restricts) return undefined;
    const entry = this.entries.find((e) => e.pattern.test(name));
    if (!entry) return 'no entry of the list allows it';
    return entry.deny ? `refused by "${entry.text}"` : undefined;
  }
}
