import '../_lib/server-only';
import { handleBlobMount } from '../_lib/handlers';

/**
 * Mounts a blob from another repository of the same registry.
 * The route API is described in lib/registry/wire.ts.
 */
export async function POST(request: Request): Promise<Response> {
  return handleBlobMount(request);
}
