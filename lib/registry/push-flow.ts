/**
 * The order of an image push, independent of how each step reaches the
 * registry (directly, or through the app's server routes). Each layer and then
 * the config is checked with HEAD and skipped when present, else mounted or
 * uploaded in parts. The manifest PUT comes last, so the tag only ever names
 * stored blobs.
 */
import type { Digest } from '../core/digest';
import { SizeMismatchError, abortError } from '../core/errors';
import { SILENT_LOGGER } from '../core/log';
import type { Logger } from '../core/log';
import type { RegistryAuth } from './auth';
import type { BlobUpload, ManifestBytes, MountResult } from './client';
import { RegistryError, isUploadLost } from './errors';
import { checkManifest } from './manifest-check';
import { DEFAULT_PART_SIZE_BYTES, partsOf } from './parts';
import { parseTag } from './target';

/** A layer blob to push; `open` is called again when an upload restarts. */
export interface PushLayer {
  digest: Digest;
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** Input of `pushImage`. */
export interface PushImageInput {
  /** `host[:port]`; plain HTTP for loopback hosts, HTTPS otherwise. */
  registry: string;
  repository: string;
  tag: string;
  manifest: ManifestBytes;
  config: { digest: Digest; bytes: Uint8Array };
  layers: PushLayer[];
  auth?: RegistryAuth;
  /** Plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Bytes per PATCH; 5 MiB unless given. */
  partSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
  log?: Logger;
  /** A repository on the same registry to mount missing blobs from. */
  mountFrom?: string;
}

/** Outcome of one blob: present already, mounted, or uploaded. */
export type BlobOutcomeKind = 'skipped' | 'mounted' | 'uploaded';

/** One blob of a finished push; `bytes` counts bytes uploaded (0 unless uploaded). */
export interface BlobOutcome {
  digest: Digest;
  outcome: BlobOutcomeKind;
  bytes: number;
}

/** Result of a push: `registry/repository:tag`, the manifest digest, the blobs. */
export interface PushResult {
  reference: string;
  manifestDigest: Digest;
  blobs: BlobOutcome[];
}

/** Progress of one blob or of the manifest; layers count `index` from 0. */
export interface PushProgress {
  blob: 'layer' | 'config' | 'manifest';
  index: number;
  digest: Digest;
  phase: 'checking' | 'uploading' | 'done';
  bytesDone: number;
  bytesTotal: number;
  outcome?: BlobOutcomeKind;
}

/** The protocol steps a push needs, bound to one registry repository. */
export interface PushSteps {
  blobExists(digest: Digest): Promise<boolean>;
  mountBlob(digest: Digest, from: string): Promise<MountResult>;
  startUpload(digest: Digest): Promise<BlobUpload>;
  uploadPart(upload: BlobUpload, part: Uint8Array, digest: Digest): Promise<BlobUpload>;
  /** Closes the upload, sending `body` as its only bytes when given. */
  finishUpload(upload: BlobUpload, digest: Digest, body?: Uint8Array): Promise<void>;
  putManifest(reference: string, manifest: ManifestBytes): Promise<Digest>;
}

/** Uploads of one blob that may start over after the registry loses one. */
export const MAX_UPLOAD_RESTARTS = 2;

interface BlobJob {
  blob: 'layer' | 'config';
  index: number;
  digest: Digest;
  size: number;
  open(): AsyncIterable<Uint8Array>;
  /** Whole blob in memory: sent with the closing PUT instead of PATCHes. */
  bytes?: Uint8Array;
}

interface PushContext {
  steps: PushSteps;
  input: PushImageInput;
  partSize: number;
  log: Logger;
}

/** Pushes an image through `steps`; see the module comment for the order. */
export async function runPush(
  steps: PushSteps,
  input: PushImageInput,
): Promise<PushResult> {
  const tag = parseTag(input.tag);
  await checkManifest(input.manifest, input.config, input.layers);
  const context: PushContext = {
    steps,
    input,
    partSize: input.partSize ?? DEFAULT_PART_SIZE_BYTES,
    log: input.log ?? SILENT_LOGGER,
  };
  const blobs: BlobOutcome[] = [];
  const done = new Set<Digest>();
  // TODO: push several blobs at once; today they go one after another.
  for (const job of blobJobs(input)) {
    throwIfAborted(input.signal);
    const outcome = done.has(job.digest)
      ? skipRepeated(context, job)
      : await pushBlob(context, job);
    done.add(job.digest);
    blobs.push(outcome);
  }
  throwIfAborted(input.signal);
  const manifestDigest = await steps.putManifest(tag, input.manifest);
  report(context, {
    blob: 'manifest',
    index: 0,
    digest: manifestDigest,
    phase: 'done',
    bytesDone: input.manifest.bytes.length,
    bytesTotal: input.manifest.bytes.length,
  });
  context.log.info(`pushed ${input.registry}/${input.repository}:${tag} (${manifestDigest})`);
  return {
    reference: `${input.registry}/${input.repository}:${tag}`,
    manifestDigest,
    blobs,
  };
}

function blobJobs(input: PushImageInput): BlobJob[] {
  const layers: BlobJob[] = input.layers.map((layer, index) => ({
    blob: 'layer',
    index,
    digest: layer.digest,
    size: layer.size,
    open: () => layer.open(),
  }));
  const { bytes, digest } = input.config;
  const config: BlobJob = {
    blob: 'config',
    index: 0,
    digest,
    size: bytes.length,
    open: async function* () {
      yield bytes;
    },
    bytes,
  };
  return [...layers, config];
}

function skipRepeated(context: PushContext, job: BlobJob): BlobOutcome {
  reportDone(context, job, 'skipped', 0);
  return { digest: job.digest, outcome: 'skipped', bytes: 0 };
}

async function pushBlob(context: PushContext, job: BlobJob): Promise<BlobOutcome> {
  const { steps, input, log } = context;
  report(context, { ...jobProgress(job), phase: 'checking', bytesDone: 0 });
  if (await steps.blobExists(job.digest)) {
    log.info(`blob ${job.digest} exists, skipped`);
    reportDone(context, job, 'skipped', 0);
    return { digest: job.digest, outcome: 'skipped', bytes: 0 };
  }
  let upload: BlobUpload | undefined;
  if (input.mountFrom) {
    const mount = await steps.mountBlob(job.digest, input.mountFrom);
    if (mount.mounted) {
      log.info(`mounted blob ${job.digest} from ${input.mountFrom}`);
      reportDone(context, job, 'mounted', 0);
      return { digest: job.digest, outcome: 'mounted', bytes: 0 };
    }
    log.warn(`mounting ${job.digest} from ${input.mountFrom} failed, uploading it`);
    upload = mount.upload;
  }
  report(context, { ...jobProgress(job), phase: 'uploading', bytesDone: 0 });
  await uploadWithRestarts(context, job, upload);
  log.info(`pushed blob ${job.digest} (${job.size} bytes)`);
  reportDone(context, job, 'uploaded', job.size);
  return { digest: job.digest, outcome: 'uploaded', bytes: job.size };
}

async function uploadWithRestarts(
  context: PushContext,
  job: BlobJob,
  first: BlobUpload | undefined,
): Promise<void> {
  let upload = first;
  for (let restart = 0; ; restart++) {
    try {
      upload ??= await context.steps.startUpload(job.digest);
      await uploadBlob(context, job, upload);
      return;
    } catch (error) {
      if (!isUploadLost(error) || restart >= MAX_UPLOAD_RESTARTS) throw error;
      context.log.warn(
        `restarting upload of ${job.digest} (${restart + 1} of ${MAX_UPLOAD_RESTARTS}): ` +
          (error as Error).message,
      );
      upload = undefined;
    }
  }
}

async function uploadBlob(
  context: PushContext,
  job: BlobJob,
  first: BlobUpload,
): Promise<void> {
  const { steps, input, partSize } = context;
  if (job.bytes && job.bytes.length <= partSize) {
    await steps.finishUpload(first, job.digest, job.bytes);
    return;
  }
  let upload = first;
  let sent = 0;
  for await (const part of partsOf(job.open(), partSize, input.signal)) {
    if (sent + part.length > job.size) {
      throw new SizeMismatchError(
        `${job.blob} ${job.digest}: blob stream is longer than its size`,
        job.size,
        sent + part.length,
      );
    }
    upload = await steps.uploadPart(upload, part, job.digest);
    sent += part.length;
    if (upload.offset !== sent) throw offsetMismatch(job, upload, sent);
    report(context, { ...jobProgress(job), phase: 'uploading', bytesDone: sent });
  }
  if (sent !== job.size) {
    throw new SizeMismatchError(`${job.blob} ${job.digest}: blob stream length`, job.size, sent);
  }
  await steps.finishUpload(upload, job.digest);
}

function offsetMismatch(job: BlobJob, upload: BlobUpload, sent: number): RegistryError {
  return new RegistryError({
    step: `uploading ${job.digest}`,
    status: 416,
    method: 'PATCH',
    path: new URL(upload.location).pathname,
    diagnostics: [
      {
        code: 'UPLOAD_OFFSET_LOST',
        message: `registry reports ${upload.offset} bytes after ${sent} were sent`,
      },
    ],
    temporary: false,
  });
}

function jobProgress(job: BlobJob): Omit<PushProgress, 'phase' | 'bytesDone'> {
  return { blob: job.blob, index: job.index, digest: job.digest, bytesTotal: job.size };
}

function reportDone(
  context: PushContext,
  job: BlobJob,
  outcome: BlobOutcomeKind,
  bytesDone: number,
): void {
  report(context, { ...jobProgress(job), phase: 'done', bytesDone, outcome });
}

function report(context: PushContext, progress: PushProgress): void {
  context.input.onProgress?.(progress);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}
