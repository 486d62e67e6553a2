import '../_lib/server-only';
import { handleUploadPart } from '../_lib/handlers';

/**
 * Sends one part of a blob upload.
 * The route API is described in lib/registry/wire.ts.
 */
export async function PATCH(request: Request): Promise<Response> {
  return handleUploadPart(request);
}
