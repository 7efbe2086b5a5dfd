/** The `sha256sum -c` format. */
export function sha256Line(hex: string, fileName: string): string {
  return `${hex}  ${fileName}\n`;
}
