/**
 * `chunked-containers push`: ingests an image archive into the chunk store,
 * as `chunk` does, then pushes the image to a registry. Without --stargz the
 * source image goes as it is in the archive: layers streamed from the
 * archive, manifest and config bytes unchanged. With --stargz the image is
 * converted to eStargz from the store first and pushed from there.
 */
import { openImageArchive } from '../core/archive/open';
import type { ArchiveImage, ArchiveLayer } from '../core/archive/types';
import { fromUTF8 } from '../core/bytes';
import type { Digest } from '../core/digest';
import { decompress } from '../core/compression';
import { layerPart } from '../core/convert/bundle';
import { convertStoredLayer, convertedImage, estargzOptions } from '../core/convert/estargz';
import type { ConvertOptions } from '../core/convert/estargz';
import { InvalidInputError } from '../core/errors';
import { ingestImage } from '../core/ingest/image';
import type { EStargzLayer, ImageRecord } from '../core/layer-index';
import type { Logger } from '../core/log';
import { openFileSource } from '../node/file-source';
import type { RegistryAuth } from '../registry/auth';
import { pushImage } from '../registry/push';
import type { PushImageInput, PushProgress, PushResult } from '../registry/push-flow';
import { parseRegistryHost, parseRepository, parseTag } from '../registry/target';
import { DEFAULT_STORE_ROOT, FsChunkStore } from '../store/fs-chunk-store';
import { withStoreLock } from '../store/store-lock';
import { UsageError, flagValue, parseFlags } from './args';
import type { Options } from './args';
import { STARGZ_FLAGS, convertFlags } from './stargz';
import { STRATEGY_FLAGS, pickImages, platformFlag, strategyFromFlags } from './chunk';
import { openArchiveFile } from './files';
import type { Output } from './main';

export const PUSH_HELP = `usage: chunked-containers push --image ARCHIVE --to REGISTRY/REPOSITORY[:TAG] [flags]

Stores the archive's image in the chunk store, as chunk does, and pushes it
to a registry: the image as it is in the archive, or with --stargz its
eStargz conversion. Blobs the registry already has are skipped; the tag is
set last. HTTPS unless the registry is on loopback or --insecure is given.

flags:
  --image ARCHIVE         image archive (.tar) with one image (required)
  --to REFERENCE          registry host[:port], repository and tag, such as
                          127.0.0.1:5000/team/app:v1; the tag defaults to latest (required)
  --stargz                push the eStargz conversion instead of the source image
  --stargz-chunk-size-kb N  eStargz chunk size in KiB (default 4096)
  --gzip-level N          eStargz gzip level, 0 to 9 (default 9)
  --prioritized-files LIST  comma-separated paths to put first, before the prefetch landmark
  --username USER         registry user name; needs --password-stdin
  --password-stdin        read the password or token from stdin (one trailing newline is dropped)
  --insecure              plain HTTP to a registry that is not on loopback
  --platform OS/ARCH      platform to pick from a multi-platform index (default linux/amd64)
  --strategy, --chunk-size-kb, --min-kb, --avg-kb, --max-kb, --filesystem
                          how the image is chunked into the store, as for chunk
  --store DIR             chunk store folder (default ${DEFAULT_STORE_ROOT})
  --json                  print the result as JSON
  --verbose               print ingest and upload progress to stderr`;

const FLAGS: Options = {
  image: { type: 'string' },
  to: { type: 'string' },
  ...STRATEGY_FLAGS,
  platform: { type: 'string' },
  store: { type: 'string' },
  ...STARGZ_FLAGS,
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  // Declared only to reject it with a pointer to --password-stdin.
  password: { type: 'string' },
  insecure: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Registry, repository and tag that `--to` names. */
export interface PushReference {
  registry: string;
  repository: string;
  tag: string;
}

/**
 * Parses `HOST[:PORT]/REPOSITORY[:TAG]`. The first component must be a
 * registry host, which Docker recognises by a dot, a port or the name
 * localhost, so `team/app` is rejected instead of going to Docker Hub.
 * Digest references are rejected, since a push needs a tag.
 */
export function parsePushReference(value: string): PushReference {
  const invalid = (reason: string) =>
    new UsageError(
      `--to ${JSON.stringify(value)}: ${reason}; expected REGISTRY/REPOSITORY[:TAG], ` +
        'such as 127.0.0.1:5000/team/app:v1',
    );
  if (value.includes('@')) throw invalid('a digest reference names no tag to push to');
  const slash = value.indexOf('/');
  if (slash < 0) throw invalid('no repository after the registry host');
  const host = value.slice(0, slash);
  if (!/[.:]/.test(host) && host !== 'localhost') {
    throw invalid(`${JSON.stringify(host)} is not a registry host (it has no dot or port and is not localhost)`);
  }
  const rest = value.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const repository = colon < 0 ? rest : rest.slice(0, colon);
  const tag = colon < 0 ? 'latest' : rest.slice(colon + 1);
  try {
    return {
      registry: parseRegistryHost(host),
      repository: parseRepository(repository),
      tag: parseTag(tag),
    };
  } catch (error) {
    throw invalid((error as Error).message);
  }
}

/** Reads the password from `input`, dropping one trailing newline as `docker login --password-stdin` does. */
export async function readPassword(input: AsyncIterable<Buffer | string>): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of input) pieces.push(Buffer.from(piece));
  const password = Buffer.concat(pieces).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin: stdin is empty, expected the password or token');
  return password;
}

