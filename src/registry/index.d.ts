// Types of a registry of Python runtime variants written by `wasmwheel registry`.

/** What running code gave: its exit status, what it printed, and the last line of its error. */
export interface RunResult {
  /** 0, SystemExit's code, or 1 for an exception. */
  exit: number | null;
  /** What it printed on stdout. */
  stdout: string;
  /** The exception's last line (`ValueError: ...`), or null. */
  error: string | null;
}

/** A Python runtime made from one variant. */
export interface Runtime {
  /** The variant's name. */
  variant: string;
  /** The Pyodide instance (its full API). */
  pyodide: any;
  /** Runs `code` as a script (`__main__`). */
  run(code: string): Promise<RunResult>;
  /** Lets go of the runtime and the files it was given. */
  destroy(): Promise<void>;
}

/** How a runtime is made. */
export interface RuntimeOptions {
  /** Each line Python prints on stdout. */
  stdout?: (line: string) => void;
  /** Each line Python prints on stderr. */
  stderr?: (line: string) => void;
  /** How long any one file may take to come, in milliseconds (default 60000). */
  timeout?: number;
  /** A Pyodide module to use instead of the variant's runtime files (`import * as pyodide from "pyodide"`). */
  pyodide?: { loadPyodide: (options: object) => Promise<any>; version: string };
}

/** A variant the registry knows. */
export interface Variant {
  name: string;
  /** Its npm package. */
  pkg: string;
  /** Its version. */
  version: string;
  /** The Pyodide release it was made for (variants the registry was made with). */
  release?: string;
}

/** A fresh runtime of the variant `name` (default: the first one). */
export function createRuntime(name?: string, options?: RuntimeOptions): Promise<Runtime>;
/** Where variants are fetched from; `file` "" is the package's folder. */
export function setCDN(url: (pkg: string, version: string, file: string) => string): void;
/** Adds or replaces a variant. */
export function register(name: string, variant: { pkg: string; version: string }): void;
/** The variants, the default one first. */
export function variants(): Variant[];
