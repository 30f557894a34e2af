// A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI, --json).
export function progress(label: string, total: number, quiet: boolean) {
  const enabled = !quiet && process.stderr.isTTY === true;
  let last = 0;
  const draw = (done: number) => {
    const width = 30;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * width);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`);
  };
  return {
    update(done: number) {
      if (!enabled || Date.now() - last < 100) return;
      last = Date.now();
      draw(done);
    },
    done() {
      if (enabled) process.stderr.write("\r\u001b[2K");
    },
  };
}
