/**
 * Every message the Web SDK (2.0.276) can send on a session, and what this server does with each: handled by
 * WcsSession, kept as a record (logs the SDK pushes), or refused with a `fail` that says why. Never silence: the SDK
 * leaves a stream or call waiting forever for an answer that does not come. test/unit/wcs-server/sdk-messages.test.ts
 * reads the SDK's source and checks that each name it sends is listed here.
 */

/** Answered by WcsSession (connection.ts), each with the reply the SDK waits for. */
export const HANDLED = [
  'connection', 'ping', 'pong', 'publishStream', 'playStream', 'unPublishStream', 'stopStream', 'availableStream',
  'sendStreamEvent', 'sendData', 'snapshot',
] as const;

/** Reports the SDK sends and expects nothing back for: written to the relay's log. */
export const RECORDED = new Set(['pushLogs', 'submitBugReport']);

const SIP = 'SIP calls are not supported by this server (Siphon relays streams; use a WCS with SIP for calls)';

/** Features of WCS this server does not have: `fail` with the reason. */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  call: SIP, answer: SIP, hangup: SIP, hold: SIP, unhold: SIP, sendDtmf: SIP, transfer: SIP,
  sessionDebug: 'Session debug is not supported by this server',
  webRTCMetricsClientDescription: 'WebRTC metrics collection is not supported by this server',
  webRTCMetricsBatch: 'WebRTC metrics collection is not supported by this server',
};
