import '../_lib/server-only';
import { handleUploadStatus } from '../_lib/handlers';

/**
 * Returns how many bytes of an upload the registry holds.
 * The route API is described in lib/registry/wire.ts.
 */
export async function POST(request: Request): Promise<Response> {
  return handleUploadStatus(request);
}
