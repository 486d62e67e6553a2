/**
 * Pushes a stored image's eStargz conversion from the page. The blobs stream
 * from the chunk store (1 MiB chunks, sent as parts of at most 5 MiB) through
 * the app's registry routes, which forward them to the registry.
 *
 * Limits: credentials travel with every route request and are never stored.
 * Only loopback registries get plain HTTP, because the routes take no
 * `insecure` setting.
 */
import { layerPart } from '../core/convert/bundle';
import { NotFoundError } from '../core/errors';
import type { ImageRecord } from '../core/layer-index';
import type { ChunkStore } from '../store/chunk-store';
import { withStoreLock } from '../store/store-lock';
import type { RegistryAuth } from '../registry/auth';
import { pushImage } from '../registry/browser-push';
import type { PushImageInput, PushProgress, PushResult } from '../registry/push-flow';
import {
  isLoopbackHost,
  parseRegistryHost,
  parseRepository,
  parseTag,
} from '../registry/target';

/** Push destination: `host[:port]`, repository name and tag. */
export interface PushTarget {
  registry: string;
  repository: string;
  tag: string;
}

/** The blobs and manifest of a push, without the target. */
export type PushContent = Pick<PushImageInput, 'manifest' | 'config' | 'layers'>;

/** Options of `pushConverted`. */
export interface PushConvertedOptions {
  auth?: RegistryAuth;
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
  /** Origin of the app; the page's own origin unless given. */
  appURL?: string;
}

/** Returns the target with the registry host normalised; throws InvalidInputError for bad values. */
export function checkTarget(target: PushTarget): PushTarget {
  return {
    registry: parseRegistryHost(target.registry.trim()),
    repository: parseRepository(target.repository.trim()),
    tag: parseTag(target.tag.trim()),
  };
}

/**
 * Returns the manifest, config and layers of `record`'s eStargz conversion,
 * the layers streamed from `store`. Throws NotFoundError before the build.
 */
export function convertedPushContent(
  record: ImageRecord,
  store: ChunkStore,
  signal?: AbortSignal,
): PushContent {
  const converted = record.estargz;
  if (!converted) throw new NotFoundError(`image ${record.key} has no eStargz build yet`);
  return {
    manifest: { mediaType: converted.manifestMediaType, bytes: converted.rawManifest },
    config: { digest: converted.configDigest, bytes: converted.rawConfig },
    layers: converted.layers.map((layer) => layerPart(layer, store, signal)),
  };
}

/**
 * Pushes `record`'s eStargz conversion to `target` and returns the result.
 * Holds the store lock in shared mode meanwhile, so that deleting an image
 * in another tab waits instead of removing chunks that the push still reads.
 */
export async function pushConverted(
  record: ImageRecord,
  store: ChunkStore & { readonly lockName: string },
  target: PushTarget,
  options: PushConvertedOptions = {},
): Promise<PushResult> {
  const checked = checkTarget(target);
  const content = convertedPushContent(record, store, options.signal);
  return withStoreLock(
    'shared',
    () =>
      pushImage({
        ...checked,
        ...content,
        auth: options.auth,
        signal: options.signal,
        onProgress: options.onProgress,
        appURL: options.appURL,
      }),
    { name: store.lockName, signal: options.signal },
  );
}

/** Shell commands that pull a pushed image: a full copy, and a lazy pull. */
export interface PullCommands {
  /** Copies the image into an OCI layout folder. */
  skopeo: string;
  /** Pulls lazily with containerd's stargz snapshotter. */
  nerdctl: string;
}

/**
 * Returns the pull commands for `target`. A loopback registry gets plain
 * HTTP, so the commands carry the flags that allow it.
 */
export function pullCommands(target: PushTarget): PullCommands {
  const reference = `${target.registry}/${target.repository}:${target.tag}`;
  const plainHTTP = isLoopbackHost(target.registry);
  const name = target.repository.slice(target.repository.lastIndexOf('/') + 1);
  const folder = `./${name}-${target.tag}`;
  const skopeoFlags = plainHTTP ? ' --src-tls-verify=false' : '';
  const nerdctlFlags = plainHTTP ? ' --insecure-registry' : '';
  return {
    skopeo: `skopeo copy${skopeoFlags} docker://${reference} oci:${folder}`,
    nerdctl: `nerdctl --snapshotter=stargz${nerdctlFlags} pull ${reference}`,
  };
}
