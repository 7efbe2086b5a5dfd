/** Where the CLI writes: stdout/stderr lines in the program, captured arrays in tests. stdin for `apply -`. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin?: () => Promise<string>;
}
