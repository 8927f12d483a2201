/**
 * The server's settings (client `initializationOptions`, then `workspace/didChangeConfiguration` under `bitkit`).
 */
export interface ServerSettings {
  /** Check the files a recipe names (existence, TSV header, corrupt checkpoints). */
  checkFiles: boolean;
  /** Show hints about suspicious hyper-parameters (BK2014). */
  hints: boolean;
}

export const DEFAULT_SETTINGS: ServerSettings = { checkFiles: true, hints: true };

/** Settings from an untrusted client object: known keys of the right type win, everything else is ignored. */
export function readSettings(input: unknown, base: ServerSettings = DEFAULT_SETTINGS): ServerSettings {
  const o = (input && typeof input === 'object' ? (input as Record<string, unknown>) : {}) as Record<string, unknown>;
  const src = o.bitkit && typeof o.bitkit === 'object' ? (o.bitkit as Record<string, unknown>) : o;
  return {
    checkFiles: typeof src.checkFiles === 'boolean' ? src.checkFiles : base.checkFiles,
    hints: typeof src.hints === 'boolean' ? src.hints : base.hints,
  };
}
