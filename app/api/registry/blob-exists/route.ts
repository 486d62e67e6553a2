import '../_lib/server-only';
import { handleBlobExists } from '../_lib/handlers';

/**
 * Reports whether the repository contains a blob.
 * The route API is described in lib/registry/wire.ts.
 */
export async function POST(request: Request): Promise<Response> {
  return handleBlobExists(request);
}
