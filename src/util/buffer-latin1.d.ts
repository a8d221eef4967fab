// Node's Buffer has fast latin1 codecs that its typings do not declare; they exist on every
// supported Node version and are what Buffer#toString('latin1') calls underneath.
declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    latin1Write(text: string, offset: number, length?: number): number;
  }
}
export {};
