/** The access control of a relay with none configured (everyone admitted), for tests of what lies behind it. */
import { loadConfig } from '../../../relay/config.ts';
import { Logger } from '../../../relay/log.ts';
import { accessControlFrom } from '../../../relay/access/access-settings.ts';
import type { AccessControl } from '../../../relay/access/access-control.ts';
import { recordedWebhooks } from './recorded-webhooks.ts';

export const openAccess = (): AccessControl => accessControlFrom(loadConfig({}), new Logger({ test: 'access' }), recordedWebhooks());
