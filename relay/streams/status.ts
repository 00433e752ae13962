/** Stream statuses and the `info` strings the Web SDK and its demo pages know (constants.js). */
export type StreamStatus = 'PENDING' | 'PUBLISHING' | 'PLAYING' | 'UNPUBLISHED' | 'STOPPED' | 'FAILED';

export const TERMINAL: ReadonlySet<StreamStatus> = new Set(['UNPUBLISHED', 'STOPPED', 'FAILED']);

export const Info = {
  nameInUse: 'Stream name is already in use',
  notFound: 'Stream not found',
  notReady: 'Publish stream is not ready',
  publisherStop: 'Stopped by publisher stop',
  restTerminate: 'Stopped by rest /terminate',
  sessionDisconnect: 'Stopped by session disconnect',
  iceTimeout: 'Failed by ICE timeout',
  noCommonCodecs: 'No common codecs',
  mediaSessionInUse: 'MediaSessionId is already in use',
  keepAlive: 'Terminated by keep-alive',
  mediaServerDown: 'Failed by error: media server (Janus) went down',
  codecChanged: 'Failed by error: source codec changed',
  accessExpired: 'Access expired',
  accessRevoked: 'Access revoked',
} as const;
