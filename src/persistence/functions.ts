/**
 * Where persistence meets the server's function libraries (Redis 7.0 functions): RDB files and
 * AOF bases save each library's code before the databases, and loading gives the codes back.
 * The scripting side registers the store at start-up (scripting/functions.ts); without one, a
 * server has no functions to save, and a file holding some cannot be loaded.
 */
export interface FunctionStore {
  /** The codes of the libraries a server holds (shebang included), in the order they are listed. */
  codes(server: object): string[];
  /**
   * Loads one library from a file, replacing a library of the same name (Redis's rdbFunctionLoad
   * at load time). Returns null, or the error text ("Library names can only contain…").
   */
  load(server: object, code: string): string | null;
  /** The server's libraries are dropped (a load that replaces the dataset starts empty of them). */
  clear(server: object): void;
}

let store: FunctionStore | null = null;

export function registerFunctionStore(registered: FunctionStore): void {
  store = registered;
}

/** The codes to save for `server` (none when no store is registered). */
export function functionCodesOf(server: object): string[] {
  return store === null ? [] : store.codes(server);
}

/** Loads a library read from a file; throws an Error with Redis's log text when it cannot. */
export function loadFunctionFromFile(server: object, code: string): void {
  const error = store === null ? 'functions are not supported by this server' : store.load(server, code);
  if (error !== null) throw new Error(`Failed loading library, ${error}`);
}

export function clearFunctions(server: object): void {
  store?.clear(server);
}
