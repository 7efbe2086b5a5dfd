/** A one-line progress bar on a TTY, or a line per 10% when the output is a log. */
export function progressBar(out: NodeJS.WriteStream, label: string): (done: number, total: number) => void {
  const start = Date.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (done, total) => {
    const frac = total ? done / total : 1;
    const mbps = done / 1048576 / Math.max(0.001, (Date.now() - start) / 1000);
    if (out.isTTY) {
      if (Date.now() - lastDraw < 100 && done < total) return;
      lastDraw = Date.now();
      const width = 30;
      const fill = Math.round(frac * width);
      out.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mbps.toFixed(1)} MiB/s`);
      if (done >= total) out.write('\n');
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        out.write(`${label} ${tenth * 10}% (${mbps.toFixed(1)} MiB/s)\n`);
      }
    }
  };
}
