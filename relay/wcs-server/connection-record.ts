/** What REST /connection/find_all, /find and /terminate show of a Websocket session (the connect hook's fields). */
export interface ConnectionRecord {
  sessionId: string; appKey: string; remoteAddress: string; origin: string | null; status: 'ESTABLISHED' | 'PENDING';
  clientVersion?: unknown; clientOSVersion?: unknown; clientBrowserVersion?: unknown; mediaProviders?: unknown;
  mediaSessions: number; createDate: number;
}

export type ClientFields = Partial<Pick<ConnectionRecord, 'clientVersion' | 'clientOSVersion' | 'clientBrowserVersion' | 'mediaProviders'>>;
