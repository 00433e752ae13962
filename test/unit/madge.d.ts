/** The part of madge's API (it ships no types) the architecture test uses. */
declare module 'madge' {
  interface MadgeResult { circular(): string[][]; obj(): Record<string, string[]> }
  interface MadgeOptions { fileExtensions?: string[]; tsConfig?: string; baseDir?: string; detectiveOptions?: Record<string, unknown> }
  export default function madge(paths: string | string[], options?: MadgeOptions): Promise<MadgeResult>;
}
