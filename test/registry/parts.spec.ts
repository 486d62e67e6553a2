import { expect, test } from '@playwright/test';
import { collectBytes } from '../../lib/core/bytes';
import { partsOf } from '../../lib/registry/parts';

async function* pieces(total: number, pieceSize: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += pieceSize) {
    const piece = new Uint8Array(Math.min(pieceSize, total - at));
    for (let i = 0; i < piece.length; i++) piece[i] = (at + i) % 251;
    yield piece;
  }
}

test.describe('partsOf', () => {
  const partSize = 1000;
  for (const total of [0, 1, partSize - 1, partSize, partSize + 1, 3 * partSize + 7]) {
    test(`should cut ${total} bytes into full parts and a short last one`, async () => {
      for (const pieceSize of [1, 333, partSize, 4096]) {
        const parts: Uint8Array[] = [];
        for await (const part of partsOf(pieces(total, pieceSize), partSize)) parts.push(part);

        expect(parts.length, `pieces of ${pieceSize}`).toBe(Math.ceil(total / partSize));
        for (const part of parts.slice(0, -1)) expect(part.length).toBe(partSize);
        const joined = await collectBytes(parts);
        expect(Buffer.from(joined).equals(Buffer.from(await collectBytes(pieces(total, 4096))))).toBe(true);
      }
    });
  }

  test('should give each part its own buffer', async () => {
    const parts: Uint8Array[] = [];
    for await (const part of partsOf(pieces(2000, 700), 1000)) parts.push(part);
    expect(parts[0].buffer).not.toBe(parts[1].buffer);
    expect(parts[0][0]).toBe(0);
  });

  test('should reject a zero part size', async () => {
    const run = async () => {
      for await (const part of partsOf(pieces(10, 10), 0)) void part;
    };
    await expect(run()).rejects.toThrow('partsOf: invalid part size 0');
  });
});
