import '../_lib/server-only';
import { handleManifest } from '../_lib/handlers';

/**
 * Stores an image manifest under a tag, once its blobs are in place.
 * The route API is described in lib/registry/wire.ts.
 */
export async function PUT(request: Request): Promise<Response> {
  return handleManifest(request);
}
