import '../_lib/server-only';
import { handleUploadFinish } from '../_lib/handlers';

/**
 * Closes a blob upload with its digest.
 * The route API is described in lib/registry/wire.ts.
 */
export async function PUT(request: Request): Promise<Response> {
  return handleUploadFinish(request);
}
