import '../_lib/server-only';
import { handleUploadStart } from '../_lib/handlers';

/**
 * Opens a blob upload.
 * The route API is described in lib/registry/wire.ts.
 */
export async function POST(request: Request): Promise<Response> {
  return handleUploadStart(request);
}
