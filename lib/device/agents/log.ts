// Structured lines on stdout (journald keeps them); the level follows System.log_level at run time.
export const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export interface Logger {
  setLevel(level: Level): void;
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(agent: string, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  let min = 1;
  return {
    setLevel: (level) => {
      min = LEVELS.indexOf(level);
    },
    log: (level, msg, fields) => {
      if (LEVELS.indexOf(level) < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, agent, msg, ...fields }));
    },
  };
}
