import { runTool } from '../writer/run-tool.js';

export interface Range {
  offset: number;
  length: number;
}

/**
 * The image's allocated ranges (a bmap), from the host filesystem's extent map via filefrag
 * (FIEMAP). Only real holes and unwritten extents are left out: zeros a tool wrote on purpose
 * (FAT tables, for one) stay in, which is what makes skipping the rest safe on a used card.
 * Returns undefined when the host filesystem cannot tell; the caller then writes every byte.
 */
export async function dataRanges(image: string, size: number): Promise<Range[] | undefined> {
  let text: string;
  try {
    text = (await runTool('filefrag', ['-s', '-e', '-b1', image], { keep: 256 * 1024 * 1024 })).stdout;
  } catch {
    return undefined;
  }
  const ranges: Range[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s*(\d+)\.\.\s*(\d+):.*$/.exec(line);
    if (!m || /unwritten/.test(line)) continue;
    const offset = Number(m[1]);
    const end = Math.min(Number(m[2]) + 1, size);
    if (end <= offset) continue;
    const last = ranges.at(-1);
    if (last && last.offset + last.length === offset) last.length += end - offset;
    else ranges.push({ offset, length: end - offset });
  }
  if (!/extents? found/.test(text)) return undefined;
  return ranges.sort((a, b) => a.offset - b.offset);
}

export function fullRange(size: number): Range[] {
  return [{ offset: 0, length: size }];
}

export const rangesBytes = (r: Range[]) => r.reduce((n, x) => n + x.length, 0);