async function readAuth(values: Record<string, unknown>): Promise<RegistryAuth | undefined> {
  if (values.password !== undefined) {
    throw new UsageError('--password is not accepted, because it would show in the process list; pipe the password to --password-stdin');
  }
  const username = values.username as string | undefined;
  if (values['password-stdin'] && username === undefined) throw new UsageError('--password-stdin needs --username USER');
  if (username === undefined) return undefined;
  if (username === '' || username.includes(':')) {
    throw new UsageError(`--username must be non-empty and without ":", got ${JSON.stringify(username)}`);
  }
  if (!values['password-stdin']) throw new UsageError('--username needs --password-stdin; the password is read from stdin only');
  return { type: 'basic', username, password: await readPassword(process.stdin) };
}

type PushContent = Pick<PushImageInput, 'manifest' | 'config' | 'layers'>;

/**
 * Returns the source image's blobs: each layer as the manifest lists it. A
 * synthesized manifest of a legacy `docker save` image lists a compressed
 * layer by its diffID, so that layer is inflated on the way.
 */
function sourceContent(image: ArchiveImage, record: ImageRecord): PushContent {
  const listed = (JSON.parse(fromUTF8(record.rawManifest)) as { layers?: { digest?: string }[] }).layers ?? [];
  const layers = image.layers.map((layer: ArchiveLayer, i) => {
    const digest = listed[i]?.digest;
    const name = `layer ${i} (${layer.member})`;
    if (digest !== undefined && digest === layer.digest) {
      return { digest: layer.digest, size: layer.size, open: () => layer.open() };
    }
    if (digest !== undefined && digest === layer.diffID) {
      return {
        digest: record.layers[i].diffID as string as Digest,
        size: record.layers[i].size,
        open: () => decompress(layer.open(), layer.compression, { name }),
      };
    }
    throw new InvalidInputError(`pushing ${name}: the manifest lists ${String(digest)}, which is neither its digest nor its diffID`);
  });
  return {
    manifest: { mediaType: record.manifestMediaType, bytes: record.rawManifest },
    config: { digest: record.configDigest, bytes: record.rawConfig },
    layers,
  };
}

/** Converts `record` to eStargz from the store, as `chunk --stargz` does, and stores the result with it. */
async function convertRecord(record: ImageRecord, store: FsChunkStore, options: ConvertOptions, output: Output, verbose: boolean) {
  const settings = estargzOptions(options);
  const started = performance.now();
  return withStoreLock(
    'shared',
    async () => {
      const layers: EStargzLayer[] = [];
      for (let i = 0; i < record.layers.length; i++) {
        const { missedPrioritizedFiles, ...layer } = await convertStoredLayer(record, i, store, options);
        if (verbose) output.err(`eStargz layer ${i}: ${layer.digest} (${layer.size} bytes)`);
        if (missedPrioritizedFiles.length > 0 && verbose) {
          output.err(`eStargz layer ${i}: prioritized files not in this layer: ${missedPrioritizedFiles.join(', ')}`);
        }
        layers.push(layer);
      }
      const converted = await convertedImage(record, layers, settings, (performance.now() - started) / 1000);
      const next: ImageRecord = { ...record, estargz: converted };
      await store.putImage(next);
      return next;
    },
    { name: store.lockName },
  );
}

function convertedContent(record: ImageRecord, store: FsChunkStore): PushContent {
  const converted = record.estargz!;
  return {
    manifest: { mediaType: converted.manifestMediaType, bytes: converted.rawManifest },
    config: { digest: converted.configDigest, bytes: converted.rawConfig },
    layers: converted.layers.map((layer) => layerPart(layer, store)),
  };
}

