// Prints the README's settings table from relay/config.ts, so the two cannot drift apart.
import { settings } from '../relay/config.ts';

function fmt(v: unknown): string {
  if (Array.isArray(v)) return v.join(',') || '(empty)';
  if (typeof v === 'object' && v !== null) {
    const r = v as { from: number; to: number };
    return `${r.from}-${r.to}`;
  }
  return v === '' ? '(empty)' : String(v);
}

console.log('| environment | flashphoner.properties | default | meaning |');
console.log('|---|---|---|---|');
for (const s of Object.values(settings)) {
  const prop = s.property.includes('_from-') ? s.property.replace('-', ' / ') : s.property;
  console.log(`| \`${s.env}\` | \`${prop}\` | \`${fmt(s.default)}\` | ${s.doc} |`);
}
