/**
 * The AOF directory at start-up (Redis's aofLoadManifestFromDisk, loadAppendOnlyFiles and
 * aofOpenIfNeededOnServerStart): reading the manifest, moving an old-style AOF of Redis before
 * 7.0 into the directory, loading every file with the server in its loading state, and
 * writing the first base of a new AOF. The running writer (writer.ts) takes over from there.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../../config/config.js';
import { strerror } from '../../config/values.js';
import { loadFunctionFromFile } from '../functions.js';
import { encodingLimits } from '../load.js';
import { baseFormat, writeBaseNow } from './base.js';
import { AofLoadError, loadAppendOnlyFiles, type LoadResult } from './loader.js';
import { AofManifest, ManifestError, manifestName } from './manifest.js';
import type { AofServer } from './server.js';
import { startLoading, stopLoading } from '../loading.js';

/** Where the AOF's files are, by the configuration. */
export interface AofPaths {
  /** appendfilename: the prefix of every file's name. */
  readonly filename: string;
  /** The AOF directory: appenddirname under dir. */
  readonly dir: string;
  readonly manifest: string;
}

export function aofPaths(config: Config): AofPaths {
  const filename = config.getString('appendfilename');
  const name = config.getString('appenddirname');
  const dir = isAbsolute(name) ? name : resolve(config.getString('dir'), name);
  return { filename, dir, manifest: join(dir, manifestName(filename)) };
}

/** The manifest on disk, or an empty one when there is none; throws AofLoadError when it cannot be used. */
export function readManifest(paths: AofPaths): AofManifest {
  const path = paths.manifest;
  if (!existsSync(paths.dir) || !existsSync(path)) return new AofManifest();
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new AofLoadError(`Fatal error: can't open the AOF manifest file ${path} for reading: ${strerror(err)}`);
  }
  try {
    return AofManifest.parse(text);
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    const where = err.line === null ? '' : ` Reading the manifest file, at line ${err.lineNumber}: '${err.line}'.`;
    throw new AofLoadError(`*** FATAL AOF MANIFEST FILE ERROR *** ${path}:${where} ${err.message}`);
  }
}

/**
 * An AOF of Redis before 7.0 (a single appendonly.aof in dir, no manifest, maybe starting with
 * an RDB preamble): moved into the directory as the base, as Redis's aofUpgradePrepare does.
 */
export function upgradeOldStyleFileIfNeeded(server: AofServer, paths: AofPaths, manifest: AofManifest): void {
  const config = server.config;
  const oldPath = resolve(config.getString('dir'), paths.filename);
  if (!existsSync(oldPath)) return;
  const m = manifest;
  const dirMissing = !existsSync(paths.dir);
  const empty = m.base === null && m.incr.length === 0;
  const pending = m.base !== null && m.incr.length === 0 && m.base.name === paths.filename && !existsSync(join(paths.dir, paths.filename));
  if (!dirMissing && !empty && !pending) return;
  mkdirSync(paths.dir, { recursive: true });
  m.base = { name: paths.filename, seq: 1, type: 'b' };
  m.currentBaseSeq = 1;
  m.persist(paths.dir, paths.filename);
  renameSync(oldPath, join(paths.dir, paths.filename));
  server.log.info(`Successfully migrated an old-style AOF file (${paths.filename}) into the AOF directory (${config.getString('appenddirname')}).`);
}

/**
 * Loads every file the manifest lists, the server in its loading state meanwhile (other
 * clients get -LOADING, INFO shows the progress). Rejects with LoadingInterrupted when the
 * server shuts down meanwhile.
 */
export async function loadAofDirectory(server: AofServer, paths: AofPaths, manifest: AofManifest): Promise<LoadResult> {
  const config = server.config;
  const started = performance.now();
  let totalBytes = 0;
  for (const f of [...(manifest.base === null ? [] : [manifest.base]), ...manifest.incr]) {
    const path = join(paths.dir, f.name);
    if (existsSync(path)) totalBytes += statSync(path).size;
  }
  const progress = startLoading(server, totalBytes);
  // As Redis's startLoading: the figures of the last load start again from 0.
  server.saveStatus.lastLoadKeysLoaded = 0;
  server.saveStatus.lastLoadKeysExpired = 0;
  let result: LoadResult;
  try {
    result = await loadAppendOnlyFiles(manifest, {
      dir: paths.dir,
      manifestPath: paths.manifest,
      aofFilename: paths.filename,
      loadTruncated: config.getBool('aof-load-truncated'),
      log: server.log,
      client: () => server.loaderClient(),
      commandDelayUs: config.getNumber('key-load-delay'),
      stopped: () => server.stopping,
      keyspace: { databases: server.databases, limits: encodingLimits(server), checksum: config.getBool('rdbchecksum') },
      loadFunction: (code) => loadFunctionFromFile(server, code),
      onProgress: (bytes) => {
        progress.loadedBytes = bytes;
      },
    });
  } finally {
    stopLoading(server);
  }
  server.saveStatus.lastLoadKeysLoaded = result.rdbKeysLoaded;
  if (result.loaded) server.log.info(`DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  return result;
}

/**
 * A directory without any file yet gets its base now, even for an empty dataset, in the format
 * aof-use-rdb-preamble asks for (aofOpenIfNeededOnServerStart).
 */
export function writeFirstBase(server: AofServer, paths: AofPaths, manifest: AofManifest): void {
  const format = baseFormat(server.config);
  const baseName = manifest.newBase(paths.filename, format);
  const temp = join(paths.dir, `temp-rewriteaof-${process.pid}.aof`);
  writeBaseNow(server, temp, format);
  renameSync(temp, join(paths.dir, baseName));
  server.log.info(`Creating AOF base file ${baseName} on server start`);
}
