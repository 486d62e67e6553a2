import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SAMPLES = fileURLToPath(new URL('../../public/samples/', import.meta.url));
const hasSkopeo = existsSync('/usr/bin/skopeo');

interface Sample {
  file: string;
  title: string;
  description: string;
}

const samples = JSON.parse(readFileSync(`${SAMPLES}samples.json`, 'utf8')) as Sample[];

function inspect(transport: string): { Layers: string[]; Architecture: string; Os: string } {
  return JSON.parse(execFileSync('skopeo', ['inspect', transport], { encoding: 'utf8' }));
}

function transportOf(file: string): string {
  return file.endsWith('.oci.tar') ? `oci-archive:${SAMPLES}${file}` : `docker-archive:${SAMPLES}${file}`;
}

test.describe('bundled samples', () => {
  test('should list two samples that exist', () => {
    expect(samples.length).toBeGreaterThanOrEqual(2);
    for (const sample of samples) expect(existsSync(`${SAMPLES}${sample.file}`)).toBe(true);
  });

  test('should be images that skopeo reads', () => {
    test.skip(!hasSkopeo, 'skopeo is not installed');
    for (const sample of samples) {
      const image = inspect(transportOf(sample.file));
      expect(image.Os).toBe('linux');
      expect(image.Architecture).toBe('amd64');
      expect(image.Layers.length).toBeGreaterThanOrEqual(2);
    }
  });

  test('should share the base layer and differ in the second', () => {
    test.skip(!hasSkopeo, 'skopeo is not installed');
    const [first, second] = samples.map((sample) => {
      const raw = execFileSync('skopeo', ['inspect', '--config', transportOf(sample.file)], { encoding: 'utf8' });
      return (JSON.parse(raw) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    });
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
  });
});
