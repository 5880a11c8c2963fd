/** One ts code block of the docs. */
export interface DocBlock {
  /** The Markdown file, relative to the repo root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Position among the file's ts blocks. */
  index: number;
  /** A file-name-safe name, unique per block. */
  id: string;
  code: string;
  /** Marked `ts fragment`: an excerpt, shown only. */
  fragment: boolean;
}
export function docFiles(root: string): string[];
export function docBlocks(root: string, files?: string[]): DocBlock[];
export const SERVER_ENV_NAMES: readonly string[];
export function serversUsed(code: string): string[];
