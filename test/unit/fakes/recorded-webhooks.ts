/** The relay's webhooks for tests of what emits them: nothing is sent, and `emitted` lists every event in order. */
import { Logger } from '../../../relay/log.ts';
import { Webhooks } from '../../../relay/webhooks/webhooks.ts';
import type { WebhookData, WebhookType } from '../../../relay/webhooks/webhook-events.ts';

export interface Emitted<T extends WebhookType = WebhookType> { type: T; stream: string | null; data: WebhookData[T] }

export function recordedWebhooks(): Webhooks & { emitted: Emitted[]; of<T extends WebhookType>(type: T): Emitted<T>[] } {
  const emitted: Emitted[] = [];
  const webhooks = new Webhooks({ url: '', key: Buffer.alloc(0), nodeId: 'test', log: new Logger({ test: 'webhooks' }), post: async () => 204 });
  webhooks.emit = ((type, stream, data) => { emitted.push({ type, stream, data }); }) as Webhooks['emit'];
  return Object.assign(webhooks, { emitted, of: <T extends WebhookType>(type: T) => emitted.filter((e): e is Emitted<T> => e.type === type) });
}