/** Returns the one image of the archive to push; throws for archives with several. */
async function loadOnlyImage(path: string, source: Awaited<ReturnType<typeof openFileSource>>, platform: ReturnType<typeof platformFlag>) {
  const archive = await openImageArchive(source);
  const picked = pickImages(archive, platform);
  if (picked.length !== 1) {
    const names = picked.map((i) => archive.images[i].name).join(', ');
    throw new InvalidInputError(`${path}: expected an archive with one image, found ${picked.length}: ${names}`);
  }
  return archive.loadImage(picked[0]);
}

function blobName(progress: Pick<PushProgress, 'blob' | 'index'>): string {
  return progress.blob === 'layer' ? `layer ${progress.index}` : progress.blob;
}

/** Prints one line per blob outcome, and with --verbose the upload progress on stderr. */
function progressPrinter(output: Output, json: boolean, verbose: boolean) {
  return (progress: PushProgress) => {
    if (progress.phase === 'uploading' && progress.bytesDone > 0 && verbose) {
      output.err(`${blobName(progress)} ${progress.digest}: ${progress.bytesDone} of ${progress.bytesTotal} bytes sent`);
    }
    if (progress.phase !== 'done' || progress.blob === 'manifest' || json) return;
    const detail = progress.outcome === 'uploaded' ? ` ${progress.bytesTotal} bytes` : '';
    output.out(`${blobName(progress)} ${progress.digest} ${progress.outcome}${detail}`);
  };
}

function stderrLogger(output: Output, verbose: boolean): Logger {
  return { debug() {}, info: (line) => verbose && output.err(line), warn: (line) => output.err(`warning: ${line}`) };
}

export async function pushCommand(argv: string[], output: Output): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values.help) {
    output.out(PUSH_HELP);
    return 0;
  }
  if (typeof values.image !== 'string') throw new UsageError('--image ARCHIVE is required');
  if (typeof values.to !== 'string') throw new UsageError('--to REGISTRY/REPOSITORY[:TAG] is required');
  const target = parsePushReference(values.to);
  const strategy = strategyFromFlags(values);
  const filesystem = flagValue('filesystem', values.filesystem as string | undefined, true);
  const stargz = flagValue('stargz', values.stargz as string | undefined, false);
  const convert = stargz ? convertFlags(values) : undefined;
  const platform = platformFlag(values.platform as string | undefined);
  const verbose = values.verbose === true;
  const json = values.json === true;
  const auth = await readAuth(values);

  const store = new FsChunkStore({ root: (values.store as string | undefined) ?? DEFAULT_STORE_ROOT });
  const source = await openArchiveFile(values.image);
  let result: PushResult;
  let record: ImageRecord;
  try {
    const image = await loadOnlyImage(values.image, source, platform);
    try {
      const ingested = await withStoreLock(
        'shared',
        () =>
          ingestImage(image, source.name, {
            strategy,
            filesystem,
            store,
            onProgress: verbose
              ? (p) => output.err(`layer ${p.layerIndex}: ${p.bytesDone}/${p.bytesTotal} bytes read`)
              : undefined,
          }),
        { name: store.lockName },
      );
      record = convert ? await convertRecord(ingested.record, store, convert, output, verbose) : ingested.record;
    } catch (error) {
      await store.collectGarbage().catch(() => undefined);
      throw error;
    }
    const content = convert ? convertedContent(record, store) : sourceContent(image, record);
    result = await withStoreLock(
      'shared',
      () =>
        pushImage({
          ...target,
          ...content,
          auth,
          insecure: values.insecure === true,
          onProgress: progressPrinter(output, json, verbose),
          log: stderrLogger(output, verbose),
        }),
      { name: store.lockName },
    );
  } finally {
    await source.close();
    await store.close();
  }

  if (json) {
    output.out(JSON.stringify(pushReport(result, record, stargz), null, 2));
  } else {
    output.out(`pushed ${result.reference}`);
    output.out(`manifest digest: ${result.manifestDigest}`);
  }
  return 0;
}

/** Returns the JSON report: the reference, the manifest digest and each blob's outcome. */
function pushReport(result: PushResult, record: ImageRecord, stargz: boolean) {
  const pushed = stargz ? record.estargz! : record;
  return {
    reference: result.reference,
    manifestDigest: result.manifestDigest,
    manifestMediaType: pushed.manifestMediaType,
    configDigest: pushed.configDigest,
    image: stargz ? 'estargz' : 'source',
    imageKey: record.key,
    blobs: result.blobs.map((blob, i) => ({
      blob: i < pushed.layers.length ? 'layer' : 'config',
      ...(i < pushed.layers.length ? { index: i } : {}),
      ...blob,
    })),
  };
}
