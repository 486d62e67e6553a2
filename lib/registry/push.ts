/**
 * `pushImage` for Node and server code: the push flow of `push-flow.ts` over
 * the registry client, with one session (auth state, token) for the whole push.
 */
import {
  blobExists,
  finishUpload,
  mountBlob,
  putManifest,
  startUpload,
  uploadPart,
} from './client';
import { runPush } from './push-flow';
import type { PushImageInput, PushResult, PushSteps } from './push-flow';
import { createSession } from './transport';
import type { RegistrySession, SessionOptions } from './transport';

/** Options of `pushImage`: the push input plus transport settings. */
export type PushImageOptions = PushImageInput &
  Pick<SessionOptions, 'retry' | 'fetch' | 'authCache' | 'onCall' | 'isAllowedURL'>;

/**
 * Pushes an image to `options.registry`: blobs first (skipped when present,
 * mounted from `mountFrom` when possible, else uploaded in parts), then the
 * manifest under `options.tag`.
 */
export async function pushImage(options: PushImageOptions): Promise<PushResult> {
  const session = createSession(options);
  return runPush(sessionSteps(session), options);
}

/** Returns the push steps of the registry client, bound to `session`. */
export function sessionSteps(session: RegistrySession): PushSteps {
  return {
    blobExists: (digest) => blobExists(session, digest),
    mountBlob: (digest, from) => mountBlob(session, digest, from),
    startUpload: (digest) => startUpload(session, { digest }),
    uploadPart: (upload, part, digest) => uploadPart(session, upload, part, { digest }),
    finishUpload: async (upload, digest, body) => {
      await finishUpload(session, upload, digest, body);
    },
    putManifest: (reference, manifest) => putManifest(session, reference, manifest),
  };
}
